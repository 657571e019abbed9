/// @file
/// @brief tempio/tempdir.hpp: the directory temporary files go to by default.
///
/// Search order, as CPython's `tempfile.gettempdir()`: `$TMPDIR`, `$TEMP`,
/// `$TMP` (when non-empty), `/tmp`, `/var/tmp`, `/usr/tmp`, then the current
/// directory. The first where a probe file can really be created and written
/// wins (the probe is removed). The result is absolute, cached, and
/// thread-safe to read.
///
/// Asynchronous forms: the search (on first use) runs on a worker. Not
/// cancellable once started; cancellation before start completes with
/// `operation_aborted`. Complete with `void(error_code, path)` /
/// `void(error_code, string)`.
#pragma once

#include <filesystem>
#include <string>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"

namespace tempio {

/// @brief The directory temporary files go to by default (CPython's
/// `tempfile.gettempdir()`). Blocking.
///
/// Blocking; throw system_error(ENOENT, naming the candidates) when no
/// candidate is usable. The first call (and the first after
/// `set_tempdir({})`) searches the candidates, creating, writing and removing
/// a probe file in each until one works; later calls return the cached result
/// without a system call. Thread-safe: concurrent first calls search once. In
/// asynchronous code, use async_gettempdir (or call this once at start-up).
/// @return The absolute path, or the set_tempdir() override.
/// @throws system_error `ENOENT`, with a message naming the candidates, when
/// none is usable.
std::filesystem::path gettempdir();
/// @brief As the other overload, reporting errors through `ec` instead of
/// throwing.
/// @param ec Set to `ENOENT` when no candidate is usable, or cleared.
/// @return The absolute path; empty on error.
std::filesystem::path gettempdir(error_code& ec);
/// @brief The same directory as raw native bytes (CPython's
/// `tempfile.gettempdirb()`). Blocking, as gettempdir().
/// @return The absolute path's bytes.
/// @throws system_error As gettempdir().
std::string gettempdirb();
/// @brief As the other overload, reporting errors through `ec` instead of
/// throwing.
/// @param ec Set to `ENOENT` when no candidate is usable, or cleared.
/// @return The absolute path's bytes; empty on error.
std::string gettempdirb(error_code& ec);

/// @brief Overrides the directory (like assigning `tempfile.tempdir`).
///
/// An empty path makes the next call search again (and see changed
/// environment variables). A relative path is made absolute against the
/// current directory now. The directory is not checked: a bad one shows in
/// the errors of the creations that use it. Thread-safe; affects the whole
/// process, and creations that start later.
/// @param dir The directory, or empty to search again.
/// @throws system_error `invalid_argument` for a path with an embedded NUL;
/// the error of `getcwd` for a relative path that cannot be made absolute.
/// Nothing changes then.
void set_tempdir(std::filesystem::path dir);

namespace detail {
void start_gettempdir(handler<std::filesystem::path> h);
void start_gettempdirb(handler<std::string> h);
}  // namespace detail

/// @brief gettempdir() without blocking the caller: the lookup (the search, on
/// first use) runs as one job on a worker.
///
/// The completion runs on the handler's associated executor (for a coroutine,
/// its own; a plain callback with none runs on Asio's system executor), never
/// inside this call.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec, std::filesystem::path dir)`: the absolute path; empty
/// on error.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`, before the job starts: nothing done,
/// `operation_aborted`. A search that started completes.
/// @par Lifetime
/// Nothing of the caller's.
/// @par Errors
/// `ENOENT` when no candidate is usable; `EAGAIN` or `ENOMEM` when no worker
/// thread could be started.
template <
    net::completion_token_for<void(error_code, std::filesystem::path)> Token = net::deferred_t>
auto async_gettempdir(Token&& token = {}) {
    return detail::initiate<std::filesystem::path>(
        std::forward<Token>(token), [](auto h) { detail::start_gettempdir(std::move(h)); });
}

/// @brief gettempdirb() without blocking the caller: as async_gettempdir, with
/// the path as raw native bytes.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec, std::string dir)`: the absolute path's bytes; empty on
/// error.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`, before the job starts (as async_gettempdir).
/// @par Lifetime
/// Nothing of the caller's.
/// @par Errors
/// As async_gettempdir.
template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
auto async_gettempdirb(Token&& token = {}) {
    return detail::initiate<std::string>(std::forward<Token>(token),
                                         [](auto h) { detail::start_gettempdirb(std::move(h)); });
}

}  // namespace tempio
