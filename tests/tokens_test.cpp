// Every async_* is an Asio initiating function: every token style works,
// completions arrive on the right executor and never inline, the work is
// tracked, and blocking work never runs on the io_context's thread.
#include <atomic>
#include <future>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include "core/names.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

namespace {
class tokens : public tempio::test::test_dir {};

std::atomic<std::thread::id> g_name_thread;
void recording_source(std::string& out) {
    g_name_thread = std::this_thread::get_id();
    out += "recorded";
}
}  // namespace

TEST_F(tokens, deferred_is_the_default_and_co_await_works) {
    tempio::run([&]() -> net::awaitable<void> {
        auto dir = co_await tempio::async_mkdtemp({.dir = dir_});
        EXPECT_TRUE(fs::is_directory(dir));
        fs::remove(dir);
    });
}

TEST_F(tokens, use_awaitable_works) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f =
            co_await tempio::named_temporary_file::async_create({.dir = dir_}, net::use_awaitable);
        co_await f.async_write("x", net::use_awaitable);
        co_await f.async_close(net::use_awaitable);
        EXPECT_FALSE(fs::exists(f.path()));
    });
}

TEST_F(tokens, as_tuple_reports_errors_without_throwing) {
    tempio::run([&]() -> net::awaitable<void> {
        auto [ec, path] = co_await tempio::async_mkdtemp({.dir = dir_ / "missing"},
                                                         net::as_tuple(net::use_awaitable));
        EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
        EXPECT_TRUE(path.empty());
    });
}

TEST_F(tokens, errors_throw_system_error_through_awaitables) {
    EXPECT_THROW(tempio::run([&]() -> net::awaitable<void> {
                     co_await tempio::async_mkdtemp({.dir = dir_ / "missing"});
                 }),
                 tempio::system_error);
}

TEST_F(tokens, use_future_works) {
    net::io_context ctx;
    auto guard = net::make_work_guard(ctx);
    std::thread runner([&] { ctx.run(); });
    std::future<fs::path> fut = tempio::async_mkdtemp({.dir = dir_}, net::use_future);
    fs::path dir = fut.get();
    EXPECT_TRUE(fs::is_directory(dir));
    std::future<tempio::temporary_directory> td = tempio::temporary_directory::async_create(
        ctx.get_executor(), {.dir = dir_}, net::use_future);
    EXPECT_TRUE(fs::is_directory(td.get().path()));
    guard.reset();
    runner.join();
    fs::remove(dir);
}

TEST_F(tokens, callbacks_run_on_the_bound_executor_never_inline_and_work_is_tracked) {
    net::io_context ctx;
    bool called = false;
    std::thread::id callback_thread;
    tempio::async_mkdtemp({.dir = dir_}, net::bind_executor(ctx, [&](error_code ec, fs::path p) {
                              EXPECT_FALSE(ec);
                              called = true;
                              callback_thread = std::this_thread::get_id();
                              fs::remove(p);
                          }));
    EXPECT_FALSE(called) << "never inline";
    // run() must not return before the callback ran: the operation counts as work.
    ctx.run();
    EXPECT_TRUE(called);
    EXPECT_EQ(callback_thread, std::this_thread::get_id());
}

// An any_io_executor around an io_context's own executor (what co_spawn on
// an io_context and an object made from ctx.get_executor() give) has its
// completions posted to that io_context directly (detail::handler_on):
// still never inside the initiating call, still counted as work, still run
// by that io_context. One file after another, each operation started from
// the previous one's callback: on tmpfs each is alone and runs inline (its
// completion posted by the engine), elsewhere on the ring or the pool.
namespace {
struct create_then_close {
    net::io_context& ctx;
    net::any_io_executor ex;
    const fs::path& dir;
    int& created;
    int& closed;

    void start(int left) {
        if (left == 0) return;
        auto returned = std::make_shared<bool>(false);
        tempio::named_temporary_file::async_create(
            {.dir = dir},
            net::bind_executor(
                ex, [this, left, returned](error_code ec, tempio::named_temporary_file f) {
                    EXPECT_TRUE(*returned) << "never inside async_create";
                    ASSERT_FALSE(ec);
                    EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
                    ++created;
                    close(std::make_shared<tempio::named_temporary_file>(std::move(f)), left);
                }));
        *returned = true;
    }
    void close(std::shared_ptr<tempio::named_temporary_file> file, int left) {
        auto returned = std::make_shared<bool>(false);
        file->async_close(net::bind_executor(ex, [this, file, left, returned](error_code ec) {
            EXPECT_TRUE(*returned) << "never inside async_close";
            EXPECT_FALSE(ec);
            EXPECT_TRUE(ctx.get_executor().running_in_this_thread());
            ++closed;
            start(left - 1);
        }));
        *returned = true;
    }
};
}  // namespace

TEST_F(tokens, a_callback_on_an_any_io_executor_of_an_io_context_is_posted_to_it) {
    net::io_context ctx;
    int created = 0, closed = 0;
    create_then_close chain{ctx, ctx.get_executor(), dir_, created, closed};
    chain.start(4);
    ctx.run();  // returns only once every completion ran: each one is work
    EXPECT_EQ(created, 4);
    EXPECT_EQ(closed, 4);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(tokens, object_operations_default_to_the_objects_executor) {
    net::io_context ctx;
    tempio::temporary_file file(ctx.get_executor());
    bool created = false;
    tempio::temporary_file::async_create(
        ctx.get_executor(), {.dir = dir_}, [&](error_code ec, tempio::temporary_file f) {
            EXPECT_FALSE(ec);
            EXPECT_EQ(f.get_executor(), net::any_io_executor(ctx.get_executor()));
            file = std::move(f);
            created = true;
        });
    ctx.run();
    ASSERT_TRUE(created);
    ctx.restart();
    std::thread::id write_thread;
    file.async_write("abc", [&](error_code ec, std::size_t n) {
        EXPECT_FALSE(ec);
        EXPECT_EQ(n, 3u);
        write_thread = std::this_thread::get_id();
    });
    ctx.run();
    EXPECT_EQ(write_thread, std::this_thread::get_id());
}

TEST_F(tokens, a_file_on_a_strand_delivers_callbacks_on_that_strand) {
    // The file keeps a plain io_context executor as the context's address
    // (detail::kept_executor); any other executor, a strand here, is kept
    // whole and still runs the completions of handlers without their own.
    net::io_context ctx;
    auto strand = net::make_strand(ctx);
    std::optional<tempio::temporary_file> file;
    tempio::temporary_file::async_create(net::any_io_executor(strand), {.dir = dir_},
                                         [&](error_code ec, tempio::temporary_file f) {
                                             EXPECT_FALSE(ec);
                                             file.emplace(std::move(f));
                                         });
    ctx.run();
    ASSERT_TRUE(file);
    EXPECT_EQ(file->get_executor(), net::any_io_executor(strand));
    EXPECT_NE(file->get_executor(), net::any_io_executor(ctx.get_executor()));
    int on_strand = 0;
    for (int i = 0; i < 3; ++i) {  // one after the other, as the contract asks
        ctx.restart();
        file->async_write("abc", [&](error_code ec, std::size_t n) {
            EXPECT_FALSE(ec);
            EXPECT_EQ(n, 3u);
            on_strand += strand.running_in_this_thread() ? 1 : 0;
        });
        ctx.run();
    }
    EXPECT_EQ(on_strand, 3);
}

TEST_F(tokens, completions_arrive_on_the_coroutines_strand) {
    net::thread_pool pool(4);
    auto strand = net::make_strand(pool);
    std::promise<bool> done;
    net::co_spawn(
        strand,
        [&]() -> net::awaitable<bool> {
            bool all_on_strand = true;
            for (int i = 0; i < 20; ++i) {
                auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
                all_on_strand &= strand.running_in_this_thread();
                // 40 in a row: past inline_resumption's limit, some are posted.
                for (int j = 0; j < 40; ++j) {
                    co_await f.async_write("x");
                    all_on_strand &= strand.running_in_this_thread();
                }
                co_await f.async_close();
                all_on_strand &= strand.running_in_this_thread();
            }
            co_return all_on_strand;
        },
        [&](std::exception_ptr e, bool ok) { done.set_value(!e && ok); });
    EXPECT_TRUE(done.get_future().get());
    pool.join();
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(tokens, blocking_work_never_runs_on_the_io_context_thread) {
    // With io_uring the kernel does the blocking part and names are drawn on
    // the loop (no system call); backend_test.cpp proves no pool job is made.
    if (std::string_view(tempio::backend_name()) == "io_uring")
        GTEST_SKIP() << "the pool's property; the ring makes no job";
    tempio::detail::set_name_source_for_testing(recording_source);
    std::thread::id loop_thread = std::this_thread::get_id();
    g_name_thread = loop_thread;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
    });
    tempio::detail::set_name_source_for_testing(nullptr);
    EXPECT_NE(g_name_thread.load(), loop_thread);
}

TEST_F(tokens, integers_are_never_taken_for_tokens) {
    // Without the completion_token_for constraint, f.async_read(2) and
    // f.async_truncate(4u) would pick the token-only overloads with Token = int.
    static_assert(!net::completion_token_for<int, void(error_code, std::string)>);
    static_assert(!net::completion_token_for<unsigned, void(error_code, std::uint64_t)>);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write("abcdef");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(2), "ab");
        EXPECT_EQ(co_await f.async_truncate(4u), 4u);
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "abcd");
    });
}

// Issue 14: a coroutine's co_await of an operation whose result is known in
// the initiation (a buffered write, a buffered line, a known position)
// resumes at once, not through the scheduler; at most `limit` in a row, so
// the io_context's other handlers still run between them.
namespace {
constexpr std::size_t in_a_row = tempio::detail::inline_resumption::limit;

// The handlers io_context::run executed while one coroutine made `n`
// operations that each complete at once.
template <class Op>
std::size_t handlers_run_for(Op op, int n) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(), {});
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            for (int i = 0; i < n; ++i) co_await op(f);
        },
        net::detached);
    return ctx.run();
}
}  // namespace

TEST_F(tokens, a_coroutine_resumes_at_once_when_the_result_is_known_yet_yields) {
    if (!tempio::detail::asio_handler_detection)
        GTEST_SKIP() << "the Asio fallback posts every completion (detail/asio_compat.hpp)";
    const int n = 1000;
    auto deferred_write = [](tempio::spooled_temporary_file& f) { return f.async_write("x"); };
    auto awaitable_write = [](tempio::spooled_temporary_file& f) {
        return f.async_write("x", net::use_awaitable);
    };
    auto engine_tell = [](tempio::spooled_temporary_file& f) { return f.async_tell(); };
    for (std::size_t handlers :
         {handlers_run_for(deferred_write, n), handlers_run_for(awaitable_write, n),
          handlers_run_for(engine_tell, n)}) {
        // One post per `in_a_row + 1` operations, plus co_spawn's own few.
        EXPECT_LE(handlers, n / (in_a_row + 1) + 8) << "resumed through the scheduler";
        EXPECT_GE(handlers, n / (in_a_row + 1)) << "more than `limit` in a row";
    }
}

TEST_F(tokens, net_async_write_in_a_coroutine_resumes_at_once_too) {
    if (!tempio::detail::asio_handler_detection)
        GTEST_SKIP() << "the Asio fallback posts every completion (detail/asio_compat.hpp)";
    // Asio's write_op passes at most 16 buffers per async_write_some: 1,000
    // buffers are 63 calls, each completing at once on a file in memory.
    std::vector<net::const_buffer> buffers(1000, net::buffer("0123456789abcdef", 16));
    auto write_all = [&](tempio::spooled_temporary_file& f) {
        return net::async_write(f, buffers, net::deferred);
    };
    const int calls = 10, per_call = 63;
    std::size_t handlers = handlers_run_for(write_all, calls);
    EXPECT_LE(handlers, calls * per_call / (in_a_row + 1) + 8) << "resumed through the scheduler";
    EXPECT_GE(handlers, calls * per_call / (in_a_row + 1)) << "more than `limit` in a row";
}

TEST_F(tokens, callbacks_and_composed_tokens_are_still_posted) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(), {});
    bool called = false;
    f.async_write("x", [&](error_code, std::size_t) { called = true; });
    EXPECT_FALSE(called) << "a callback ran inside the initiating call";
    ctx.run();
    EXPECT_TRUE(called);
    // as_tuple wraps the coroutine's handler: posted, as any other handler.
    ctx.restart();
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            for (int i = 0; i < 100; ++i) {
                auto [ec, n] = co_await f.async_write("x", net::as_tuple(net::deferred));
                EXPECT_FALSE(ec);
                EXPECT_EQ(n, 1u);
            }
        },
        net::detached);
    EXPECT_GE(ctx.run(), 100u);
}

TEST_F(tokens, a_file_destroyed_right_after_resuming_at_once_is_gone_at_once) {
    tempio::run([&]() -> net::awaitable<void> {
        fs::path path;
        {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            path = f.path();
            co_await f.async_write("x");             // buffered: resumes at once
            EXPECT_EQ(co_await f.async_tell(), 1u);  // the engine's at-once path
        }
        EXPECT_FALSE(fs::exists(path)) << "the operation kept the file alive";
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(tokens, a_million_writes_resumed_at_once_do_not_grow_the_stack) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        for (int i = 0; i < 1000000; ++i) co_await f.async_write("0123456789abcdef");
        EXPECT_EQ(co_await f.async_tell(), 16000000u);
        co_await f.async_close();
    });
}
