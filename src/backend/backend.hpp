// Where blocking work runs: a bounded pool of worker threads, and (backend
// io_uring) a ring per io_context for the operations in backend/ring.hpp.
#pragma once

#include <cstddef>
#include <memory>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

// A unit of blocking work. Exactly one of run() (on a worker thread) or
// reject() (the pool could not take it) is called, once; it owns the job
// from then on (it deletes it, usually by handing it on).
struct job {
    virtual ~job() = default;
    virtual void run() noexcept = 0;
    virtual void reject(boost::system::error_code ec) noexcept = 0;
    job* next = nullptr;
};

// Queues `j` for a worker. Never runs it on the calling thread. When no
// worker exists and none can be started (EAGAIN: RLIMIT_NPROC, memory), the
// job is taken back and rejected with that error, never left queued.
void submit(std::unique_ptr<job> j);

#if TEMPIO_TEST_SEAM
// Test builds only: jobs taken by workers so far, counted before each runs
// (tests use it to prove "no hop": a completion seen means its job was
// counted); jobs finished, counted once the completion is posted (after
// which the io_context may go); whether the calling thread is a worker.
unsigned long jobs_run() noexcept;
unsigned long jobs_finished() noexcept;
bool on_worker_thread() noexcept;
#endif

enum class backend_kind { threads, io_uring };

// The process's backend, chosen once from TEMPIO_BACKEND (see choose_backend).
backend_kind active_backend() noexcept;

// The backend for a TEMPIO_BACKEND value (null: unset). "io_uring" probes
// it and falls back to threads when it cannot be used (backend/ring.hpp,
// ring_usable); "auto", "threads" and anything else are threads, which
// never touch io_uring.
backend_kind choose_backend(const char* env) noexcept;

}  // namespace tempio::detail
