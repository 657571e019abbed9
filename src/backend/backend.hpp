// Where blocking work runs: a bounded pool of worker threads, and (backend
// io_uring) a ring per io_context for the operations in backend/ring.hpp.
#pragma once

#include <cstddef>
#include <memory>

#include <boost/system/error_code.hpp>

namespace boost::asio {
class execution_context;
}

namespace tempio::detail {

// A unit of blocking work. On a worker, run() makes its calls, then
// complete() delivers the result (it owns the job from then on: it deletes
// it, usually by handing it on). Or reject() instead of both (the pool could
// not take it), called once.
//
// Destroyed means gone, for the execution context a job completes into
// (`context`, null: none): when that context is destroyed first, the job
// never touches it (orphan_jobs): still queued, it is deleted on the
// destroying thread without running; running, release_completion() drops
// what refers to the context on the destroying thread, and the worker then
// deletes the job instead of calling complete() (the job's destructor
// undoes a result that was never delivered).
struct job {
    virtual ~job() = default;
    virtual void run() noexcept = 0;
    virtual void complete() noexcept = 0;
    virtual void reject(boost::system::error_code ec) noexcept = 0;
    // The completion's context is being destroyed: drop the handler and
    // whatever else refers to it, running no user code but destructors.
    virtual void release_completion() noexcept {}
    // Runs the completion, on a thread running `context` (an io_context),
    // from deliver_in_batch. May throw what the handler throws.
    virtual void deliver() { delete this; }
    boost::asio::execution_context* context = nullptr;
    job* next = nullptr;
    class job_watch* watch = nullptr;  // context's, set by watch_jobs_of
    // A few system calls on one file, never waiting for user code: a worker
    // may hold a batch's drain across it (deliver_in_batch).
    bool brief = false;
};

// Queues `j` for a worker. Never runs it on the calling thread. When no
// worker exists and none can be started (EAGAIN: RLIMIT_NPROC, memory), the
// job is taken back and rejected with that error, never left queued.
void submit(std::unique_ptr<job> j);

// Makes sure that the destruction of `ctx` orphans the jobs that complete
// into it (see job): a service of `ctx` calls orphan_jobs from its
// shutdown(). Sets j.context and j.watch. False when `ctx` is already
// shutting down: a job made now must not complete into it.
bool watch_jobs_of(boost::asio::execution_context& ctx, job& j);

// Delivers `j` (j->deliver()) on a thread running j's context, an
// io_context (watch_jobs_of was called for it), with
// the other completions that arrived meanwhile: one post per batch, not one
// per completion. A post from a worker takes the io_context's mutex, which
// its thread takes for every handler it runs: with many operations in
// flight, one post each made that mutex the most contended lock in the
// process (docs/performance.md, "Completions in batches"). In order per
// posting thread. Never inside this call. Completions still waiting when
// the context is destroyed are deleted, not run (destroyed means gone).
void deliver_in_batch(std::unique_ptr<job> j) noexcept;

// On the thread destroying `ctx`: the queued jobs of `ctx` are deleted,
// the running ones orphaned (see job). Returns once no worker can touch
// `ctx` any more (a job already delivering is waited for: a post).
void orphan_jobs(boost::asio::execution_context& ctx) noexcept;

#if TEMPIO_TEST_SEAM
// Test builds only: jobs taken by workers so far, counted before each runs
// (tests use it to prove "no hop": a completion seen means its job was
// counted); jobs finished, counted once the completion is posted or the
// orphaned job deleted (a job dropped from the queue never counts); whether
// the calling thread is a worker.
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
