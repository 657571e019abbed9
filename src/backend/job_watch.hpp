// Per execution context, the service that keeps "destroyed means gone" for
// the jobs that complete into it (backend.hpp, job), and that holds their
// completions while they wait for a batch (deliver_in_batch).
#pragma once

#include <atomic>

#include <boost/asio/execution_context.hpp>

#include "backend/backend.hpp"
#include "tempio/config.hpp"

namespace tempio::detail {

// Its destruction orphans the jobs that complete into its context.
// Services are shut down newest first, so this one before the context's
// scheduler, which then destroys what a released handler posted (a
// coroutine's frame). A context has it as soon as it has a job.
class job_watch final : public net::execution_context::service {
  public:
    static net::execution_context::id id;

    explicit job_watch(net::execution_context& ctx) : service(ctx) {}
    ~job_watch() override;

    // The registered watch of its context (what use_service returned).
    void hand_out() noexcept {
        if (!handed_out_.load(std::memory_order_relaxed))
            handed_out_.store(true, std::memory_order_release);
    }
    bool accepts() const noexcept { return !shut_down_.load(std::memory_order_acquire); }

    // The batch (deliver_in_batch), for an io_context: a lock-free stack of
    // completions, newest first. push() is true when it was empty: the
    // caller then owes the drain that takes all of it (post_drain), now or
    // after a few more brief jobs on its worker (thread_pool.cpp). While the
    // batch is not empty, a drain is posted, owed or running, and each
    // completion in it holds its io_context's work: run() does not return.
    bool push(job* j) noexcept;
    void post_drain() noexcept;

  private:
    // Puts the list newest..oldest (linked by next) in front of the batch;
    // true when the batch was empty.
    bool prepend(job* newest, job* oldest) noexcept;
    void drain();
    void requeue(job* rest) noexcept;
    void take_back_and_post_singly() noexcept;
    void shutdown() override;

    std::atomic<bool> shut_down_{false};
    std::atomic<bool> handed_out_{false};
    std::atomic<job*> batch_{nullptr};
};

}  // namespace tempio::detail
