// Where blocking work runs. Today: a bounded pool of worker threads.
#pragma once

#include <cstddef>
#include <memory>

namespace tempio::detail {

// A unit of blocking work. run() is called once, on a worker thread, and
// owns the job from then on (it deletes it, usually by handing it on).
struct job {
    virtual ~job() = default;
    virtual void run() noexcept = 0;
    job* next = nullptr;
};

// Queues `j` for a worker. Never runs it on the calling thread.
void submit(std::unique_ptr<job> j);

// Jobs run so far by workers (tests use it to prove "no hop").
unsigned long jobs_run() noexcept;

// True on a worker thread of the pool.
bool on_worker_thread() noexcept;

}  // namespace tempio::detail
