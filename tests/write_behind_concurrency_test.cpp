// Write-behind (src/core/write_behind.hpp): a write the full buffer cannot
// take hands that buffer to a worker and completes without a hop; the next
// operation that needs the kernel waits for that worker, retries what it
// could not write and reports the error. On both backends (the worker is
// the pool's either way); the "concurrency" label runs it under TSan.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "backend/backend.hpp"
#include "backend/inline_driver.hpp"
#include "core/atomic_wait.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;
using tempio::error_code;
using namespace std::chrono_literals;

namespace {

// Holds every worker of tempio's pool until opened, so that a job
// submitted meanwhile provably has not run.
class worker_gate {
  public:
    worker_gate() {
        for (std::size_t i = 0; i < count_; ++i)
            tempio::detail::submit(std::make_unique<held>(*this));
        while (arrived_.load() < count_) std::this_thread::yield();
    }
    ~worker_gate() {
        open();
        while (left_.load() < count_) std::this_thread::yield();
    }
    worker_gate(const worker_gate&) = delete;
    worker_gate& operator=(const worker_gate&) = delete;

    void open() {
        open_.store(true);
        tempio::detail::atomic_notify_all(open_);  // not std::atomic's: core/atomic_wait.hpp
    }
    bool is_open() const { return open_.load(); }

  private:
    struct held final : tempio::detail::job {
        explicit held(worker_gate& g) : gate(g) {}
        void run() noexcept override {
            ++gate.arrived_;
            tempio::detail::atomic_wait(gate.open_, false, std::memory_order_seq_cst);
        }
        void complete() noexcept override {
            ++gate.left_;
            delete this;
        }
        void reject(error_code) noexcept override {
            ++gate.arrived_;
            ++gate.left_;
            delete this;
        }
        worker_gate& gate;
    };

    const std::size_t count_ = tempio::worker_threads();
    std::atomic<std::size_t> arrived_{0}, left_{0};
    std::atomic<bool> open_{false};
};

// Opens the gate after `after` from the io_context, should a broken write
// wait for a worker (the test then fails instead of hanging).
std::shared_ptr<net::steady_timer> open_later(net::io_context& io, worker_gate& gate,
                                              std::chrono::milliseconds after) {
    auto t = std::make_shared<net::steady_timer>(io, after);
    t->async_wait([t, &gate](error_code) { gate.open(); });
    return t;
}

net::awaitable<std::string> read_all(tempio::temporary_file& f) {
    co_await f.async_seek(0);
    co_return co_await f.async_read();
}

// Bounded writes at once (TEMPIO_INLINE=writes or on, on tmpfs) come
// before write-behind: these tests turn them off, whatever the run asks.
class write_behind : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        saved_ = tempio::detail::inline_dispatch_level();
        tempio::detail::set_inline_dispatch_for_testing(tempio::detail::inline_level::never);
    }
    void TearDown() override {
        tempio::detail::set_inline_dispatch_for_testing(saved_);
        test_dir::TearDown();
    }

  private:
    tempio::detail::inline_level saved_ = tempio::detail::inline_level::never;
};

TEST_F(write_behind, a_write_the_full_buffer_cannot_take_completes_without_a_worker) {
    net::io_context io;
    std::optional<worker_gate> held;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto f = co_await tempio::temporary_file::async_create({.buffering = 16, .dir = dir_});
            worker_gate& gate = held.emplace();
            auto deadline = open_later(io, gate, 5s);
            co_await f.async_write("0123456789");  // buffered
            co_await f.async_write("abcdefghij");  // 20 > 16: the first 10 go behind
            EXPECT_FALSE(gate.is_open()) << "the write waited for a worker";
            // The worker has not run: the next overflow cannot go behind.
            EXPECT_FALSE(f.try_write("ABCDEFGHIJ"));
            // The position counts the bytes being written behind.
            EXPECT_EQ(co_await f.async_tell(), 20u);
            EXPECT_FALSE(gate.is_open()) << "tell waited for a worker";
            deadline->cancel();                    // opens the gate
            co_await f.async_write("ABCDEFGHIJ");  // waits for the worker, then writes
            EXPECT_EQ(co_await read_all(f), "0123456789abcdefghijABCDEFGHIJ");
            co_await f.async_close();
        },
        net::detached);
    io.run();
}

TEST_F(write_behind, try_write_hands_a_full_buffer_over_too) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.buffering = 16, .dir = dir_});
        EXPECT_TRUE(f.try_write("0123456789"));
        EXPECT_TRUE(f.try_write("abcdefghij"));           // no write-behind running: taken
        EXPECT_FALSE(f.try_write(std::string(17, 'x')));  // bigger than the buffer
        co_await f.async_flush();
        EXPECT_EQ(co_await read_all(f), "0123456789abcdefghij");
        co_await f.async_close();
    });
}

TEST_F(write_behind, its_error_is_retried_and_reported_by_the_next_flush_and_loses_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.buffering = 16, .dir = dir_});
        co_await f.async_write("0123456789");
        tempio::detail::sys::arm_fault(1, ENOSPC, /*sticky=*/true);  // every call from now on
        co_await f.async_write("abcdefghij");                        // the worker's writev fails
        auto [ec] = co_await f.async_flush(net::as_tuple(net::deferred));
        EXPECT_EQ(ec, std::errc::no_space_on_device) << ec.message();
        tempio::detail::sys::disarm_fault();
        co_await f.async_flush();  // the same bytes, again, in order
        EXPECT_EQ(co_await read_all(f), "0123456789abcdefghij");
        co_await f.async_close();
    });
    tempio::detail::sys::disarm_fault();
}

TEST_F(write_behind, a_failure_the_retry_mends_is_not_reported) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.buffering = 16, .dir = dir_});
        co_await f.async_write("0123456789");
        const auto injected = tempio::detail::sys::faults().injected.load();
        tempio::detail::sys::arm_fault(1, EIO);  // the worker's writev only
        co_await f.async_write("abcdefghij");
        co_await f.async_flush();
        EXPECT_EQ(tempio::detail::sys::faults().injected.load() - injected, 1u);
        EXPECT_EQ(co_await read_all(f), "0123456789abcdefghij");
        co_await f.async_close();
    });
    tempio::detail::sys::disarm_fault();
}

TEST_F(write_behind, close_waits_for_it_and_keeps_every_byte) {
    std::filesystem::path path;
    net::io_context io;
    std::optional<worker_gate> held;
    net::co_spawn(
        io,
        [&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create(
                {.buffering = 16, .dir = dir_, .keep = true});
            path = f.path();
            open_later(io, held.emplace(), 50ms);  // the close's own job waits too
            co_await f.async_write("0123456789");
            co_await f.async_write("abcdefghij");
            co_await f.async_close();
        },
        net::detached);
    io.run();
    EXPECT_EQ(tempio::test::slurp(path), "0123456789abcdefghij");
}

// A destructor never waits for a busy pool's queue: the queued write is
// taken back and made by the destructor itself (which writes the buffer
// out synchronously anyway).
TEST_F(write_behind, destroying_the_file_takes_a_queued_write_back_and_keeps_every_byte) {
    std::filesystem::path path;
    std::optional<worker_gate> held;
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::thread watchdog;  // should the destructor wait after all: fail, not hang
    tempio::run([&]() -> net::awaitable<void> {
        {
            auto f = co_await tempio::named_temporary_file::async_create(
                {.buffering = 16, .dir = dir_, .keep = true});
            path = f.path();
            worker_gate& gate = held.emplace();
            watchdog = std::thread([&] {
                std::unique_lock lock(m);
                cv.wait_for(lock, 10s, [&] { return finished; });
                gate.open();
            });
            co_await f.async_write("0123456789");
            co_await f.async_write("abcdefghij");  // queued behind the held workers
        }                                          // destroyed here, every worker still held
        EXPECT_FALSE(held->is_open()) << "the destructor waited for a worker";
    });
    {
        std::lock_guard lock(m);
        finished = true;
    }
    cv.notify_all();
    watchdog.join();
    EXPECT_EQ(tempio::test::slurp(path), "0123456789abcdefghij");
}

// A close made while the pool's workers are busy elsewhere still keeps
// the order: the close's job takes the queued write back or waits for it.
TEST_F(write_behind, close_with_a_queued_write_keeps_the_order) {
    std::filesystem::path path;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create(
            {.buffering = 16, .dir = dir_, .keep = true});
        path = f.path();
        std::string expected;
        for (int i = 0; i < 200; ++i) {
            std::string piece = "<" + std::to_string(i) + ">";
            expected += piece;
            co_await f.async_write(piece);
        }
        co_await f.async_close();
        EXPECT_EQ(tempio::test::slurp(path), expected);
    });
}

// Many files written in small pieces by coroutines on an io_context that
// two threads run: every byte in order, whatever the workers' timing.
TEST_F(write_behind, small_writes_from_two_threads_keep_every_file_in_order) {
    constexpr int files = 8, pieces = 4000;
    net::io_context io;
    std::atomic<int> good{0};
    for (int i = 0; i < files; ++i) {
        net::co_spawn(
            net::make_strand(io),
            [&, i]() -> net::awaitable<void> {
                auto f =
                    co_await tempio::temporary_file::async_create({.buffering = 256, .dir = dir_});
                std::string expected;
                for (int k = 0; k < pieces; ++k) {
                    std::string piece = std::to_string(i) + ":" + std::to_string(k) + ";";
                    expected += piece;
                    if (k % 3 == 0 || !f.try_write(piece)) co_await f.async_write(piece);
                }
                if (co_await read_all(f) == expected) ++good;
                co_await f.async_close();
            },
            net::detached);
    }
    std::thread second([&] { io.run(); });
    io.run();
    second.join();
    EXPECT_EQ(good.load(), files);
}

}  // namespace
