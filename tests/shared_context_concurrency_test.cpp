// One io_context run by several threads: a real use (Beast servers do it).
// Coroutines creating, writing, reading and closing files at once must all
// finish (no lost completion, no double free) and leave nothing behind, on
// both backends. Runs under ThreadSanitizer in CI.
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;
using tempio::test::entries;

namespace {
class shared_context : public tempio::test::test_dir {};

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int rounds = 60;
#else
constexpr int rounds = 300;
#endif
constexpr int coroutines = 64;
constexpr int threads = 8;
}  // namespace

TEST_F(shared_context, many_threads_one_context_every_coroutine_finishes) {
    net::io_context ctx(threads);
    std::atomic<int> finished{0}, failures{0};
    for (int c = 0; c < coroutines; ++c) {
        net::co_spawn(
            ctx,
            [&, c]() -> net::awaitable<void> {
                for (int i = 0; i < rounds; ++i) {
                    switch ((c + i) % 4) {
                        case 0: {  // named: close and unlink
                            auto f =
                                co_await tempio::named_temporary_file::async_create({.dir = dir_});
                            co_await f.async_close();
                            break;
                        }
                        case 1: {  // anonymous, with a write past the buffer and a read
                            auto f = co_await tempio::temporary_file::async_create(
                                {.buffering = 0, .dir = dir_});
                            co_await f.async_write("0123456789");
                            co_await f.async_seek(0);
                            if (co_await f.async_read() != "0123456789") ++failures;
                            co_await f.async_close();
                            break;
                        }
                        case 2: {
                            auto d =
                                co_await tempio::temporary_directory::async_create({.dir = dir_});
                            co_await d.async_cleanup();
                            break;
                        }
                        default: {  // destroyed without closing, after a worker job
                            auto f = co_await tempio::named_temporary_file::async_create(
                                {.dir = dir_, .delete_on_close = false});
                            co_await f.async_write("x");
                            co_await f.async_close();
                            break;
                        }
                    }
                }
            },
            [&](std::exception_ptr e) {
                if (e) ++failures;
                ++finished;
            });
    }
    std::vector<std::thread> runners;
    for (int t = 0; t < threads; ++t) runners.emplace_back([&] { ctx.run(); });
    // A hang shows as a failure with a count, not a CI timeout.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (finished < coroutines && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(finished.load(), coroutines) << "coroutines hung";
    for (auto& t : runners) t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_TRUE(entries(dir_).empty());
}
