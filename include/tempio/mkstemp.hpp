/// @file
/// @brief tempio/mkstemp.hpp: the low-level calls, as CPython's
/// `tempfile.mkstemp` and `tempfile.mkdtemp`. The caller owns what they create.
///
/// Names are prefix + 8 random characters of `[a-z0-9_]` + suffix; a name that
/// exists (file or directory) is skipped, up to `TMP_MAX` tries (then `EEXIST`).
/// Files: `O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0600. Directories:
/// mode 0700. An empty `dir` means gettempdir(). Returned paths are absolute.
/// Errors, with nothing created: `invalid_argument` for a prefix or suffix with
/// `/` or NUL; what the kernel says for a bad `dir` (`ENOENT`, `ENOTDIR`,
/// `EACCES`).
///
/// Asynchronous forms: the whole retry loop is one job on a worker.
/// Cancellation (terminal, partial, total): before the job starts, nothing is
/// done; if it arrives while the file or directory is being created, it is
/// removed again. Both complete with `operation_aborted`.
#pragma once

#include <filesystem>
#include <string_view>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/path_view.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio {

/// @brief What mkstemp and async_mkstemp make, in Python's parameter order:
/// `tempio::mkstemp({.suffix = ".csv"})`.
///
/// Views, not owning strings (see tempio/path_view.hpp): what they view must
/// stay alive for the call (with `net::deferred`, until the `co_await`
/// completes).
struct mkstemp_options {
    std::string_view suffix{};        ///< Ends the name; no `/` or NUL.
    std::string_view prefix = "tmp";  ///< Starts the name; no `/` or NUL.
    path_view dir{};                  ///< Where the file goes; empty: gettempdir().
    bool text = false;                ///< no difference on POSIX; kept for parity with Python
};

/// @brief What mkstemp makes: `auto [fd, path] = tempio::mkstemp();`.
///
/// The caller owns both: the descriptor closes with `fd`; the file stays until
/// the caller deletes it.
struct mkstemp_result {
    unique_fd fd{};                ///< The open file (read and write).
    std::filesystem::path path{};  ///< Its absolute path.
};

/// @brief What mkdtemp and async_mkdtemp make, in Python's parameter order.
///
/// Views, as mkstemp_options.
struct mkdtemp_options {
    std::string_view suffix{};        ///< Ends the name; no `/` or NUL.
    std::string_view prefix = "tmp";  ///< Starts the name; no `/` or NUL.
    path_view dir{};                  ///< Where the directory goes; empty: gettempdir().
};

/// @brief Creates a file with a unique name and opens it (CPython's
/// `tempfile.mkstemp`). Blocking.
///
/// Makes its system calls on the calling thread (the first use of
/// gettempdir() also searches the candidates): in asynchronous code, use
/// async_mkstemp. The caller deletes the file.
/// @param options The name's parts and directory.
/// @return The open descriptor and the absolute path.
/// @throws system_error `invalid_argument` (a prefix or suffix with `/` or
/// NUL, a `dir` with NUL); `ENOENT`, `ENOTDIR`, `EACCES`, ... for a bad `dir`;
/// `ENOENT` when `dir` is empty and no temporary directory is usable; `EEXIST`
/// when `TMP_MAX` names were all taken; the system's error (`EMFILE`, ...).
/// Nothing is created.
mkstemp_result mkstemp(const mkstemp_options& options = {});
/// @brief As the other overload, reporting errors through `ec` instead of
/// throwing.
/// @param options The name's parts and directory.
/// @param ec Set to the error (the ones listed for the other overload), or
/// cleared.
/// @return The descriptor and path; an empty result on error.
mkstemp_result mkstemp(const mkstemp_options& options, error_code& ec);
/// @brief Creates a directory with a unique name, mode 0700 (CPython's
/// `tempfile.mkdtemp`). Blocking.
///
/// Makes its system calls on the calling thread: in asynchronous code, use
/// async_mkdtemp. The caller removes the directory.
/// @param options The name's parts and directory.
/// @return The directory's absolute path.
/// @throws system_error As mkstemp.
std::filesystem::path mkdtemp(const mkdtemp_options& options = {});
/// @brief As the other overload, reporting errors through `ec` instead of
/// throwing.
/// @param options The name's parts and directory.
/// @param ec Set to the error (the ones listed for mkstemp), or cleared.
/// @return The absolute path; empty on error.
std::filesystem::path mkdtemp(const mkdtemp_options& options, error_code& ec);

namespace detail {
void start_mkstemp(const mkstemp_options& options, handler<mkstemp_result> h);
void start_mkdtemp(const mkdtemp_options& options, handler<std::filesystem::path> h);
}  // namespace detail

/// @brief Creates a file with a unique name and opens it, asynchronously
/// (CPython's `tempfile.mkstemp`).
///
/// The whole retry loop is one job on a worker (with io_uring, `openat` calls
/// on the ring when `dir` is given or gettempdir() is already known). The
/// completion runs on the handler's associated executor (for a coroutine, its
/// own; a plain callback with none runs on Asio's system executor), never
/// inside this call. The caller deletes the file.
/// @param options The name's parts and directory; the strings they view are
/// copied when the operation starts.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec, mkstemp_result r)`: the open descriptor and the
/// absolute path; an empty result on error.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`: before the job starts, nothing is done; if
/// it arrives while the file is being created, the file is closed and removed
/// again. Both complete with `operation_aborted`. A result whose completion is
/// never delivered (the io_context destroyed first) is removed too.
/// @par Lifetime
/// The strings `options` views, until the initiation has run (with
/// `net::deferred`, until the `co_await` completes).
/// @par Errors
/// As mkstemp. Nothing is created.
template <net::completion_token_for<void(error_code, mkstemp_result)> Token = net::deferred_t>
auto async_mkstemp(mkstemp_options options, Token&& token = {}) {
    return detail::initiate<mkstemp_result>(
        std::forward<Token>(token),
        [](mkstemp_options o, auto h) { detail::start_mkstemp(o, std::move(h)); }, options);
}

/// @brief Creates a directory with a unique name, mode 0700, asynchronously
/// (CPython's `tempfile.mkdtemp`).
///
/// The whole retry loop is one job on a worker (with io_uring, `mkdirat` calls
/// on the ring when `dir` is given or gettempdir() is already known). The
/// completion runs on the handler's associated executor, never inside this
/// call. The caller removes the directory (temporary_directory removes its
/// own).
/// @param options The name's parts and directory; the strings they view are
/// copied when the operation starts.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec, std::filesystem::path path)`: the absolute path; empty
/// on error.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`: before the job starts, nothing is done; if
/// it arrives while the directory is being created, it is removed again. Both
/// complete with `operation_aborted`. A directory whose completion is never
/// delivered is removed too.
/// @par Lifetime
/// The strings `options` views, until the initiation has run (with
/// `net::deferred`, until the `co_await` completes).
/// @par Errors
/// As mkstemp. Nothing is created.
template <
    net::completion_token_for<void(error_code, std::filesystem::path)> Token = net::deferred_t>
auto async_mkdtemp(mkdtemp_options options, Token&& token = {}) {
    return detail::initiate<std::filesystem::path>(
        std::forward<Token>(token),
        [](mkdtemp_options o, auto h) { detail::start_mkdtemp(o, std::move(h)); }, options);
}

}  // namespace tempio
