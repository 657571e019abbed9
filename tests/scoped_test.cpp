// with_temporary_file & co (anyio's `async with`): cleanup is always awaited,
// asynchronously, whether fn returned, threw or was cancelled.
#include <fstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backend/backend.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using namespace std::chrono_literals;

namespace {
class scoped : public tempio::test::test_dir {};
}  // namespace

TEST_F(scoped, returns_fn_result_and_cleans_up) {
    fs::path seen;
    int n = tempio::run([&]() -> net::awaitable<int> {
        co_return co_await tempio::with_named_temporary_file(
            {.dir = dir_}, [&](tempio::named_temporary_file& f) -> net::awaitable<int> {
                seen = f.path();
                EXPECT_TRUE(fs::exists(seen));
                co_return static_cast<int>(co_await f.async_write("hello"));
            });
    });
    EXPECT_EQ(n, 5);
    EXPECT_FALSE(fs::exists(seen));
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

TEST_F(scoped, every_class_and_void_results) {
    tempio::run([&]() -> net::awaitable<void> {
        co_await tempio::with_temporary_file({.dir = dir_}, [](auto& f) -> net::awaitable<void> {
            co_await f.async_write("x");
            EXPECT_TRUE(f.is_open());
        });
        std::string s = co_await tempio::with_spooled_temporary_file(
            {.max_size = 4, .dir = dir_}, [](auto& f) -> net::awaitable<std::string> {
                co_await f.async_write("hello world");  // rolls over
                EXPECT_TRUE(f.rolled());
                co_await f.async_seek(0);
                co_return co_await f.async_read();
            });
        EXPECT_EQ(s, "hello world");
        auto ex = co_await net::this_coro::executor;
        fs::path p = co_await tempio::with_temporary_directory(
            ex, {.dir = dir_}, [](auto& d) -> net::awaitable<fs::path> {
                std::ofstream(d.path() / "file") << "x";
                co_return d.path();
            });
        EXPECT_FALSE(fs::exists(p));
    });
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

TEST_F(scoped, fn_throwing_still_cleans_up_and_rethrows) {
    fs::path seen;
    EXPECT_THROW(tempio::run([&]() -> net::awaitable<void> {
                     co_await tempio::with_temporary_directory(
                         {.dir = dir_}, [&](auto& d) -> net::awaitable<void> {
                             seen = d.path();
                             throw std::runtime_error("boom");
                             co_return;
                         });
                 }),
                 std::runtime_error);
    EXPECT_FALSE(fs::exists(seen));
}

// The pitfall the helpers exist for: after cancellation, a plain co_await of
// the cleanup throws before it starts. The helper's cleanup runs as a job
// (the tree holds a file, so the pool's remover does it), not in the
// blocking destructor.
TEST_F(scoped, cancelled_fn_cleanup_is_still_awaited_asynchronously) {
    net::io_context ctx;
    net::cancellation_signal signal;
    fs::path seen;
    unsigned long jobs_at_cancel = 0;
    std::exception_ptr outcome;
    bool done = false;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            co_await tempio::with_temporary_directory(
                {.dir = dir_}, [&](auto& d) -> net::awaitable<void> {
                    seen = d.path();
                    for (int i = 0; i < 50; ++i) std::ofstream(d.path() / std::to_string(i)) << i;
                    net::steady_timer t(co_await net::this_coro::executor, 10s);
                    // Cancelled once the wait has begun, however long the
                    // creation took (a fixed delay lost that race under load).
                    net::post(ctx, [&] {
                        jobs_at_cancel = tempio::detail::jobs_run();
                        signal.emit(net::cancellation_type::terminal);
                    });
                    co_await t.async_wait(net::use_awaitable);  // cancelled here
                });
        },
        net::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
            outcome = e;
            done = true;
        }));
    ctx.run();
    ASSERT_TRUE(done);
    ASSERT_TRUE(outcome);
    try {
        std::rethrow_exception(outcome);
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), net::error::operation_aborted);
    }
    EXPECT_FALSE(fs::exists(seen));
    // Removed by a worker job, not the blocking destructor. A worker counts
    // its job just after posting the completion: give it a moment.
    for (int i = 0; i < 1000 && tempio::detail::jobs_run() == jobs_at_cancel; ++i)
        std::this_thread::sleep_for(1ms);
    EXPECT_GT(tempio::detail::jobs_run(), jobs_at_cancel);
}

TEST_F(scoped, plain_co_await_cleanup_after_cancellation_throws_before_starting) {
    // Documents the pitfall (async_close/async_cleanup headers): without the
    // helper, the cleanup is skipped and the destructor does it, blocking.
    net::io_context ctx;
    net::cancellation_signal signal;
    bool cleanup_threw = false;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            try {
                net::steady_timer t(co_await net::this_coro::executor, 10s);
                // Cancelled once the wait has begun, however long the
                // creation took (a fixed delay lost that race under load).
                net::post(ctx, [&] { signal.emit(net::cancellation_type::terminal); });
                co_await t.async_wait(net::use_awaitable);
            } catch (const boost::system::system_error&) {
            }
            try {
                co_await d.async_cleanup();
            } catch (const boost::system::system_error& e) {
                cleanup_threw = e.code() == net::error::operation_aborted;
            }
        },
        net::bind_cancellation_slot(signal.slot(), [](std::exception_ptr) {}));
    ctx.run();
    EXPECT_TRUE(cleanup_threw);
    EXPECT_TRUE(tempio::test::entries(dir_).empty());  // the destructor did it
}

// As CPython's __exit__: a kept (or published) directory stays.
TEST_F(scoped, a_kept_or_published_directory_stays) {
    fs::path kept, published;
    tempio::run([&]() -> net::awaitable<void> {
        kept = co_await tempio::with_temporary_directory(
            {.dir = dir_, .keep = true},
            [](auto& d) -> net::awaitable<fs::path> { co_return d.path(); });
        published = dir_ / "published";
        co_await tempio::with_temporary_directory(
            {.dir = dir_},
            [&](auto& d) -> net::awaitable<void> { co_await d.async_persist(published); });
    });
    EXPECT_TRUE(fs::is_directory(kept));
    EXPECT_TRUE(fs::is_directory(published));
    fs::remove(kept);
    fs::remove(published);
}
