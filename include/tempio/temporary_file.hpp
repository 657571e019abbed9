/// @file
/// @brief tempio/temporary_file.hpp: a file with no name (CPython's
/// `TemporaryFile`).
///
/// Created with `O_TMPFILE` where the file system supports it, so it never has a
/// name; elsewhere created with a random name and unlinked at once. Closing
/// (or destroying) it releases it.
///
/// async_create: one job on a worker. Cancellation (terminal, partial, total):
/// before the job starts nothing is created; during it, the file is closed again.
/// Both complete with `operation_aborted`. Errors: `invalid_argument` for a bad
/// mode or prefix/suffix; the system's error for a bad dir.
#pragma once

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

/// @brief A temporary file with no name (CPython's `TemporaryFile`), made by
/// async_create; its operations are basic_async_file's.
///
/// Created with `O_TMPFILE` (`open(2)` on the directory: the file never has a
/// name) where the file system supports it; elsewhere with a random name,
/// `O_EXCL` and mode 0600, unlinked at once (never in a directory where the
/// name could not be removed again). Closing or destroying the object releases
/// the file. Move-only.
///
/// @tparam Executor The type of the file's executor (default
/// `net::any_io_executor`).
template <class Executor = net::any_io_executor>
class basic_temporary_file : public basic_async_file<Executor> {
  public:
    /// @brief What async_create makes, in Python's parameter order, so that a
    /// designated initializer reads like the Python call:
    /// `temporary_file::async_create({.mode = "w+", .suffix = ".txt"})`.
    ///
    /// Views, not owning strings (see tempio/path_view.hpp): what they view
    /// must stay alive until async_create's initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    struct options {
        /// @brief Python/`fopen` mode: letters `r w a x + b t`, exactly one of
        /// `r w a x`, each at most once, not both `b` and `t`. `"w+"` and
        /// `"w+b"` behave the same (bytes in `std::string`).
        std::string_view mode = "w+b";
        std::size_t buffering = 65536;  ///< write buffer; 0 = unbuffered
        /// Appended to the name (unused with `O_TMPFILE`); no `/` or NUL.
        std::string_view suffix{};
        /// Starts the name (unused with `O_TMPFILE`); no `/` or NUL.
        std::string_view prefix = "tmp";
        /// @brief Where the file goes; empty: gettempdir(). To publish a
        /// `linkable` file, on the target's file system: a link cannot cross
        /// file systems (`cross_device_link`).
        path_view dir{};
        /// `O_TMPFILE` without `O_EXCL`, so that async_persist can give it a
        /// name later; publishing one that is not fails with
        /// operation_not_permitted. Files never published keep CPython's
        /// `O_TMPFILE|O_EXCL`.
        bool linkable = false;
    };

    using basic_async_file<Executor>::basic_async_file;
    using basic_async_file<Executor>::async_persist;
    using basic_async_file<Executor>::async_persist_noclobber;

    /// @brief Creates a temporary file; its executor is the handler's
    /// associated executor (for a coroutine, its own).
    ///
    /// One job on a worker (with io_uring, an `openat` on the ring when `dir`
    /// is given or gettempdir() is already known). With a plain callback,
    /// which has no associated executor, the file's executor would be Asio's
    /// system executor: use the overload that takes an executor, or
    /// `net::bind_executor`.
    /// @param o The options; the strings they view are copied when the
    /// operation starts.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_temporary_file file)`: the open file; on
    /// error, an object that holds none.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is
    /// created; if it arrives while the file is being created, the file is
    /// closed (and its name removed) again. Both complete with
    /// `operation_aborted`. No file or descriptor is leaked.
    /// @par Lifetime
    /// The strings `o` views, until the initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    /// @par Errors
    /// `invalid_argument` (a bad mode; a prefix or suffix with `/` or NUL; a
    /// `dir` with NUL); `ENOENT`, `ENOTDIR`, `EACCES`, ... for a bad `dir`, as
    /// the kernel says; `ENOENT` when `dir` is empty and no temporary directory
    /// is usable; `EPERM` for an append-only directory where `O_TMPFILE` is
    /// not supported; `EEXIST` when `TMP_MAX` names were all taken; the
    /// system's error (`EMFILE`, `ENOSPC`, `EROFS`, ...). Nothing is created.
    template <
        net::completion_token_for<void(error_code, basic_temporary_file)> Token = net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_temporary_file, detail::file_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }
    /// @brief Creates a temporary file whose executor is `ex`.
    ///
    /// As the other overload; the completion runs on the handler's associated
    /// executor, or `ex` when it has none.
    /// @param ex The file's executor.
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_temporary_file file)`.
    /// @par Per-operation cancellation
    /// As the other overload: `terminal`, `partial`, `total`.
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <
        net::completion_token_for<void(error_code, basic_temporary_file)> Token = net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_temporary_file, detail::file_ptr>(
            ex, std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }

  private:
    static detail::file_spec spec(const options& o) {
        return {.kind = detail::file_kind_tag::anonymous,
                .mode = o.mode,
                .buffering = o.buffering,
                .suffix = o.suffix,
                .prefix = o.prefix,
                .dir = o.dir,
                .linkable = o.linkable};
    }
};

/// basic_temporary_file on `net::any_io_executor`.
using temporary_file = basic_temporary_file<>;

}  // namespace tempio
