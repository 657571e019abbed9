/// @file
/// @brief tempio/atomic_file.hpp: write, then publish in one atomic step (Qt's
/// `QSaveFile`), and async_write_file_atomically for the one-shot case.
///
/// The data is written in the target's directory (so publishing is a rename
/// or link, never a copy), as an `O_TMPFILE` where the file system has it (a
/// crash leaves nothing behind, except in the two-call window of a replace,
/// link then rename, where one hidden link may remain), else as a hidden file
/// `.<target name>.XXXXXXXX` (8 random characters; recognisable, to sweep).
/// After a crash or kill -9 at any instant the target holds its old or its
/// complete new content, never a mix. docs/publishing.md.
///
/// The target is copied when async_create (or async_write_file_atomically)
/// is initiated, a relative one resolved against the current directory then,
/// and resolved as rename(2) resolves it: its directory part opened
/// (following symbolic links), the final component checked (`.` and `..`
/// refused, a trailing `/` is `not_a_directory`), a symbolic link there
/// replaced, never followed. A failed write, flush, sync or truncate latches:
/// the commit then fails with that first error and the target keeps its old
/// content (as Qt's `QSaveFile`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"
#include "tempio/publish.hpp"

namespace tempio {

/// @brief A file that replaces `target` only when committed, in one atomic step
/// (Qt's `QSaveFile`); its other operations are basic_async_file's.
///
/// Made by async_create in the target's directory (see the file description);
/// written with async_write & co; published by async_commit, which also
/// closes it; or discarded by async_abandon, or by the destructor (without a
/// commit, the target is never touched). After a crash at any instant the
/// target holds its old or its complete new content.
///
/// @tparam Executor The type of the file's executor (default
/// `net::any_io_executor`).
template <class Executor = net::any_io_executor>
class basic_atomic_file : public basic_async_file<Executor> {
  public:
    /// @brief How the file is written and committed:
    /// `atomic_file::async_create("config.json", {.durable = false})`.
    ///
    /// `mode` is a view: what it views must stay alive until async_create's
    /// initiation has run (with `net::deferred`, until the `co_await`
    /// completes).
    struct options {
        /// @brief As the file classes' mode, and it must write without
        /// appending (`"wb"`, the default, `"w"`, `"w+"`, `"w+b"`); an append
        /// mode (`"a"`, `"ab"`, `"a+"`) or one that cannot write (`"r"`,
        /// `"rb"`) is refused at async_create with `invalid_argument`.
        std::string_view mode = "wb";
        std::size_t buffering = 65536;  ///< write buffer; 0 = unbuffered
        bool replace = true;            ///< false: commit never replaces (file_exists)
        /// @brief fsync of the file before the publish (fsync, not
        /// fdatasync: the commit always sets a mode), fsync of the target's
        /// directory after it.
        bool durable = true;
        /// @brief The published file's mode. Default: the mode of the file
        /// it replaces (through a symbolic link at the target: the mode of
        /// what the link points to; unless `preserve.mode` is false), else,
        /// when there is none (or the link is dangling or loops), 0666 &
        /// ~umask (what a plain open(O_CREAT) would give).
        std::optional<std::filesystem::perms> permissions{};
        /// @brief What the commit keeps of the file it replaces: its mode
        /// (the default, as above), and on request its owner and its
        /// extended attributes (POSIX ACLs and the SELinux label included):
        /// `{.preserve = {.owner = true, .xattrs = true}}`. Applied before
        /// the data is made durable and the name changes.
        preserve_options preserve{};
    };

    using basic_async_file<Executor>::basic_async_file;
    /// @cond TEMPIO_INTERNAL
    basic_atomic_file(detail::adopt_core_t, const Executor& ex, detail::file_ptr core)
        : basic_async_file<Executor>(detail::adopt_core, ex, std::move(core)) {}
    /// @endcond

    /// @brief Creates the file that will become `target`: one job on a
    /// worker (on tmpfs with no other operation in flight, the calling
    /// thread: tempio/backend.hpp).
    /// Completes with `void(error_code, basic_atomic_file)`.
    ///
    /// As `async_create(target, options{}, token)`.
    /// @param target The file to write: copied when the operation is
    /// initiated, a relative one resolved against the current directory then.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_atomic_file file)`.
    /// @par Per-operation cancellation
    /// terminal, partial, total: before the job starts nothing is created;
    /// during it, the file is removed again (operation_aborted).
    /// @par Lifetime
    /// As the other overload: none for `target` past the initiation.
    /// @par Errors
    /// As the other overload.
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(path_view target, Token&& token = {}) {
        return async_create(target, options{}, std::forward<Token>(token));
    }
    /// @brief Creates the file that will become `target`, in the target's
    /// directory; its executor is the handler's associated executor.
    ///
    /// One job on a worker: an `O_TMPFILE` opened linkable where the file
    /// system has it, else a hidden file `.<target name>.XXXXXXXX` (at most
    /// the first 245 bytes of the name), removed unless committed. The
    /// target is not touched (nor required to exist). The target resolved
    /// here is the one the commit publishes.
    /// @param target The file to write: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_atomic_file file)`: the open file; on error,
    /// an object that holds none.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts nothing is
    /// created; during it, the file is removed again. Both complete with
    /// `operation_aborted`.
    /// @par Lifetime
    /// None past the initiation: what `target` and `o.mode` view is copied
    /// when the operation is initiated (with `net::deferred`, inside the
    /// `co_await` expression), so the caller's strings may be destroyed as
    /// soon as the initiating call has returned.
    /// @par Errors
    /// `invalid_argument` (a bad mode, an append mode, a mode that cannot
    /// write; an empty target, one with NUL, or a final component `.` or
    /// `..`); `not_a_directory` (a target ending with `/`); the system's
    /// error (`ENOENT` or `ENOTDIR` for a missing directory, `EACCES`,
    /// `EMFILE`, ...). Nothing is created.
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(path_view target, options o, Token&& token = {}) {
        return detail::initiate_create<basic_atomic_file, detail::file_ptr>(
            std::forward<Token>(token),
            [s = spec(target, o)](auto h) { detail::start_create_atomic(s, std::move(h)); });
    }
    /// @brief As the overload without an executor, with `ex` as the file's
    /// executor (and the completion's, when the handler has none).
    /// @param ex The file's executor.
    /// @param target The file to write.
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_atomic_file file)`.
    /// @par Per-operation cancellation
    /// As the other overload: `terminal`, `partial`, `total`.
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(const Executor& ex, path_view target, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_atomic_file, detail::file_ptr>(
            ex, std::forward<Token>(token),
            [s = spec(target, o)](auto h) { detail::start_create_atomic(s, std::move(h)); });
    }

    /// @brief Flushes, (fsyncs,) publishes under the target, (fsyncs the
    /// directory,) and closes: one job. Completes with `void(error_code)`.
    ///
    /// The permissions are the options', else the replaced file's mode
    /// (through a symbolic link at the target, the mode of what it points
    /// to), else `0666 & ~umask`. A mode is always set, so `durable` makes
    /// `fsync`, not `fdatasync`. The target is the one async_create resolved;
    /// a symbolic link there is replaced, never followed. Where the target
    /// does not exist the file is linked straight to it; where it does, it is
    /// linked to a hidden name, then renamed over it.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// terminal, partial, total: before the job starts, nothing is done
    /// (`operation_aborted`).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// The first error of an earlier failed write, flush, sync or truncate
    /// (the error latch: a short write counts), and then every commit fails
    /// with it; file_exists with `replace = false`; cross_device_link cannot
    /// happen (same directory); bad_descriptor after commit or abandon; the
    /// system's error. On failure the target is untouched and the object
    /// still owns its data (commit again, unless latched, or abandon). With
    /// `durable`, an error of the final directory `fsync` is reported
    /// although the target is published.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_commit(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_commit(f.lock(), std::move(h)); });
    }
    /// @brief Discards the data; the target is untouched. What destruction
    /// without commit does too (synchronously). Never cancelled.
    ///
    /// One job on a worker; for an object with no file, success at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// None.
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// None (the file is closed and its hidden name, if any, removed).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_abandon(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_abandon(f.lock(), std::move(h)); });
    }

  private:
    static detail::atomic_spec spec(path_view target, const options& o) {
        return {.target = target,
                .mode = o.mode,
                .buffering = o.buffering,
                .replace = o.replace,
                .durable = o.durable,
                .permissions = o.permissions,
                .preserve = o.preserve};
    }
};

/// basic_atomic_file on `net::any_io_executor`.
using atomic_file = basic_atomic_file<>;

/// @brief Writes `data` to `target` atomically: create, write, commit in one
/// job (the options of atomic_file). Completes with `void(error_code)`.
/// `data` is copied before this call returns; `target` when the operation is
/// initiated. Cancellation (terminal, partial, total) before the job starts.
///
/// The completion runs on the handler's associated executor, never inside
/// this call. On failure the target is untouched and nothing is left behind.
/// @param target The file to write: copied when the operation is initiated,
/// a relative one resolved against the current directory then, as for
/// atomic_file::async_create.
/// @param data The whole new content.
/// @param o As for atomic_file (mode, buffering, replace, durable,
/// permissions).
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec)`.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`, before the job starts: nothing is done,
/// `operation_aborted`.
/// @par Lifetime
/// None for `data` (copied before this call returns); none for `target` and
/// `o.mode` past the initiation (copied then: with `net::deferred`, inside
/// the `co_await` expression).
/// @par Errors
/// As atomic_file's async_create, async_write and async_commit.
template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
auto async_write_file_atomically(path_view target, std::string_view data, atomic_file::options o,
                                 Token&& token = {}) {
    return detail::initiate<>(
        std::forward<Token>(token),
        [s = detail::atomic_spec{.target = target,
                                 .mode = o.mode,
                                 .buffering = o.buffering,
                                 .replace = o.replace,
                                 .durable = o.durable,
                                 .permissions = o.permissions,
                                 .preserve = o.preserve}](std::string bytes, auto h) {
            detail::start_write_file_atomically(s, std::move(bytes), std::move(h));
        },
        std::string(data));
}

/// @brief Writes `data` to `target` atomically, with atomic_file's default
/// options (replace, durable).
/// @param target The file to write.
/// @param data The whole new content.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation.
/// @par Completion signature
/// `void(error_code ec)`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
auto async_write_file_atomically(path_view target, std::string_view data, Token&& token = {}) {
    return async_write_file_atomically(target, data, atomic_file::options{},
                                       std::forward<Token>(token));
}

}  // namespace tempio
