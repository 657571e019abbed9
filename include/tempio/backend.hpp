// tempio/backend.hpp: where tempio runs its blocking work.
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

// "threads" (the worker pool).
const char* backend_name() noexcept;

}  // namespace tempio
