// Many coroutines on many threads creating at once: all names distinct,
// everything cleaned. Runs under ThreadSanitizer in CI.
#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
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

// path() is made on its first call (core/on_demand_path.hpp); a const member
// function, so several threads may ask at once: one path, no data race
// (ThreadSanitizer says so in CI).
TEST_F(concurrency, path_asked_on_several_threads_at_once_is_one_object) {
    net::io_context ctx;
    std::optional<tempio::named_temporary_file> file;
    std::optional<tempio::temporary_directory> dir;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            file.emplace(co_await tempio::named_temporary_file::async_create({.dir = dir_}));
            dir.emplace(co_await tempio::temporary_directory::async_create({.dir = dir_}));
        },
        net::detached);
    ctx.run();
    ASSERT_TRUE(file && dir);
    constexpr int threads = 4;
    std::vector<const fs::path*> file_paths(threads), dir_paths(threads);
    std::vector<std::string> file_texts(threads), dir_texts(threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> askers;
    for (int t = 0; t < threads; ++t)
        askers.emplace_back([&, t] {
            ++ready;
            while (ready.load() < threads) {
            }
            file_paths[t] = &file->path();
            dir_paths[t] = &dir->path();
            file_texts[t] = file->path().string();
            dir_texts[t] = dir->path().string();
        });
    for (auto& t : askers) t.join();
    for (int t = 0; t < threads; ++t) {
        EXPECT_EQ(file_paths[t], file_paths[0]);
        EXPECT_EQ(dir_paths[t], dir_paths[0]);
        EXPECT_EQ(file_texts[t], file_texts[0]);
        EXPECT_EQ(dir_texts[t], dir_texts[0]);
    }
    EXPECT_EQ(fs::path(file_texts[0]).parent_path(), dir_);
    EXPECT_EQ(fs::path(dir_texts[0]).parent_path(), dir_);
    EXPECT_TRUE(fs::exists(file_texts[0]));
    file.reset();
    dir.reset();
    EXPECT_TRUE(entries(dir_).empty());
}
