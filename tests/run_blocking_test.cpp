// async_run_blocking: the user's own blocking call on tempio's pool.
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>

#include "backend/backend.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;

TEST(run_blocking, returns_the_value_computed_on_a_worker) {
    auto caller = std::this_thread::get_id();
    auto [value, on_worker] = tempio::run([&]() -> net::awaitable<std::pair<int, bool>> {
        bool worker = false;
        int v = co_await tempio::async_run_blocking([&] {
            worker = tempio::detail::on_worker_thread() && std::this_thread::get_id() != caller;
            return 42;
        });
        co_return std::pair{v, worker};
    });
    EXPECT_EQ(value, 42);
    EXPECT_TRUE(on_worker);
}

TEST(run_blocking, void_functions_and_move_only_results) {
    tempio::run([&]() -> net::awaitable<void> {
        int side = 0;
        co_await tempio::async_run_blocking([&] { side = 7; });
        EXPECT_EQ(side, 7);
        auto p = co_await tempio::async_run_blocking([] { return std::make_unique<int>(3); });
        EXPECT_EQ(*p, 3);
    });
}

TEST(run_blocking, exceptions_reach_the_awaiting_coroutine) {
    EXPECT_THROW(tempio::run([&]() -> net::awaitable<void> {
                     co_await tempio::async_run_blocking(
                         []() -> int { throw std::runtime_error("from the worker"); });
                 }),
                 std::runtime_error);
}

TEST(run_blocking, completes_on_the_handlers_executor_never_inline) {
    net::io_context ctx;
    bool called = false;
    tempio::async_run_blocking([] { return 1; },
                               net::bind_executor(ctx, [&](std::exception_ptr e, int v) {
                                   EXPECT_FALSE(e);
                                   EXPECT_EQ(v, 1);
                                   called = true;
                               }));
    EXPECT_FALSE(called);
    ctx.run();
    EXPECT_TRUE(called);
}

TEST(run_blocking, cancelled_before_it_starts_never_runs) {
    tempio::set_worker_threads(1);
    net::io_context ctx;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> blocker_running{false};
    // Occupy the only worker.
    tempio::async_run_blocking(
        [&] {
            blocker_running = true;
            released.wait();
        },
        net::bind_executor(ctx, [](std::exception_ptr) {}));
    while (!blocker_running) std::this_thread::yield();
    std::atomic<bool> ran{false};
    net::cancellation_signal signal;
    std::exception_ptr outcome;
    tempio::async_run_blocking(
        [&] {
            ran = true;
            return 5;
        },
        net::bind_cancellation_slot(signal.slot(),
                                    net::bind_executor(ctx, [&](std::exception_ptr e, int v) {
                                        outcome = e;
                                        EXPECT_EQ(v, 0);
                                    })));
    signal.emit(net::cancellation_type::terminal);
    release.set_value();
    ctx.run();
    EXPECT_FALSE(ran);
    ASSERT_TRUE(outcome);
    try {
        std::rethrow_exception(outcome);
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), net::error::operation_aborted);
    }
}
