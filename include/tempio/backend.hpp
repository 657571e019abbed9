/// @file
/// @brief tempio/backend.hpp: where tempio runs its blocking work.
///
/// `TEMPIO_BACKEND` (read once, at the first operation) chooses:
/// - `auto` (the default; also any unknown value) and `threads`: the worker
///   pool; `io_uring_setup` is never called. Measured on tmpfs and on disk,
///   the pool was as fast as the ring or faster for most workloads and kept
///   the loop's timer lag lower (docs/performance.md).
/// - `io_uring`: io_uring when this build has liburing and the kernel lets
///   this process set up a ring with the calls tempio needs; otherwise
///   (`ENOSYS`, `EPERM`, `EACCES`, `ENOMEM`, `kernel.io_uring_disabled=2`,
///   ...) the worker pool.
///
/// With io_uring, operations whose completion runs on an io_context (its
/// executor, a strand of it, or an any_io_executor holding it: coroutines)
/// use that io_context's ring for creating files and directories, closing a
/// file (its buffered bytes, close, the name's identity-checked removal),
/// removing an empty directory, reads, and writes past the buffer.
/// Everything else runs on the pool. docs/design-decisions.md.
///
/// On a memory file system (tmpfs, ramfs), a creation, a close, the first
/// `rmdir` of a cleanup, and an atomic_file's creation, commit or abandon
/// make their system calls on the calling thread (a few microseconds each,
/// less than one thread hand-off) when no other operation of the process
/// is in flight: one file at a time costs its system calls, not two thread
/// wake-ups. Completions are still posted, never run inside the initiating
/// call, except that a coroutine's `co_await` resumes there, as for any
/// operation that completes at once (async_file.hpp). With other
/// operations in flight they go to the workers, so that a loop churning
/// many files never runs a burst of them between two looks at its timers.
/// A directory is learned to be on a memory file system by an
/// operation on a worker (no `statfs` on the calling thread), then cached.
/// `TEMPIO_INLINE` (read once) changes that: `never` (or `off`): nothing
/// runs on the calling thread; `on`: those operations always do, in flight
/// or not; `writes`: the default, and writes and flushes of at most 128 KiB
/// together with the buffer run at once too (`on` includes them). `on` and
/// `writes` help one stream and cost many concurrent ones: the kernel's
/// work lands on the loop thread and its p99 timer lag grows
/// (docs/performance.md).
///
/// The worker-pool backend runs each user-visible operation as one job on a
/// bounded pool of threads, started on demand. Its bound comes from, in order:
/// set_worker_threads(), the `TEMPIO_THREADS` environment variable, the
/// number of CPUs clamped to 2..4.
/// Workers run at a lower priority than the threads that submit to them:
/// `TEMPIO_WORKER_NICE` (0 to 19, default 5) is added to the submitting
/// thread's nice value; 0 keeps it.
#pragma once

#include <cstddef>

namespace tempio {

/// @brief At most `n` worker threads from now on (1..256). Threads already
/// started stay until exit.
///
/// Overrides `TEMPIO_THREADS`. Thread-safe; call it early (before the first
/// operation) to size the pool from the start.
/// @param n The bound; values outside 1..256 are clamped into it.
void set_worker_threads(std::size_t n);
/// @brief The worker pool's current bound on threads.
///
/// The first call without set_worker_threads() decides it from
/// `TEMPIO_THREADS` (a positive number, 256 at most; anything else is
/// ignored), else the number of CPUs clamped to 2..4.
/// @return The bound, 1..256.
std::size_t worker_threads();

/// @brief The backend this process chose: `"io_uring"` or `"threads"`.
///
/// The first call (or the first operation) makes the choice: it reads
/// `TEMPIO_BACKEND` and, unless it says `threads`, probes io_uring.
/// @return A static string: `"io_uring"` or `"threads"`.
const char* backend_name() noexcept;

}  // namespace tempio
