// A pool job whose completion's execution context is destroyed before the
// job finishes: nothing is delivered, nothing touches the destroyed context
// (ASan: no use after scope on the worker), and what the job made is undone
// (docs/security.md: undelivered results are removed). The job is queued
// behind workers that are all held on a latch, the context is destroyed, then
// the latch is released: no timing assumption. ctest runs this file once per
// backend; its name puts it under TSan too (a job finishing while the context
// is being destroyed).
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include "support/latch.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;

namespace {

class orphaned_jobs : public tempio::test::test_dir {};

// Returns once every job submitted to tempio's pool before the call has
// finished: one job per worker waits at a barrier that all of them must reach
// together, so no worker is still inside an earlier job (the queue is first
// in, first out).
void drain_pool(net::io_context& home) {
    const std::size_t n = tempio::worker_threads();
    tempio::test::latch all(static_cast<std::ptrdiff_t>(n));
    std::size_t through = 0;
    for (std::size_t i = 0; i < n; ++i)
        tempio::async_run_blocking(
            [&all] { all.arrive_and_wait(); },
            net::bind_executor(home, [&through](std::exception_ptr) { ++through; }));
    home.restart();
    while (through < n) home.run_one();
}

// Holds every worker of tempio's pool until release(): one job per worker,
// each waiting on the same latch, their completions on `home` (which
// outlives them). A job submitted after these cannot start before release().
class busy_workers {
  public:
    explicit busy_workers(net::io_context& home) : home_(home), n_(tempio::worker_threads()) {
        for (std::size_t i = 0; i < n_; ++i)
            tempio::async_run_blocking(
                [this] { release_.wait(); },
                net::bind_executor(home_, [this](std::exception_ptr) { ++done_; }));
    }
    busy_workers(const busy_workers&) = delete;
    busy_workers& operator=(const busy_workers&) = delete;
    ~busy_workers() { release(); }

    // Lets the workers go, then returns once every job submitted before now
    // has finished.
    void release_and_drain() {
        release();
        home_.restart();
        while (done_ < n_) home_.run_one();
        drain_pool(home_);
    }

  private:
    void release() {
        if (!released_) release_.count_down();
        released_ = true;
    }

    net::io_context& home_;
    const std::size_t n_;
    tempio::test::latch release_{1};
    bool released_ = false;
    std::size_t done_ = 0;
};

std::string content_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write(const fs::path& p, const std::string& data) {
    std::ofstream(p, std::ios::binary) << data;
}

// Where the doomed completion goes: each kind of execution context a
// handler's executor can name.
enum class via { io_context, strand, thread_pool };

const char* name_of(via v) {
    switch (v) {
        case via::io_context:
            return "io_context";
        case via::strand:
            return "strand";
        default:
            return "thread_pool";
    }
}

// Starts `start(token)` with a callback bound to a fresh execution context of
// kind `v`, then destroys that context (without ever running it): the
// callback must never run.
template <class Start>
void start_then_destroy(via v, Start start, std::atomic<bool>& delivered) {
    auto callback = [&delivered](auto&&...) { delivered = true; };
    switch (v) {
        case via::io_context: {
            auto ctx = std::make_unique<net::io_context>();
            start(net::bind_executor(*ctx, callback));
            break;
        }
        case via::strand: {
            auto ctx = std::make_unique<net::io_context>();
            start(net::bind_executor(net::make_strand(*ctx), callback));
            break;
        }
        case via::thread_pool: {
            // Stopped first: its thread never runs anything, and its
            // destructor still shuts its services down.
            net::thread_pool ctx(1);
            ctx.stop();
            start(net::bind_executor(ctx, callback));
            break;
        }
    }
}

constexpr via every_context[] = {via::io_context, via::strand, via::thread_pool};

TEST_F(orphaned_jobs, a_queued_mkstemp_leaves_no_file) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        net::io_context home;
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        start_then_destroy(
            v, [&](auto token) { tempio::async_mkstemp({.dir = dir_}, std::move(token)); },
            delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        EXPECT_TRUE(tempio::test::entries(dir_).empty());
    }
}

TEST_F(orphaned_jobs, a_queued_mkdtemp_leaves_no_directory) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        net::io_context home;
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        start_then_destroy(
            v, [&](auto token) { tempio::async_mkdtemp({.dir = dir_}, std::move(token)); },
            delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        EXPECT_TRUE(tempio::test::entries(dir_).empty());
    }
}

// The function ran or not; either way nothing is delivered and what it
// captured is released once the job is done (not kept by an undelivered
// completion).
TEST_F(orphaned_jobs, a_queued_run_blocking_delivers_nothing_and_keeps_nothing) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        net::io_context home;
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        auto captured = std::make_shared<int>(7);
        start_then_destroy(
            v,
            [&](auto token) {
                tempio::async_run_blocking([captured] { return *captured; }, std::move(token));
            },
            delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        EXPECT_EQ(captured.use_count(), 1);
    }
}

// A coroutine waiting for the job: destroying its io_context destroys its
// frame (its locals run their destructors) and never resumes it. (A pool job
// whatever TEMPIO_INLINE says: async_run_blocking.)
TEST_F(orphaned_jobs, a_coroutine_waiting_on_a_queued_job_is_destroyed_not_resumed) {
    net::io_context home;
    busy_workers busy(home);
    std::atomic<bool> resumed{false};
    auto frame_alive = std::make_shared<int>(0);
    {
        net::io_context ctx;
        net::co_spawn(
            ctx,
            [&resumed, local = frame_alive]() -> net::awaitable<void> {
                auto work = [] { return 1; };  // named: g++ 12 (run_blocking.hpp)
                co_await tempio::async_run_blocking(work);
                resumed = true;
            },
            net::detached);
        ctx.poll();  // up to the co_await: the job is queued behind the busy workers
        EXPECT_EQ(frame_alive.use_count(), 2);
    }
    EXPECT_EQ(frame_alive.use_count(), 1);  // the frame went with its io_context
    busy.release_and_drain();
    EXPECT_FALSE(resumed);
}

// The function is running when its context is destroyed: it finishes, its
// result is dropped on the worker, nothing is delivered.
TEST_F(orphaned_jobs, a_running_run_blocking_delivers_nothing_and_keeps_nothing) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        net::io_context home;
        tempio::test::latch started(1);
        tempio::test::latch go(1);
        std::atomic<bool> ran{false};
        std::atomic<bool> delivered{false};
        auto captured = std::make_shared<int>(7);
        start_then_destroy(
            v,
            [&](auto token) {
                tempio::async_run_blocking(
                    [&, captured] {
                        started.count_down();
                        go.wait();
                        ran = true;
                        return captured;  // the result, too, holds it
                    },
                    std::move(token));
                started.wait();  // running: the context is destroyed now
            },
            delivered);
        go.count_down();
        drain_pool(home);
        EXPECT_TRUE(ran);
        EXPECT_FALSE(delivered);
        EXPECT_EQ(captured.use_count(), 1);
    }
}

// Jobs finishing while their context is destroyed, at every instant the
// scheduler happens to give: queued, running, being delivered or delivered
// and not yet run. Whichever it was, nothing is delivered and no file is
// left (the file of an undelivered result is removed).
// Pool jobs on both backends: run_blocking, and any job for a context that
// is no io_context (the ring serves io_contexts only).
TEST_F(orphaned_jobs, jobs_racing_the_destruction_of_their_context_leave_nothing) {
    std::atomic<int> delivered{0};
    auto captured = std::make_shared<int>(0);
    auto start = [&](const auto& ex) {
        auto callback = net::bind_executor(ex, [&](auto&&...) { ++delivered; });
        for (int i = 0; i < 4; ++i) {
            tempio::async_mkstemp({.dir = dir_}, callback);
            tempio::async_run_blocking([captured] { return captured; }, callback);
        }
    };
    for (int round = 0; round < 100; ++round) {
        if (round % 2 == 0) {
            net::io_context ctx;
            start(ctx.get_executor());
        } else {
            net::thread_pool ctx(1);
            ctx.stop();
            start(ctx.get_executor());
        }
    }
    net::io_context home;
    drain_pool(home);
    EXPECT_EQ(delivered, 0);
    EXPECT_EQ(captured.use_count(), 1);
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// A handler destroyed with its context starts a job for that same context
// (from a destructor): the job may run, but is never delivered into the
// context being destroyed.
TEST_F(orphaned_jobs, a_job_started_while_its_context_is_destroyed_is_never_delivered) {
    struct starts_on_destruction {
        net::io_context* ctx;
        std::atomic<bool>* delivered;
        std::atomic<int>* started;
        starts_on_destruction(net::io_context& c, std::atomic<bool>& d, std::atomic<int>& s)
            : ctx(&c), delivered(&d), started(&s) {}
        starts_on_destruction(starts_on_destruction&& o) noexcept
            : ctx(std::exchange(o.ctx, nullptr)), delivered(o.delivered), started(o.started) {}
        ~starts_on_destruction() {
            if (ctx == nullptr) return;
            ++*started;
            tempio::async_run_blocking(
                [] { return 1; },
                net::bind_executor(*ctx, [d = delivered](auto&&...) { *d = true; }));
        }
    };
    net::io_context home;
    busy_workers busy(home);
    std::atomic<bool> delivered{false};
    std::atomic<int> started{0};
    {
        net::io_context ctx;
        tempio::async_run_blocking(
            [] { return 1; },
            net::bind_executor(ctx, [&, s = starts_on_destruction(ctx, delivered, started)](
                                        auto&&...) { delivered = true; }));
    }
    busy.release_and_drain();
    EXPECT_EQ(started, 1);
    EXPECT_FALSE(delivered);
}

// A publish is one job on the pool on both backends. Once it runs it
// completes: the target holds its old or its complete new content, and once
// the file object is gone no temporary is left.
TEST_F(orphaned_jobs, a_queued_persist_publishes_completely_or_not_at_all) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        const fs::path target = dir_ / "target";
        write(target, "old");
        net::io_context home;
        std::optional<tempio::named_temporary_file> f;
        net::co_spawn(
            home,
            [&]() -> net::awaitable<void> {
                f.emplace(co_await tempio::named_temporary_file::async_create({.dir = dir_}));
                co_await f->async_write("new content");
            },
            net::use_future);
        home.run();
        ASSERT_TRUE(f);
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        start_then_destroy(
            v, [&](auto token) { f->async_persist(target, std::move(token)); }, delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        f.reset();
        std::string now = content_of(target);
        EXPECT_TRUE(now == "old" || now == "new content") << now;
        EXPECT_EQ(tempio::test::entries(dir_), std::vector<std::string>{"target"});
        fs::remove(target);
    }
}

TEST_F(orphaned_jobs, a_queued_write_file_atomically_publishes_completely_or_not_at_all) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        const fs::path target = dir_ / "target";
        write(target, "old");
        net::io_context home;
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        start_then_destroy(
            v,
            [&](auto token) {
                tempio::async_write_file_atomically(target, "new content", std::move(token));
            },
            delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        std::string now = content_of(target);
        EXPECT_TRUE(now == "old" || now == "new content") << now;
        EXPECT_EQ(tempio::test::entries(dir_), std::vector<std::string>{"target"});
        fs::remove(target);
    }
}

TEST_F(orphaned_jobs, a_queued_directory_persist_publishes_completely_or_not_at_all) {
    for (via v : every_context) {
        SCOPED_TRACE(name_of(v));
        const fs::path target = dir_ / "target";
        net::io_context home;
        std::optional<tempio::temporary_directory> d;
        net::co_spawn(
            home,
            [&]() -> net::awaitable<void> {
                d.emplace(co_await tempio::temporary_directory::async_create({.dir = dir_}));
            },
            net::use_future);
        home.run();
        ASSERT_TRUE(d);
        write(d->path() / "inside", "x");
        busy_workers busy(home);
        std::atomic<bool> delivered{false};
        start_then_destroy(
            v, [&](auto token) { d->async_persist(target, std::move(token)); }, delivered);
        busy.release_and_drain();
        EXPECT_FALSE(delivered);
        d.reset();
        // Published whole (the directory with its file), or nothing at all.
        auto left = tempio::test::entries(dir_);
        if (left.empty()) continue;
        EXPECT_EQ(left, std::vector<std::string>{"target"});
        EXPECT_EQ(content_of(target / "inside"), "x");
        fs::remove_all(target);
    }
}

// Completions of an io_context are delivered in batches (one post for
// many: backend.hpp, deliver_in_batch), and a worker may hold a batch's post
// across a few more brief jobs. Completions still waiting in a batch, or
// for a post a worker owes, when their io_context is destroyed: none is
// delivered, each creation is undone.
TEST_F(orphaned_jobs, completions_waiting_in_a_batch_are_undone_with_their_io_context) {
    for (int round = 0; round < 20; ++round) {
        std::atomic<int> delivered{0};
        {
            net::io_context ctx;
            auto callback = net::bind_executor(ctx, [&](auto&&...) { ++delivered; });
            for (int i = 0; i < 32; ++i) tempio::async_mkstemp({.dir = dir_}, callback);
            net::io_context home;
            drain_pool(home);  // every creation ran: its completion waits for ctx
        }
        EXPECT_EQ(delivered, 0);
        ASSERT_TRUE(tempio::test::entries(dir_).empty()) << "round " << round;
    }
}

// The same while the workers are still making them: the destruction meets
// completions queued, running, pushed into a batch, owed a post, posted.
TEST_F(orphaned_jobs,
       batched_completions_racing_the_destruction_of_their_io_context_leave_nothing) {
    std::vector<std::string> delivered;  // the files a callback received: kept
    for (int round = 0; round < 100; ++round) {
        net::io_context ctx;
        auto callback =
            net::bind_executor(ctx, [&](tempio::error_code ec, tempio::mkstemp_result r) {
                if (!ec) delivered.push_back(r.path.filename().string());
            });
        for (int i = 0; i < 16; ++i) tempio::async_mkstemp({.dir = dir_}, callback);
        if (round % 2 == 1) ctx.run_one();  // a batch (or one) delivered
    }
    net::io_context home;
    drain_pool(home);
    std::sort(delivered.begin(), delivered.end());
    EXPECT_EQ(tempio::test::entries(dir_), delivered);
}

// A handler that throws out of a batch: the exception leaves run(), as with
// any handler, and the rest of the batch is delivered by the next run().
TEST_F(orphaned_jobs, a_handler_throwing_inside_a_batch_leaves_the_rest_to_the_next_run) {
    net::io_context ctx;
    int delivered = 0;
    for (int i = 0; i < 16; ++i)
        tempio::async_run_blocking([i] { return i; },
                                   net::bind_executor(ctx, [&](std::exception_ptr, int v) {
                                       ++delivered;
                                       if (v == 3) throw std::runtime_error("from the handler");
                                   }));
    net::io_context home;
    drain_pool(home);  // all 16 are waiting for ctx
    EXPECT_THROW(ctx.run(), std::runtime_error);
    ctx.restart();
    ctx.run();
    EXPECT_EQ(delivered, 16);
}

}  // namespace

// Many operations in flight on an io_context run by several threads: their
// batches are drained on any of them, each completion delivered once.
TEST_F(orphaned_jobs, many_operations_in_flight_complete_once_each_on_a_multithreaded_io_context) {
    constexpr int tasks = 64;
    constexpr int each = 20;
    net::io_context ctx(4);
    std::atomic<int> done{0};
    for (int t = 0; t < tasks; ++t)
        net::co_spawn(
            ctx,
            [&]() -> net::awaitable<void> {
                for (int i = 0; i < each; ++i) {
                    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
                    co_await f.async_close();
                    ++done;
                }
            },
            net::detached);
    std::vector<std::thread> runners;
    for (int t = 0; t < 4; ++t) runners.emplace_back([&] { ctx.run(); });
    for (auto& r : runners) r.join();
    EXPECT_EQ(done.load(), tasks * each);
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// The first jobs of a new context, started on several threads at once: each
// thread may make the context's watch, and Asio keeps one and destroys the
// others. Destroying a watch nobody was given must not orphan the context's
// jobs (it did: a running creation's completion was dropped and the
// coroutine waiting for it never resumed).
TEST_F(orphaned_jobs, the_first_jobs_of_a_context_started_on_many_threads_all_complete) {
    constexpr int threads = 4;
    constexpr int rounds = 300;
    for (int round = 0; round < rounds; ++round) {
        net::io_context ctx(threads);
        tempio::test::latch start(threads);
        std::atomic<int> delivered{0};
        for (int t = 0; t < threads; ++t) {
            net::post(ctx, [&] {
                start.arrive_and_wait();  // every thread asks at once
                tempio::async_run_blocking(
                    [] { return 1; }, net::bind_executor(ctx, [&](std::exception_ptr e, int v) {
                        if (!e && v == 1) ++delivered;
                    }));
            });
        }
        std::vector<std::thread> runners;
        for (int t = 0; t < threads; ++t) runners.emplace_back([&] { ctx.run(); });
        for (auto& r : runners) r.join();
        ASSERT_EQ(delivered.load(), threads) << "round " << round;
    }
}
