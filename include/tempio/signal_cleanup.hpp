/// @file
/// @brief tempio/signal_cleanup.hpp: removing temporaries when the process
/// is ended by a signal or exits (opt-in; docs/publishing.md, "Cleanup on
/// signals and exit").
///
/// Off by default. Once enable_signal_cleanup() was called, every named
/// temporary this process's tempio objects own is registered while it
/// exists: named_temporary_file names (not those created with `keep`),
/// temporary_directory trees (not `keep`), and the hidden
/// `.<target>.XXXXXXXX` names of a publish or an atomic_file in progress.
/// A name leaves the list when tempio removes it, keeps it (`keep()`) or
/// publishes it. mkstemp() and mkdtemp() results are the caller's and are
/// never registered, as in CPython.
///
/// On `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT`, and at `exit` (and a
/// return from `main`), the registered names of this process are removed:
/// files unlinked, then directories emptied and removed (never following a
/// symbolic link; best effort, at most 16 levels and 100000 entries per
/// tree). Then the handler that was installed before runs (a function, with
/// `SA_SIGINFO` or not); where there was none, the default action is
/// restored and the signal raised again, so the process ends as it would
/// have without tempio (same signal, same core dump). tempio never calls
/// `exit`. A signal that was ignored when cleanup was enabled stays ignored.
///
/// Not covered: `SIGKILL`, a crash, `_exit`/`quick_exit`, names longer than
/// PATH_MAX-1 bytes, objects created before enable_signal_cleanup(), and the
/// instant between a name's creation and its registration. A forked child
/// never removes its parent's names (each entry records its owner's pid).
/// A handler installed after enable_signal_cleanup() replaces tempio's:
/// call signal_cleanup_now() from it.
#pragma once

namespace tempio {

/// @brief Turns on cleanup on signals and at exit: installs handlers for
/// `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` (chaining to the handlers
/// installed before) and an `atexit` hook. Idempotent and thread-safe; it
/// cannot be turned off. Call it early: only objects created afterwards are
/// registered.
/// @throws std::system_error when `sigaction` or `atexit` fails.
void enable_signal_cleanup();

/// @brief Whether enable_signal_cleanup() was called (in this process or in
/// the parent it was forked from).
bool signal_cleanup_enabled() noexcept;

/// @brief Removes the registered names of this process now, as the signal
/// handlers do. Async-signal-safe: for an application's own handler for
/// these signals, installed after enable_signal_cleanup() (which replaced
/// tempio's). The objects stay usable as objects; their names are gone.
void signal_cleanup_now() noexcept;

}  // namespace tempio
