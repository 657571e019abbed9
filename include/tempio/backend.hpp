// tempio/backend.hpp: where tempio runs its blocking work.
//
// TEMPIO_BACKEND (read once, at the first operation) chooses:
//   threads   the worker pool only; io_uring_setup is never called.
//   io_uring, auto (the default; also any other value)
//             io_uring when this build has liburing and the kernel lets this
//             process set up a ring with the calls tempio needs; otherwise
//             (ENOSYS, EPERM, EACCES, ENOMEM, kernel.io_uring_disabled=2, ...)
//             the worker pool.
// With io_uring, operations whose completion runs on an io_context (its
// executor, a strand of it, or an any_io_executor holding it: coroutines)
// use that io_context's ring for creating files and directories, closing a
// file with nothing buffered, removing an empty directory, reads, and writes
// past the buffer. Everything else runs on the pool. docs/design-decisions.md.
//
// The worker-pool backend runs each user-visible operation as one job on a
// bounded pool of threads, started on demand. Its bound comes from, in order:
// set_worker_threads(), the TEMPIO_THREADS environment variable, 4.
#pragma once

#include <cstddef>

namespace tempio {

// At most `n` worker threads from now on (1..256). Threads already started
// stay until exit.
void set_worker_threads(std::size_t n);
std::size_t worker_threads();

// "io_uring" or "threads": the backend this process chose.
const char* backend_name() noexcept;

}  // namespace tempio
