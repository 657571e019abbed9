// Defects a hostile audit proved (issue 16), in the async layer: a worker
// that cannot start, exceptions from in-memory operations, and results whose
// completion is never delivered.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>

#include "backend/backend.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

namespace {
class hardening : public tempio::test::test_dir {};

// Waits (bounded) until `dir` has an entry and, on the pool, the job has
// posted its completion (jobs_finished counts it after posting): destroying
// the io_context before that would be the test's own use-after-free.
bool wait_for_entry(const fs::path& dir, unsigned long jobs_before) {
    bool pool = std::string_view(tempio::backend_name()) == "threads";
    for (int i = 0; i < 5000; ++i) {
        if (!entries(dir).empty() && (!pool || tempio::detail::jobs_finished() > jobs_before))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}
}  // namespace

// 16.2: RLIMIT_NPROC=1 for an unprivileged user: no worker can start. The
// error reaches the token; nothing escapes io_context::run(); no job is left
// queued to touch the io_context after it is gone.
TEST_F(hardening, a_worker_that_cannot_start_is_an_error_through_the_token) {
    int status = tempio::test::run_unprivileged([] {
        rlimit one{1, 1};
        if (::setrlimit(RLIMIT_NPROC, &one) != 0) return 10;
        int result = 0;
        try {
            net::io_context ctx;
            error_code got;
            bool called = false;
            // Bound to ctx: Asio's system executor would need a thread too.
            tempio::async_gettempdir(net::bind_executor(ctx, [&](error_code ec, fs::path) {
                got = ec;
                called = true;
            }));
            net::co_spawn(
                ctx,
                [&]() -> net::awaitable<void> {
                    auto [ec, p] = co_await tempio::async_gettempdir(net::as_tuple(net::deferred));
                    if (ec != std::errc::resource_unavailable_try_again) result = 11;
                },
                [&](std::exception_ptr e) {
                    if (e) result = 12;
                });
            ctx.run();
            if (!called) return 13;
            if (got != std::errc::resource_unavailable_try_again) return 14;
        } catch (...) {
            return 15;  // escaped run()
        }
        return result;
    });
    if (status == -1) GTEST_SKIP() << "needs root to drop to an unprivileged user";
    EXPECT_EQ(status, 0);
}

// 16.3: an in-memory spooled write or truncate that cannot be allocated is an
// error code with the state unchanged, never an exception out of the call or
// out of io_context::run().
TEST_F(hardening, impossible_in_memory_sizes_are_errors_not_exceptions) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(), {.max_size = 0, .dir = dir_});
    int calls = 0;
    f.async_write("abc", [&](error_code ec, std::size_t) {
        EXPECT_FALSE(ec);
        ++calls;
    });
    f.async_seek(INT64_MAX, [&](error_code, std::uint64_t) { ++calls; });
    ctx.run();
    ctx.restart();
    error_code write_ec, truncate_ec;
    EXPECT_NO_THROW(f.async_write("x", [&](error_code ec, std::size_t) {
        write_ec = ec;
        ++calls;
    }));
    EXPECT_NO_THROW(ctx.run());
    ctx.restart();
    EXPECT_TRUE(write_ec);
    f.async_truncate(std::uint64_t(1) << 40, [&](error_code ec, std::uint64_t) {
        truncate_ec = ec;
        ++calls;
    });
    EXPECT_NO_THROW(ctx.run());
    ctx.restart();
    EXPECT_TRUE(truncate_ec);
    EXPECT_EQ(calls, 4);
    EXPECT_FALSE(f.rolled());
    // State unchanged: the content is still "abc".
    std::string content;
    f.async_seek(0, [](error_code, std::uint64_t) {});
    f.async_read([&](error_code ec, std::string s) {
        EXPECT_FALSE(ec);
        content = std::move(s);
    });
    ctx.run();
    EXPECT_EQ(content, "abc");
}

// 16.11, on every driver: async_close of a named file removes its name only
// if the name is still the file (a statx step, on the ring too), and leaves
// a file that took the name. Both backends (ctest runs the file twice).
TEST_F(hardening, async_close_leaves_a_file_that_took_the_name) {
    fs::path taken, removed;
    std::error_code refused;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        taken = f.path();
        tempio::test::spit(dir_ / "stranger", "not yours");
        // Windows (classic rename semantics, and Wine) refuses to rename
        // over a file that is open: no stranger can take the name there.
        fs::rename(dir_ / "stranger", taken, refused);
        co_await f.async_close();
        if (refused) co_return;
        auto g = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        removed = g.path();
        co_await g.async_close();
    });
    if (refused) {
        EXPECT_FALSE(fs::exists(taken));
        GTEST_SKIP() << "a name held open cannot be renamed over here: " << refused.message();
    }
    EXPECT_EQ(tempio::test::slurp(taken), "not yours");
    EXPECT_FALSE(fs::exists(removed));
    EXPECT_EQ(entries(dir_), std::vector<std::string>{taken.filename().string()});
}

// 16.8: the work finished, then the io_context was destroyed with the
// completion still queued: the file or directory made is removed, not left
// under a name nobody learns. Both backends (ctest runs the file twice).
TEST_F(hardening, mkstemp_result_never_delivered_is_removed) {
    for (int round = 0; round < 20; ++round) {
        {
            net::io_context ctx;
            bool called = false;
            auto jobs = tempio::detail::jobs_finished();
            tempio::async_mkstemp({.dir = dir_},
                                  net::bind_executor(ctx, [&](auto...) { called = true; }));
            ASSERT_TRUE(wait_for_entry(dir_, jobs));
            // With io_uring, let the ring's completion (not the user's) run.
            if (round % 2 == 1) ctx.poll_one();
            EXPECT_FALSE(called && round % 2 == 0);  // nothing ran the context
            if (called) {  // delivered: the caller owned it, and dropped it
                for (const auto& e : entries(dir_)) fs::remove(dir_ / e);
                continue;
            }
        }
        EXPECT_TRUE(entries(dir_).empty()) << "round " << round;
        for (const auto& e : entries(dir_)) fs::remove(dir_ / e);
    }
}

TEST_F(hardening, mkdtemp_result_never_delivered_is_removed) {
    for (int round = 0; round < 20; ++round) {
        {
            net::io_context ctx;
            bool called = false;
            auto jobs = tempio::detail::jobs_finished();
            tempio::async_mkdtemp({.dir = dir_},
                                  net::bind_executor(ctx, [&](auto...) { called = true; }));
            ASSERT_TRUE(wait_for_entry(dir_, jobs));
            if (round % 2 == 1) ctx.poll_one();
            if (called) {
                for (const auto& e : entries(dir_)) fs::remove_all(dir_ / e);
                continue;
            }
        }
        EXPECT_TRUE(entries(dir_).empty()) << "round " << round;
        for (const auto& e : entries(dir_)) fs::remove_all(dir_ / e);
    }
}
