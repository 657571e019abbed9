// Stress: 8 threads running 64 coroutines each, creating, writing, reading
// and deleting files and directories for a fixed time: every name unique, no
// error, nothing left. Runs under ThreadSanitizer in CI (label concurrency).
// TEMPIO_STRESS_MS sets the duration (default 1500 ms; a longer soak:
// TEMPIO_STRESS_MS=60000).
//
// Fork: the rule is that implicit cleanup belongs to the creating process.
// A forked child that destroys its copies of tempio objects (normal exit,
// unwinding) only closes its descriptors; it never deletes the parent's
// files or directories. Explicit async_close()/async_cleanup() act wherever
// they are called. The child draws different names from the parent.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/names.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::test::entries;

namespace {

class stress : public tempio::test::test_dir {};

// LeakSanitizer runs at the exit of a forked child too, and reports as
// leaked whatever the parent's other threads held at the fork (those threads
// do not exist in the child). Not a leak of the child's: skip the check there.
bool g_in_forked_child = false;

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
extern "C" int __lsan_is_turned_off() {
    return g_in_forked_child ? 1 : 0;
}
#endif

namespace {

std::chrono::milliseconds duration() {
    const char* ms = std::getenv("TEMPIO_STRESS_MS");
    return std::chrono::milliseconds(ms ? std::atol(ms) : 1500);
}

}  // namespace

TEST_F(stress, eight_threads_of_64_coroutines_churn_files_and_directories) {
    constexpr int threads = 8, coroutines = 64;
    net::thread_pool loop(threads);
    const auto deadline = std::chrono::steady_clock::now() + duration();
    std::mutex mutex;
    std::set<fs::path> names;
    std::atomic<long> ops{0}, duplicates{0}, errors{0}, wrong_data{0};
    std::atomic<int> finished{0};

    auto remember = [&](const fs::path& p) {
        std::lock_guard lock(mutex);
        if (!names.insert(p).second) ++duplicates;
    };

    for (int c = 0; c < threads * coroutines; ++c) {
        net::co_spawn(
            loop,
            [&, c]() -> net::awaitable<void> {
                const std::string mine = "coroutine " + std::to_string(c) + "\n";
                for (int round = 0; std::chrono::steady_clock::now() < deadline; ++round) {
                    const int kind = (c + round) % 5;
                    if (kind == 0) {  // named: write, read back, close (deleted)
                        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
                        remember(f.path());
                        co_await f.async_write(mine);
                        co_await f.async_seek(0);
                        if (co_await f.async_read() != mine) ++wrong_data;
                        co_await f.async_close();
                    } else if (kind == 1) {  // anonymous, past the buffer
                        auto f = co_await tempio::temporary_file::async_create(
                            {.buffering = 16, .dir = dir_});
                        co_await f.async_write(mine);
                        co_await f.async_write(mine);
                        co_await f.async_seek(0);
                        if (co_await f.async_read() != mine + mine) ++wrong_data;
                        co_await f.async_close();
                    } else if (kind == 2) {  // spooled, rolled over
                        auto f = co_await tempio::spooled_temporary_file::async_create(
                            {.max_size = 8, .dir = dir_});
                        co_await f.async_write(mine);
                        if (!f.rolled()) ++wrong_data;
                        co_await f.async_seek(0);
                        if (co_await f.async_readline() != mine) ++wrong_data;
                        co_await f.async_close();
                    } else if (kind == 3) {  // a directory with content
                        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
                        remember(d.path());
                        auto inner = co_await tempio::named_temporary_file::async_create(
                            {.dir = d.path(), .keep = true});
                        remember(inner.path());
                        co_await inner.async_write(mine);
                        co_await inner.async_close();
                        fs::create_directory(d.path() / "sub");
                        co_await d.async_cleanup();
                    } else {  // low level
                        auto [fd, path] = co_await tempio::async_mkstemp({.dir = dir_});
                        remember(path);
                        fd.reset();
                        fs::remove(path);
                        auto p = co_await tempio::async_mkdtemp({.dir = dir_});
                        remember(p);
                        fs::remove(p);
                    }
                    ++ops;
                }
            },
            [&](std::exception_ptr e) {
                if (e) {
                    ++errors;
                    try {
                        std::rethrow_exception(e);
                    } catch (const std::exception& x) {
                        std::cerr << "coroutine failed: " << x.what() << "\n";
                    }
                }
                ++finished;
            });
    }
    loop.join();
    std::cout << "[stress] " << threads << " threads x " << coroutines << " coroutines: " << ops
              << " operations, " << names.size() << " distinct names" << std::endl;
    RecordProperty("operations", static_cast<int>(ops.load()));
    EXPECT_EQ(finished.load(), threads * coroutines);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(duplicates.load(), 0) << "a name was handed out twice";
    EXPECT_EQ(wrong_data.load(), 0);
    EXPECT_GE(ops.load(), threads * coroutines) << "every coroutine did at least one round";
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(stress, a_forked_child_never_deletes_the_parents_files) {
    if (!tempio::test::can_fork()) GTEST_SKIP() << "no fork() on this platform";
    fs::path file_path, dir_path;
    int status = -1;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto kept = co_await tempio::named_temporary_file::async_create(
            {.dir = dir_, .delete_on_close = false});
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        co_await f.async_write("parent data");  // still in the buffer
        file_path = f.path();
        dir_path = d.path();
        std::cout.flush();
        pid_t pid = ::fork();
        if (pid == 0) {
            g_in_forked_child = true;
            // The child leaves the ordinary way: exit() runs destructors of
            // everything static, and this scope's objects die with it too.
            {
                auto moved_f = std::move(f);
                auto moved_kept = std::move(kept);
                auto moved_d = std::move(d);
            }
            std::exit(0);
        }
        ::waitpid(pid, &status, 0);
        EXPECT_TRUE(fs::exists(file_path)) << "the child deleted the parent's file";
        EXPECT_TRUE(fs::exists(kept.path()));
        EXPECT_TRUE(fs::is_directory(dir_path)) << "the child removed the parent's directory";
        // The child neither flushed nor lost the parent's buffer.
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "parent data");
        co_await f.async_close();
        co_await kept.async_close();
        co_await d.async_cleanup();
    });
    EXPECT_EQ(status, 0);
    EXPECT_FALSE(fs::exists(file_path));
    EXPECT_FALSE(fs::exists(dir_path));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(stress, the_name_generator_differs_in_a_forked_child) {
    if (!tempio::test::can_fork()) GTEST_SKIP() << "no fork() on this platform";
    std::string warm;
    tempio::detail::append_random_name(warm);  // the parent's generator is seeded
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string names;
        for (int i = 0; i < 16; ++i) tempio::detail::append_random_name(names);
        ssize_t n = ::write(pipe_fds[1], names.data(), names.size());
        ::_exit(n == static_cast<ssize_t>(names.size()) ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    std::string parent;
    for (int i = 0; i < 16; ++i) tempio::detail::append_random_name(parent);
    std::string child(parent.size(), '\0');
    std::size_t got = 0;
    while (got < child.size()) {
        ssize_t n = ::read(pipe_fds[0], child.data() + got, child.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_EQ(got, child.size());
    ASSERT_EQ(status, 0);
    std::set<std::string> parent_names, child_names;
    for (std::size_t i = 0; i < parent.size(); i += 8) {
        parent_names.insert(parent.substr(i, 8));
        child_names.insert(child.substr(i, 8));
    }
    for (const auto& n : child_names)
        EXPECT_EQ(parent_names.count(n), 0u) << "the child repeats the parent's name " << n;
}
