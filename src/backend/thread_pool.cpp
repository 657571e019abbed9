// The worker-pool backend: threads are started on demand up to a bound
// (tempio::set_worker_threads, TEMPIO_THREADS; default 4) and wait on one
// queue. A forked child starts with a fresh, empty pool.
//
// Priority: workers run at a lower priority than the threads that submit to
// them (TEMPIO_WORKER_NICE, default +5 over the thread's nice value; 0 keeps
// it). When workers saturate the CPUs, the event loop still gets a CPU as
// soon as a completion wakes it: docs/performance.md measured the loop-lag
// p50 under 64 churning tasks going from 1.27 ms to 0.25 ms on 2 cores.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "backend/backend.hpp"
#include "core/fork_generation.hpp"
#include "tempio/backend.hpp"

namespace tempio::detail {
namespace {

std::atomic<std::size_t> g_max_threads{0};  // 0: not yet decided
#if TEMPIO_TEST_SEAM
std::atomic<unsigned long> g_jobs_run{0};       // taken by a worker
std::atomic<unsigned long> g_jobs_finished{0};  // run, completion posted
thread_local bool t_on_worker = false;
#endif

int worker_nice() {
    if (const char* env = std::getenv("TEMPIO_WORKER_NICE")) {
        long n = std::strtol(env, nullptr, 10);
        return static_cast<int>(std::clamp(n, 0L, 19L));
    }
    return 5;
}

// Lowers the calling thread's priority by `delta` (on Linux, nice is per
// thread). Best effort: a failure leaves the priority as it was.
void lower_priority(int delta) noexcept {
    if (delta == 0) return;
    errno = 0;
    int now = ::getpriority(PRIO_PROCESS, 0);
    if (now == -1 && errno != 0) return;
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(now + delta, 19));
}

std::size_t default_threads() {
    if (const char* env = std::getenv("TEMPIO_THREADS")) {
        long n = std::strtol(env, nullptr, 10);
        if (n > 0) return static_cast<std::size_t>(std::min(n, 256L));
    }
    // No more runnable workers than CPUs (2 to 4): on a 2-vCPU VM, 4 workers
    // kept the loop thread waiting for a CPU (loop-lag p99 on tmpfs 1.3-3.3
    // ms against 0.66-0.73 ms with 2, 64 in flight no slower:
    // docs/performance.md).
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 4);
}

class thread_pool {
  public:
    ~thread_pool() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
        while (head_ != nullptr) delete std::exchange(head_, head_->next);
    }

    void submit(std::unique_ptr<job> j) {
        std::unique_lock lock(mutex_);
        job* raw = j.release();
        if (tail_ != nullptr)
            tail_->next = raw;
        else
            head_ = raw;
        tail_ = raw;
        ++queued_;
        if (idle_ < queued_ && threads_.size() < worker_threads()) {
            try {
                threads_.emplace_back([this] { work(); });
            } catch (const std::system_error& e) {
                // With a worker alive the job still runs; with none it would
                // wait forever: take it back (it is the tail) and reject it.
                if (threads_.empty()) {
                    take_back_tail_locked(raw);
                    lock.unlock();
                    raw->reject(error_code(e.code().value(), boost::system::system_category()));
                    return;
                }
            } catch (const std::bad_alloc&) {
                if (threads_.empty()) {
                    take_back_tail_locked(raw);
                    lock.unlock();
                    raw->reject(error_code(ENOMEM, boost::system::system_category()));
                    return;
                }
            }
        }
        lock.unlock();
        wake_.notify_one();
    }

  private:
    using error_code = boost::system::error_code;

    void take_back_tail_locked(job* j) noexcept {
        job* prev = nullptr;
        for (job* p = head_; p != j; p = p->next) prev = p;
        (prev != nullptr ? prev->next : head_) = nullptr;
        tail_ = prev;
        --queued_;
    }

    void work() {
#if TEMPIO_TEST_SEAM
        t_on_worker = true;
#endif
        lower_priority(nice_);
        std::unique_lock lock(mutex_);
        for (;;) {
            ++idle_;
            wake_.wait(lock, [this] { return stopping_ || head_ != nullptr; });
            --idle_;
            if (head_ == nullptr) return;  // stopping
            job* j = head_;
            head_ = j->next;
            if (head_ == nullptr) tail_ = nullptr;
            --queued_;
            lock.unlock();
            j->next = nullptr;
#if TEMPIO_TEST_SEAM
            // Before it runs: a test that saw a completion sees its job counted.
            g_jobs_run.fetch_add(1, std::memory_order_relaxed);
#endif
            j->run();
#if TEMPIO_TEST_SEAM
            g_jobs_finished.fetch_add(1, std::memory_order_relaxed);
#endif
            lock.lock();
        }
    }

    const int nice_ = worker_nice();
    std::mutex mutex_;
    std::condition_variable wake_;
    job* head_ = nullptr;
    job* tail_ = nullptr;
    std::size_t queued_ = 0;
    std::size_t idle_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// The pool of this process. A forked child (fork_generation() moved: the one
// fork rule, core/fork_generation.hpp) starts a fresh one; the parent's
// threads do not exist there, so its pool is abandoned, not destroyed.
std::atomic<thread_pool*> g_pool{nullptr};
std::atomic<unsigned> g_pool_generation{0};
std::mutex g_pool_mutex;

// Joins the workers at exit, in the process that started them.
struct pool_reaper {
    ~pool_reaper() {
        if (g_pool_generation.load() == fork_generation()) delete g_pool.exchange(nullptr);
    }
};

thread_pool& pool() {
    const unsigned generation = fork_generation();
    if (auto* p = g_pool.load(std::memory_order_acquire);
        p != nullptr && g_pool_generation.load(std::memory_order_relaxed) == generation)
        return *p;
    std::lock_guard lock(g_pool_mutex);
    static pool_reaper reaper;
    if (g_pool.load() == nullptr || g_pool_generation.load() != generation) {
        g_pool_generation.store(generation, std::memory_order_relaxed);
        g_pool.store(new thread_pool, std::memory_order_release);
    }
    return *g_pool.load();
}

}  // namespace

void submit(std::unique_ptr<job> j) {
    pool().submit(std::move(j));
}
#if TEMPIO_TEST_SEAM
unsigned long jobs_finished() noexcept {
    return g_jobs_finished.load();
}
unsigned long jobs_run() noexcept {
    return g_jobs_run.load();
}
bool on_worker_thread() noexcept {
    return t_on_worker;
}
#endif

}  // namespace tempio::detail

namespace tempio {

void set_worker_threads(std::size_t n) {
    detail::g_max_threads.store(std::clamp<std::size_t>(n, 1, 256));
}

std::size_t worker_threads() {
    std::size_t n = detail::g_max_threads.load();
    if (n == 0) {
        std::size_t fresh = detail::default_threads();
        detail::g_max_threads.compare_exchange_strong(n, fresh);
        n = detail::g_max_threads.load();
    }
    return n;
}

}  // namespace tempio
