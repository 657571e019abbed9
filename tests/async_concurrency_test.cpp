// Many coroutines on many threads creating at once: all names distinct,
// everything cleaned. Runs under ThreadSanitizer in CI.
#include <mutex>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::test::entries;

namespace {
class concurrency : public tempio::test::test_dir {};
}  // namespace

TEST_F(concurrency, a_thousand_creations_at_once_are_distinct_and_all_cleaned) {
    constexpr int count = 1000;
    net::thread_pool loop(4);  // four threads run the coroutines
    std::mutex mutex;
    std::set<fs::path> names;
    std::atomic<int> failures{0}, finished{0};
    for (int i = 0; i < count; ++i) {
        net::co_spawn(
            loop,
            [&, i]() -> net::awaitable<void> {
                if (i % 2 == 0) {
                    auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
                    {
                        std::lock_guard lock(mutex);
                        if (!names.insert(f.path()).second) ++failures;
                    }
                    co_await f.async_write("payload");
                    co_await f.async_close();
                } else {
                    auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
                    {
                        std::lock_guard lock(mutex);
                        if (!names.insert(d.path()).second) ++failures;
                    }
                    co_await d.async_cleanup();
                }
            },
            [&](std::exception_ptr e) {
                if (e) ++failures;
                ++finished;
            });
    }
    loop.join();
    EXPECT_EQ(finished.load(), count);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(names.size(), static_cast<std::size_t>(count));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(concurrency, objects_on_different_threads_do_not_interfere) {
    net::thread_pool loop(4);
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t) {
        net::co_spawn(
            loop,
            [&, t]() -> net::awaitable<void> {
                auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
                std::string mine(1000 + t, static_cast<char>('a' + t));
                for (int i = 0; i < 50; ++i) co_await f.async_write(mine);
                co_await f.async_seek(0);
                std::string back = co_await f.async_read();
                if (back.size() == mine.size() * 50 &&
                    back.find_first_not_of(static_cast<char>('a' + t)) == std::string::npos)
                    ++ok;
                co_await f.async_close();
            },
            net::detached);
    }
    loop.join();
    EXPECT_EQ(ok.load(), 8);
    EXPECT_TRUE(entries(dir_).empty());
}
