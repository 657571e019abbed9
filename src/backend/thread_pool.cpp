// The worker-pool backend: threads are started on demand up to a bound
// (tempio::set_worker_threads, TEMPIO_THREADS; default 4) and wait on one
// queue. A forked child starts with a fresh, empty pool.
//
// Priority: workers run at a lower priority than the threads that submit to
// them (TEMPIO_WORKER_NICE, default +5 over the thread's nice value; 0 keeps
// it). When workers saturate the CPUs, the event loop still gets a CPU as
// soon as a completion wakes it: docs/performance.md measured the loop-lag
// p50 under 64 churning tasks going from 1.27 ms to 0.25 ms on 2 cores.
//
// Destroyed means gone, for execution contexts too: a job never touches the
// context it completes into once that context is destroyed (backend.hpp,
// job). The context's destruction (job_watch, a service of it) takes its
// queued jobs out and orphans its running ones, and waits only for a job
// already posting its completion: never for a job's work, which may be
// waiting for what the destroying thread does next.
//
// Completions into an io_context go in batches (deliver_in_batch,
// job_watch): the worker that finds the batch empty owes the one post that
// wakes the loop, and may hold it across a few more brief jobs while the
// queue is not empty, so that the loop wakes once for many completions
// (owed_max_jobs; docs/performance.md, "Completions in batches").
#if TEMPIO_PLATFORM_WINDOWS
#include <windows.h>
#else
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/execution_context.hpp>

#include "backend/backend.hpp"
#include "backend/job_watch.hpp"
#include "core/fork_generation.hpp"
#include "core/os_error.hpp"
#include "tempio/backend.hpp"
#include "tempio/config.hpp"

namespace tempio::detail {

namespace {

// Workers at most, whatever the setting (a bound orphan() relies on).
constexpr std::size_t max_workers = 256;
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
#if TEMPIO_PLATFORM_WINDOWS
    // Windows' levels are coarse: any nice at all is one level below normal.
    SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL);
#else
    errno = 0;
    int now = ::getpriority(PRIO_PROCESS, 0);
    if (now == -1 && errno != 0) return;
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(now + delta, 19));
#endif
}

std::size_t default_threads() {
    if (const char* env = std::getenv("TEMPIO_THREADS")) {
        long n = std::strtol(env, nullptr, 10);
        if (n > 0) return static_cast<std::size_t>(std::min(n, long{max_workers}));
    }
    // No more runnable workers than CPUs (2 to 4): on a 2-vCPU VM, 4 workers
    // kept the loop thread waiting for a CPU (loop-lag p99 on tmpfs 1.3-3.3
    // ms against 0.66-0.73 ms with 2, 64 in flight no slower:
    // docs/performance.md).
    return std::clamp<std::size_t>(std::thread::hardware_concurrency(), 2, 4);
}

// What a worker is doing, for orphan_jobs. `context`, `current` and the
// state changes other than running -> posting are made under the pool's
// mutex; that compare-exchange is the only cost a job pays on its way (one
// atomic operation on a line no other worker writes).
struct alignas(64) worker_slot {  // its own cache line
    enum phase : int {
        idle,
        running,   // the job's work (or about to start it)
        posting,   // past its work: complete() is delivering it
        orphaned,  // its context is being destroyed: no complete()
        released,  // ... and the context has released its completion
    };
    std::atomic<int> state{idle};
    net::execution_context* context = nullptr;  // the job's (null: idle or none)
    job* current = nullptr;  // valid while running or orphaned, not after posting
    // A drain this worker still has to post (deliver_in_batch): set while
    // posting, taken under the pool's mutex (to post it, or by orphan()).
    std::atomic<job_watch*> owed{nullptr};
    // The worker's own: when the debt was made, and brief jobs run since.
    std::chrono::steady_clock::time_point owed_since{};
    unsigned owed_jobs = 0;
};

// The slot of the worker running on this thread (none elsewhere). No
// destructor: MinGW's emulated TLS runs those after the storage is gone.
thread_local constinit worker_slot* t_slot = nullptr;

// A completion delivered in a batch may wait for its drain's post while its
// worker runs more brief jobs (job::brief), so that the io_context's thread
// wakes once for many: until the queue is empty, an open-ended job is next,
// owed_max_jobs brief jobs ran, or owed_max_age passed (docs/performance.md,
// "Completions in batches").
constexpr unsigned owed_max_jobs = 16;
constexpr auto owed_max_age = std::chrono::microseconds(50);

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
                slots_.emplace_back(std::make_unique<worker_slot>());
                worker_slot* slot = slots_.back().get();
                try {
                    threads_.emplace_back([this, slot] { work(*slot); });
                } catch (...) {
                    slots_.pop_back();
                    throw;
                }
            } catch (const std::system_error& e) {
                // With a worker alive the job still runs; with none it would
                // wait forever: take it back (it is the tail) and reject it.
                if (threads_.empty()) {
                    take_back_tail_locked(raw);
                    lock.unlock();
                    raw->reject(os_error(e.code().value()));
                    return;
                }
            } catch (const std::bad_alloc&) {
                if (threads_.empty()) {
                    take_back_tail_locked(raw);
                    lock.unlock();
                    raw->reject(os_error(ENOMEM));
                    return;
                }
            }
        }
        lock.unlock();
        wake_.notify_one();
    }

    // orphan_jobs for this pool (see backend.hpp).
    void orphan(net::execution_context& ctx) noexcept {
        job* dropped = nullptr;  // the queued jobs of ctx, never to run
        // No allocation: there are at most max_workers workers.
        std::array<worker_slot*, max_workers> orphans;
        std::size_t n = 0;
        {
            std::unique_lock lock(mutex_);
            job* prev = nullptr;
            for (job* j = head_; j != nullptr;) {
                job* next = j->next;
                if (j->context == &ctx) {
                    (prev != nullptr ? prev->next : head_) = next;
                    if (tail_ == j) tail_ = prev;
                    --queued_;
                    j->next = dropped;
                    dropped = j;
                } else {
                    prev = j;
                }
                j = next;
            }
            // A worker past its work either sees `orphaned` and leaves the
            // job alone, or it is delivering: its post must be over before
            // ctx goes, so wait for it (its slot goes idle under the mutex).
            for (auto& s : slots_) {
                int expected = worker_slot::running;
                if (s->context == &ctx &&
                    s->state.compare_exchange_strong(expected, worker_slot::orphaned))
                    orphans[n++] = s.get();
            }
            ++draining_;
            drained_.wait(lock, [&] { return !delivers_into(ctx); });
            --draining_;
            // Drains owed to ctx are not posted now: its watch deletes
            // what waits in its batch.
            for (auto& s : slots_) {
                job_watch* w = s->owed.load(std::memory_order_relaxed);
                if (w != nullptr && &w->context() == &ctx)
                    s->owed.store(nullptr, std::memory_order_relaxed);
            }
        }
        // Destroyed here, ctx still alive, outside the mutex: destroying a
        // handler runs destructors, which may start other jobs.
        while (dropped != nullptr) delete std::exchange(dropped, dropped->next);
        if (n == 0) return;
        for (std::size_t i = 0; i < n; ++i) orphans[i]->current->release_completion();
        {
            std::lock_guard lock(mutex_);
            for (std::size_t i = 0; i < n; ++i) orphans[i]->state.store(worker_slot::released);
        }
        drained_.notify_all();
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

    bool delivers_into(const net::execution_context& ctx) const noexcept {
        for (const auto& s : slots_)
            if (s->context == &ctx && s->state.load() == worker_slot::posting) return true;
        return false;
    }

    void work(worker_slot& me) {
#if TEMPIO_TEST_SEAM
        t_on_worker = true;
#endif
        lower_priority(nice_);
        t_slot = &me;
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
            me.context = j->context;
            me.current = j;
            me.state.store(worker_slot::running, std::memory_order_relaxed);
            lock.unlock();
            j->next = nullptr;
#if TEMPIO_TEST_SEAM
            // Before it runs: a test that saw a completion sees its job counted.
            g_jobs_run.fetch_add(1, std::memory_order_relaxed);
#endif
            j->run();
            if (me.owed.load(std::memory_order_relaxed) != nullptr && j->brief) ++me.owed_jobs;
            // Fails once orphan() took the job (orphaned, then released).
            int expected = worker_slot::running;
            if (me.state.compare_exchange_strong(expected, worker_slot::posting,
                                                 std::memory_order_acq_rel)) {
                j->complete();  // j may be gone from here on
            } else {
                // Orphaned: once its completion is released, the job is
                // deleted here, which undoes its result; nothing is posted.
                lock.lock();
                drained_.wait(lock, [&] { return me.state.load() == worker_slot::released; });
                me.context = nullptr;
                me.current = nullptr;
                lock.unlock();
                delete j;
            }
            lock.lock();
            const bool watched = me.context != nullptr && draining_ > 0;
            me.context = nullptr;
            me.current = nullptr;
            me.state.store(worker_slot::idle, std::memory_order_relaxed);
            if (watched) drained_.notify_all();
            if (owed_is_due(me)) pay_owed(me, lock);
#if TEMPIO_TEST_SEAM
            // Once its completion is posted (its drain too).
            g_jobs_finished.fetch_add(1, std::memory_order_relaxed);
#endif
        }
    }

    // Under mutex_: whether this worker's debt is to be paid before its
    // next job (see owed_max_jobs).
    bool owed_is_due(const worker_slot& me) const noexcept {
        if (me.owed.load(std::memory_order_relaxed) == nullptr) return false;
        return head_ == nullptr || !head_->brief || stopping_ || me.owed_jobs >= owed_max_jobs ||
               std::chrono::steady_clock::now() - me.owed_since >= owed_max_age;
    }

    // Under mutex_ (released while posting): posts the drain this worker
    // owes, protected from orphan() as a completion is (posting).
    void pay_owed(worker_slot& me, std::unique_lock<std::mutex>& lock) noexcept {
        job_watch* w = me.owed.exchange(nullptr, std::memory_order_relaxed);
        if (w == nullptr) return;  // orphan() took it: the context is going
        me.context = &w->context();
        me.state.store(worker_slot::posting, std::memory_order_relaxed);
        lock.unlock();
        w->post_drain();
        lock.lock();
        const bool watched = draining_ > 0;
        me.context = nullptr;
        me.state.store(worker_slot::idle, std::memory_order_relaxed);
        if (watched) drained_.notify_all();
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
    std::vector<std::unique_ptr<worker_slot>> slots_;  // one per thread, same order
    std::condition_variable drained_;                  // a slot changed for orphan()
    std::size_t draining_ = 0;                         // orphan() calls waiting
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

// The pool of this process if it has one, without making one (a context
// destroyed during static destruction must not start a pool).
thread_pool* existing_pool() noexcept {
    std::lock_guard lock(g_pool_mutex);
    thread_pool* p = g_pool.load();
    return p != nullptr && g_pool_generation.load() == fork_generation() ? p : nullptr;
}

}  // namespace

void deliver_in_batch(std::unique_ptr<job> j) noexcept {
    job_watch& watch = *j->watch;
    if (!watch.push(j.release())) return;  // its drain is posted or owed
    worker_slot* me = t_slot;
    // On a worker (inside complete(): posting, protected from orphan()),
    // the post may wait for a few more brief jobs if it owes no other.
    if (me != nullptr && me->owed.load(std::memory_order_relaxed) == nullptr) {
        me->owed_since = std::chrono::steady_clock::now();
        me->owed_jobs = 0;
        me->owed.store(&watch, std::memory_order_relaxed);
        return;
    }
    watch.post_drain();
}

void orphan_jobs(net::execution_context& ctx) noexcept {
    if (thread_pool* p = existing_pool()) p->orphan(ctx);
}

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
    detail::g_max_threads.store(std::clamp<std::size_t>(n, 1, detail::max_workers));
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
