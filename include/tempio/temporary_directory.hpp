/// @file
/// @brief tempio/temporary_directory.hpp: a directory removed with everything in
/// it (CPython's `TemporaryDirectory`).
///
/// Cleanup never leaves the tree: it works relative to held directory
/// descriptors, never follows a symlink (links are removed, their targets left
/// alone), and repairs unreadable or read-only directories through those
/// descriptors only. See docs/security.md.
///
/// async_create: one job on a worker. Cancellation (terminal, partial, total):
/// before the job starts nothing is created; during it, the directory is
/// removed again. Both complete with `operation_aborted`.
/// async_cleanup: the whole tree in one job; idempotent once it succeeded (a
/// failed cleanup is retried by the next call, or the destructor); never cancelled.
/// ignore_cleanup_errors: best effort, no error. keep: left in place.
/// Errors name the first failing entry relative to the root.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "tempio/detail/create_object.hpp"
#include "tempio/path_view.hpp"
#include "tempio/publish.hpp"

namespace tempio {

namespace detail {
class directory_core;
using directory_ptr = std::shared_ptr<directory_core>;
struct directory_spec {
    std::string_view suffix{};
    std::string_view prefix{};
    path_view dir{};
    bool ignore_cleanup_errors = false;
    bool keep = false;
};
void start_create_directory(const directory_spec& spec, handler<directory_ptr> h);
void start_cleanup(directory_ptr d, handler<> h);
std::filesystem::path path_of(const directory_core* d);
std::string cleanup_error_path(const directory_core* d);
void start_publish_directory(const directory_ptr& d, const publish_spec& spec, handler<> h);
const std::filesystem::path& public_path_of(const directory_core* d);
std::filesystem::path keep_directory(directory_core* d);
bool directory_kept(const directory_core* d) noexcept;
void start_write_directory_file(directory_ptr d, std::string name, std::string data, handler<> h);
}  // namespace detail

/// @brief A temporary directory removed with everything in it (CPython's
/// `TemporaryDirectory`), made by async_create.
///
/// The directory is `dir` / prefix + 8 random characters of `[a-z0-9_]` +
/// suffix, mode 0700. It is removed by async_cleanup, or else, synchronously,
/// by the destructor (unless `keep`).
///
/// Cleanup never leaves the tree: it works relative to held directory
/// descriptors, never follows a symlink (links are removed, their targets left
/// alone, modes included), and repairs unreadable or read-only directories
/// through those descriptors only (`fchmod`). See docs/security.md.
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe.
///
/// @tparam Executor The type of the directory's executor, which runs the
/// completions of handlers that have no associated executor (default
/// `net::any_io_executor`).
template <class Executor = net::any_io_executor>
class basic_temporary_directory {
  public:
    /// The type of the executor associated with the object.
    using executor_type = Executor;

    /// @brief What async_create makes, in Python's parameter order:
    /// `temporary_directory::async_create({.prefix = "job-", .keep = true})`.
    ///
    /// Views, not owning strings (see tempio/path_view.hpp): what they view
    /// must stay alive until async_create's initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    struct options {
        std::string_view suffix{};        ///< Ends the name; no `/` or NUL.
        std::string_view prefix = "tmp";  ///< Starts the name; no `/` or NUL.
        /// @brief Where the directory goes; empty: gettempdir(). To publish
        /// it (async_persist, async_exchange), on the target's file system:
        /// a rename cannot cross file systems (`cross_device_link`).
        path_view dir{};
        /// Cleanup is best effort: async_cleanup reports no error.
        bool ignore_cleanup_errors = false;
        /// @brief Python's delete=False: the destructor leaves the tree in place (an
        /// explicit async_cleanup still removes it, as CPython's cleanup()).
        bool keep = false;
    };

    /// @brief Constructs an object that holds no directory.
    ///
    /// `path()` is empty; async_cleanup completes at once with success.
    /// @param ex The executor for completions of handlers without their own.
    explicit basic_temporary_directory(const Executor& ex) : executor_(ex) {}
    /// @cond TEMPIO_INTERNAL
    basic_temporary_directory(detail::adopt_core_t, const Executor& ex, detail::directory_ptr core)
        : executor_(ex), core_(std::move(core)) {}
    /// @endcond
    /// @brief Move constructor.
    ///
    /// Moves copy the executor (as Asio's I/O objects do): a moved-from
    /// directory has nothing to clean, and async_cleanup completes at once.
    /// @param other The directory to move from.
    basic_temporary_directory(basic_temporary_directory&& other) noexcept
        : executor_(other.executor_), core_(std::move(other.core_)) {}
    /// @brief Move assignment.
    ///
    /// A directory `*this` still held is released as by the destructor
    /// (removed synchronously unless cleaned up or `keep`). `other` has nothing
    /// to clean afterwards; the executor is copied.
    /// @param other The directory to move from.
    /// @return `*this`.
    basic_temporary_directory& operator=(basic_temporary_directory&& other) noexcept {
        executor_ = other.executor_;
        core_ = std::move(other.core_);
        return *this;
    }
    /// @brief Destructor: the synchronous fallback of async_cleanup.
    ///
    /// Not yet cleaned up at destruction: removed synchronously (unless keep),
    /// with blocking system calls on the calling thread; errors are ignored
    /// and nothing is thrown. A forked child that destroys its copy leaves the
    /// tree alone. Prefer `co_await async_cleanup()`, or
    /// tempio::with_temporary_directory.
    ~basic_temporary_directory() = default;

    /// @brief The executor that runs the completions of handlers that have no
    /// associated executor of their own.
    /// @return A copy of the executor.
    executor_type get_executor() const noexcept { return executor_; }
    /// @brief The absolute path of the directory (Python's `.name`).
    ///
    /// Unchanged by cleanup; after a successful publish (async_persist & co),
    /// the target. Empty for an object that never held a directory. Made on
    /// the first call (a directory nobody asks about costs no
    /// std::filesystem::path).
    /// @return The path.
    /// @throws std::bad_alloc On the first call, when memory runs out.
    const std::filesystem::path& path() const { return detail::public_path_of(core_.get()); }

    /// @brief Stops removing the directory (Rust's `keep()`), after
    /// creation. No I/O.
    ///
    /// As `keep = true` in the options, decided later: the destructor leaves
    /// the tree in place (an explicit async_cleanup still removes it).
    /// @return path(); empty for an object that holds no directory.
    std::filesystem::path keep() { return detail::keep_directory(core_.get()); }

    /// @brief Whether the directory will be left in place when the object
    /// goes: the `keep` option, keep(), or a successful publish (after which
    /// async_cleanup has nothing to do: the target is not a temporary).
    bool kept() const noexcept { return detail::directory_kept(core_.get()); }

    /// @brief Writes `data` to a new file `name` in the directory.
    ///
    /// One job on a worker, whatever the backend: the directory is opened
    /// without following a symbolic link there, and the file created in it
    /// (`O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0666 & ~umask),
    /// written whole and closed; not synced (a durable publish of the
    /// directory flushes it: async_persist). On failure the partial file is
    /// removed. After a successful publish it writes into the published
    /// directory, which is the caller's then.
    /// @param name The file's name: one component, relative to path().
    /// @param data The whole content.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is
    /// done (`operation_aborted`). Once started it completes.
    /// @par Lifetime
    /// None: `name` and `data` are copied before this call returns.
    /// @par Errors
    /// `invalid_argument` for an empty `name`, `.`, `..`, or one with `/` or
    /// NUL; `file_exists` when the name exists (a symbolic link included,
    /// never followed); `no_such_file_or_directory` after cleanup;
    /// `bad_descriptor` for an object with no directory; the error of the
    /// write or close (`ENOSPC`, `EDQUOT`, `EIO`), the file then removed.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_write_file(std::string_view name, std::string_view data, Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [d = std::weak_ptr(core_)](std::string n, std::string bytes, auto h) {
                detail::start_write_directory_file(d.lock(), std::move(n), std::move(bytes),
                                                   std::move(h));
            },
            std::string(name), std::string(data));
    }

    /// @brief Publishes the directory under `target` by renaming it: the
    /// target must be absent or an empty directory (replaced atomically).
    ///
    /// As `async_persist(target, publish_options{}, token)`.
    /// @param target Where the directory goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (see the other
    /// overload).
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, Token&& token = {}) {
        return async_persist(target, publish_options{}, std::forward<Token>(token));
    }
    /// @brief Publishes the directory under `target` by renaming it: the
    /// target must be absent or an empty directory (replaced atomically).
    ///
    /// One job on a worker, whatever the backend. Failure changes nothing;
    /// success: the object refers to `target` (path()), kept() is true, and
    /// nothing removes the published tree: not the destructor, not
    /// with_temporary_directory, and not an explicit async_cleanup, which
    /// then has nothing to do and completes with success (a published
    /// directory is no temporary; one merely kept, by the `keep` option or
    /// keep(), is still removed by an explicit async_cleanup). `durable`:
    /// the whole tree, in the same job, before the rename: every regular
    /// file and every subdirectory is fsynced, depth first, each opened
    /// relative to its parent's descriptor (`O_NOFOLLOW`, never by path;
    /// symbolic links, FIFOs, sockets and devices are neither followed nor
    /// synced), then the directory itself; after the rename, the target's
    /// parent directory. N files and M subdirectories: N+M+1 fsyncs before,
    /// one after. A failed flush (or an unreadable file or directory
    /// inside) is reported and nothing is published. The published
    /// directory keeps mode 0700 unless `o.permissions` is given (the
    /// files inside keep theirs).
    ///
    /// The target is resolved as rename(2) resolves it: its directory part is
    /// opened (following symbolic links) and the rename made relative to it;
    /// trailing slashes are allowed; a final component `.` or `..` is
    /// refused.
    /// @param target Where the directory goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param o Durability and permissions (tempio/publish.hpp).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is done
    /// (`operation_aborted`). Once started it completes.
    /// @par Lifetime
    /// None past the initiation: what `target` views is copied when the
    /// operation is initiated (with `net::deferred`, inside the `co_await`
    /// expression), so the caller's string may be destroyed as soon as the
    /// initiating call has returned.
    /// @par Errors
    /// With `durable`, the first error of the tree's flush (`EIO`,
    /// `EACCES` for an entry that cannot be opened for reading, `EMFILE`
    /// for a tree deeper than the descriptors left): nothing is published.
    /// `directory_not_empty` (`ENOTEMPTY`) for a non-empty target;
    /// `not_a_directory` when the target is a file or a symbolic link;
    /// `cross_device_link`; `no_such_file_or_directory` after cleanup;
    /// `bad_descriptor` for an object with no directory; `invalid_argument`
    /// for an empty target, one with NUL, or a final component `.` or `..`;
    /// the system's error.
    /// With `durable`, an error of the final directory `fsync` is reported
    /// although the directory is published.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::replace, std::forward<Token>(token));
    }
    /// @brief As async_persist, but never replaces anything: file_exists
    /// (EEXIST) when `target` exists, even as an empty directory
    /// (renameat2 RENAME_NOREPLACE).
    /// @param target Where the directory goes.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (as async_persist).
    /// @par Lifetime
    /// As async_persist.
    /// @par Errors
    /// `file_exists` when `target` exists; otherwise as async_persist.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, Token&& token = {}) {
        return async_persist_noclobber(target, publish_options{}, std::forward<Token>(token));
    }
    /// @brief As async_persist, but never replaces anything: file_exists
    /// (EEXIST) when `target` exists, even as an empty directory
    /// (renameat2 RENAME_NOREPLACE).
    /// @param target Where the directory goes.
    /// @param o Durability and permissions (tempio/publish.hpp).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (as async_persist).
    /// @par Lifetime
    /// As async_persist.
    /// @par Errors
    /// `file_exists` when `target` exists; otherwise as async_persist.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::noclobber, std::forward<Token>(token));
    }
    /// @brief Swaps the directory with the existing directory `target`
    /// atomically (renameat2 RENAME_EXCHANGE): readers see the old tree or
    /// the new one. The old tree, now at this object's former name, is then
    /// removed by the secure cleanup; an error there is reported, the swap
    /// stands.
    /// @param target The existing directory to swap with.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (see the other
    /// overload).
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_exchange(path_view target, Token&& token = {}) {
        return async_exchange(target, publish_options{}, std::forward<Token>(token));
    }
    /// @brief Swaps the directory with the existing directory `target`
    /// atomically (renameat2 RENAME_EXCHANGE): readers see the old tree or
    /// the new one.
    ///
    /// One job on a worker. After the swap the object refers to `target` and
    /// keeps it; the old tree, now at this object's former name, is removed
    /// by the secure cleanup in the same job. An error there is reported, the
    /// swap stands, and cleanup_error_path() then names the former path, a
    /// colon, and the failing entry. The target is resolved as for
    /// async_persist: a final component `.` or `..` (`async_exchange("..")`)
    /// is refused before anything is done, so an exchange never swaps with,
    /// nor removes, an ancestor of the current directory. A target that
    /// turns out not to be a directory is swapped back: `not_a_directory`.
    /// `durable` flushes the whole tree before the swap, as async_persist.
    /// @param target The existing directory to swap with.
    /// @param o Durability and permissions (tempio/publish.hpp).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is done
    /// (`operation_aborted`). Once started it completes.
    /// @par Lifetime
    /// None past the initiation: what `target` views is copied when the
    /// operation is initiated (with `net::deferred`, inside the `co_await`
    /// expression), so the caller's string may be destroyed as soon as the
    /// initiating call has returned.
    /// @par Errors
    /// `no_such_file_or_directory` when `target` does not exist (or after
    /// cleanup); `not_a_directory` when it is not a directory (swapped back,
    /// nothing removed); `invalid_argument` as async_persist (`.`, `..`), or
    /// where the file system cannot exchange; `cross_device_link`; the
    /// removal's first error; the system's error.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_exchange(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::exchange, std::forward<Token>(token));
    }
    /// @brief After a failed cleanup: the entry that failed first, relative to
    /// path().
    /// @return The entry's path relative to path() (`""`: the directory itself);
    /// empty when no cleanup failed, or with `ignore_cleanup_errors`.
    std::string cleanup_error_path() const { return detail::cleanup_error_path(core_.get()); }

    /// @brief Removes the directory and everything in it now (Python's
    /// `cleanup()`).
    ///
    /// The whole tree in one job on a worker (with io_uring, an empty
    /// directory is one `rmdir` on the ring). Removes it even with `keep` or
    /// after keep(): an explicit request. After a successful publish
    /// (async_persist, async_persist_noclobber, async_exchange) there is
    /// nothing of ours left: it completes at once with success, and the
    /// published tree stays. Idempotent once it succeeded (then, and for an
    /// object with no directory, it completes at once with success); a failed cleanup
    /// is retried by the next call, or by the destructor. A tree someone
    /// already removed is no error. The remover keeps going after an error and
    /// reports the first one.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// None: cleanup is never cancelled.
    /// Pitfall: inside a coroutine that was already cancelled, `co_await
    /// d.async_cleanup()` throws operation_aborted before it starts (Asio's
    /// awaitable checks the cancellation state at every co_await), and the
    /// cleanup falls to the blocking destructor. tempio::with_temporary_directory
    /// (tempio/scoped.hpp) always awaits the cleanup.
    /// @par Lifetime
    /// Nothing of the caller's. The object may be destroyed while the cleanup
    /// runs; the cleanup completes.
    /// @par Errors
    /// With `ignore_cleanup_errors`, none. Otherwise the first error met
    /// (`EACCES`, `EPERM`, `EBUSY`, `EMFILE`, `ENOMEM`, ...), its entry given
    /// by cleanup_error_path(); everything else that could be removed is gone.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_cleanup(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [d = std::weak_ptr(core_)](auto h) { detail::start_cleanup(d.lock(), std::move(h)); });
    }

    /// @brief Creates a temporary directory; its executor is the handler's
    /// associated executor (for a coroutine, its own).
    ///
    /// One job on a worker: the name retry loop and `mkdir` (with io_uring,
    /// `mkdirat` calls on the ring when `dir` is given or gettempdir() is
    /// already known). With a plain callback, which has no associated
    /// executor, the directory's executor would be Asio's system executor: use
    /// the overload that takes an executor, or `net::bind_executor`.
    /// @param o The options; the strings they view are copied when the
    /// operation starts.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_temporary_directory dir)`: the directory; on
    /// error, an object that holds none.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is
    /// created; if it arrives while the directory is being created, it is
    /// removed again. Both complete with `operation_aborted`.
    /// @par Lifetime
    /// The strings `o` views, until the initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    /// @par Errors
    /// `invalid_argument` (a prefix or suffix with `/` or NUL; a `dir` with
    /// NUL); `ENOENT`, `ENOTDIR`, `EACCES`, ... for a bad `dir`, as the kernel
    /// says; `ENOENT` when `dir` is empty and no temporary directory is usable;
    /// `EEXIST` when `TMP_MAX` names were all taken; the system's error.
    /// Nothing is created.
    template <net::completion_token_for<void(error_code, basic_temporary_directory)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_temporary_directory, detail::directory_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_directory(spec(o), std::move(h)); });
    }
    /// @brief Creates a temporary directory whose executor is `ex`.
    ///
    /// As the other overload; the completion runs on the handler's associated
    /// executor, or `ex` when it has none.
    /// @param ex The directory's executor.
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_temporary_directory dir)`.
    /// @par Per-operation cancellation
    /// As the other overload: `terminal`, `partial`, `total`.
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code, basic_temporary_directory)> Token =
                  net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_temporary_directory, detail::directory_ptr>(
            ex, std::forward<Token>(token),
            [o](auto h) { detail::start_create_directory(spec(o), std::move(h)); });
    }

  private:
    static detail::directory_spec spec(const options& o) {
        return {o.suffix, o.prefix, o.dir, o.ignore_cleanup_errors, o.keep};
    }

    template <class Token>
    auto publish_impl(path_view target, const publish_options& o, detail::publish_how how,
                      Token&& token) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [d = std::weak_ptr(core_), spec = detail::make_publish_spec(target, o, how)](auto h) {
                detail::start_publish_directory(d.lock(), spec, std::move(h));
            });
    }

    executor_type executor_;
    detail::directory_ptr core_;
};

/// basic_temporary_directory on `net::any_io_executor`.
using temporary_directory = basic_temporary_directory<>;

}  // namespace tempio
