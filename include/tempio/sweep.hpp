/// @file
/// @brief tempio/sweep.hpp: removing what interrupted publishes left behind
/// (DESIGN section 12, docs/publishing.md).
///
/// A publish that is killed at the wrong instant can leave one hidden name
/// beside its target: `.<target name>.XXXXXXXX` (8 characters of
/// `[a-z0-9_]`), an atomic_file's hidden file where the file system has no
/// `O_TMPFILE`, or the link of the replace window (link, then rename). A
/// service sweeps them at start-up with async_sweep_stale.
///
/// The sweep removes an entry only when all of these hold: its name has
/// exactly that pattern (a leading `.`, a non-empty name, a `.`, then 8
/// characters of the name alphabet, nothing after); it is a regular file
/// (never followed: a symbolic link, a directory, a FIFO or a device is left
/// alone, and so is what a link points to); it belongs to the effective user
/// (`geteuid()`); and its modification time is at least `min_age` old. It
/// reads the directory through one opened descriptor and never recurses.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/path_view.hpp"

namespace tempio {

/// @brief What async_sweep_stale removes:
/// `tempio::async_sweep_stale(dir, {.min_age = std::chrono::minutes(10)})`.
///
/// Trivially destructible, so it is safe in a `co_await` expression with
/// g++ 12 (see tempio/path_view.hpp).
struct sweep_options {
    /// @brief Only names whose file was last modified at least this long ago
    /// (`st_mtime` against the system clock when the sweep starts). The
    /// default, one hour, leaves alone the hidden file of an atomic_file
    /// another process of the same user is still writing; an atomic_file left
    /// open without a write for longer loses its hidden file (its commit then
    /// fails with `no_such_file_or_directory`; the target is untouched). Zero:
    /// every matching name, for a directory no running process publishes to.
    std::chrono::nanoseconds min_age = std::chrono::hours(1);
    /// @brief When not empty, only the hidden names of this target (its
    /// final component, e.g. `"config.json"`, cut to its first 245 bytes as
    /// the hidden names are); empty: those of any target.
    std::string_view target{};
};

static_assert(std::is_trivially_destructible_v<sweep_options>);

/// @brief What a sweep did: the names it removed, and how many matching
/// names it left, by reason.
struct sweep_result {
    /// The names removed (final components, relative to the directory), in
    /// the order the directory listed them.
    std::vector<std::string> removed{};
    /// Matching regular files of ours, modified less than `min_age` ago.
    std::size_t too_young = 0;
    /// Matching regular files of another user.
    std::size_t not_ours = 0;
    /// Matching names that are no regular file: symbolic links (never
    /// followed), directories, FIFOs, sockets, devices.
    std::size_t not_regular = 0;
    /// Matching names gone, or replaced by another file, between the listing
    /// and the removal (another sweep, or the publish finishing): left alone.
    std::size_t vanished = 0;
};

/// @brief Removes the stale hidden names of interrupted publishes in `dir`.
/// Blocking.
///
/// Makes its system calls on the calling thread: in asynchronous code, use
/// async_sweep_stale.
/// @param dir The directory to sweep (not recursively); a relative one is
/// resolved against the current directory. Followed if it is a symbolic
/// link.
/// @param options Minimum age and target (sweep_options).
/// @return What was removed and what was left.
/// @throws system_error As async_sweep_stale's errors.
sweep_result sweep_stale(path_view dir, const sweep_options& options = {});
/// @brief As the other overload, reporting errors through `ec` instead of
/// throwing.
/// @param dir The directory to sweep.
/// @param options Minimum age and target.
/// @param ec Set to the first error, or cleared.
/// @return What was removed, also when `ec` is set.
sweep_result sweep_stale(path_view dir, const sweep_options& options, error_code& ec);

namespace detail {
void start_sweep_stale(path_view dir, const sweep_options& options, handler<sweep_result> h);
}  // namespace detail

/// @brief Removes the stale hidden names of interrupted publishes in `dir`,
/// asynchronously: one job on a worker, whatever the backend.
///
/// For each entry of `dir` (read through one opened descriptor, not
/// recursively) whose name matches `.<name>.XXXXXXXX`: `fstatat` without
/// following a symbolic link; a regular file of the effective user, at least
/// `min_age` old, is checked again (same device, inode and modification
/// time) right before `unlinkat`. POSIX has no unlink-if-same-file: between
/// that check and the unlink, a process allowed to rename names in `dir` can
/// put another file under the name, whose name is then removed (never what a
/// symbolic link points to: `unlinkat` does not follow links), as it could
/// have removed it itself. In a sticky directory (`/tmp`) nobody else can.
///
/// The completion runs on the handler's associated executor, never inside
/// this call.
/// @param dir The directory to sweep: copied when the operation is
/// initiated, a relative one resolved against the current directory then.
/// @param options Minimum age and target (sweep_options).
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation: with `net::deferred`, an
/// operation to `co_await` or to start later.
/// @par Completion signature
/// `void(error_code ec, sweep_result r)`: with an error, `r` still lists
/// what was removed.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`: before the job starts, nothing is done
/// (`operation_aborted`). Once started it completes.
/// @par Lifetime
/// What `dir` and `options.target` view, until the initiation has run (with
/// `net::deferred`, until the `co_await` completes).
/// @par Errors
/// `invalid_argument` for an empty `dir` or one with NUL;
/// `no_such_file_or_directory`, `not_a_directory`, `permission_denied`, ...
/// when `dir` cannot be opened and read; the first error of a removal
/// (`EPERM`, `EACCES`, `EROFS`, ...): the sweep goes on with the other names
/// and reports it at the end.
template <net::completion_token_for<void(error_code, sweep_result)> Token = net::deferred_t>
auto async_sweep_stale(path_view dir, sweep_options options, Token&& token = {}) {
    return detail::initiate<sweep_result>(
        std::forward<Token>(token),
        [](path_view d, sweep_options o, auto h) { detail::start_sweep_stale(d, o, std::move(h)); },
        dir, options);
}

/// @brief As async_sweep_stale(dir, sweep_options{}, token): hidden names of
/// any target, at least an hour old.
/// @param dir The directory to sweep.
/// @param token The completion token (default `net::deferred`).
/// @return What the token makes of the operation.
/// @par Completion signature
/// `void(error_code ec, sweep_result r)`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <net::completion_token_for<void(error_code, sweep_result)> Token = net::deferred_t>
auto async_sweep_stale(path_view dir, Token&& token = {}) {
    return async_sweep_stale(dir, sweep_options{}, std::forward<Token>(token));
}

}  // namespace tempio
