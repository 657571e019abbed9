// Issue 28: detail/asio_compat.hpp recognizes a coroutine's own completion
// handlers by naming Asio internals, only for the Asio versions known to
// have them; everywhere else (and with TEMPIO_ASIO_FALLBACK=ON, which CI
// builds as build/asio-fallback) no handler is a coroutine's and every
// completion is posted. This file checks which mode it was compiled in, that
// the mode really decides how a coroutine is resumed, and that coroutine
// completions of every kind (files, directories, publishing,
// async_run_blocking) work in either mode.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>

#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::detail::asio_handler_detection;
using tempio::test::entries;
using tempio::test::slurp;
using tempio::test::spit;

// The mode, decided at compile time: forced by the CMake option, else by
// the Asio version (the range documented in detail/asio_compat.hpp).
#if defined(TEMPIO_FORCE_ASIO_FALLBACK) && TEMPIO_FORCE_ASIO_FALLBACK
static_assert(!asio_handler_detection, "TEMPIO_ASIO_FALLBACK must force the fallback");
#elif BOOST_ASIO_VERSION >= 102600 && BOOST_ASIO_VERSION < 103400
static_assert(asio_handler_detection, "an Asio of the checked range gets the detection");
#else
static_assert(!asio_handler_detection, "an Asio outside the checked range gets the fallback");
#endif

namespace {
class asio_fallback : public tempio::test::test_dir {};

// An operation that records whether tempio takes its handler for a
// coroutine's, then completes through a post.
template <class Token>
auto async_probe(bool& coroutine, Token&& token) {
    return net::async_initiate<Token, void(error_code)>(
        [&coroutine](auto h) {
            coroutine = tempio::detail::is_coroutine_handler<decltype(h)>;
            auto ex = net::get_associated_executor(h);
            net::post(ex, [h = std::move(h)]() mutable { std::move(h)(error_code{}); });
        },
        token);
}

// A stream for net::async_write whose async_write_some records the same
// about the handler Asio's write_op gives it.
struct probe_stream {
    using executor_type = net::any_io_executor;
    executor_type ex;
    bool* coroutine;
    executor_type get_executor() const { return ex; }
    template <class Buffers, class Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        return net::async_initiate<Token, void(error_code, std::size_t)>(
            [this, n = net::buffer_size(buffers)](auto h) {
                *coroutine = tempio::detail::is_coroutine_handler<decltype(h)>;
                net::post(ex, [h = std::move(h), n]() mutable { std::move(h)(error_code{}, n); });
            },
            token);
    }
};

// The handlers io_context::run executed while one coroutine made `n`
// buffered writes to a spooled file in memory (each known at once).
std::size_t handlers_run_for_writes(int n) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(), {});
    auto writes = [&]() -> net::awaitable<void> {
        for (int i = 0; i < n; ++i) co_await f.async_write("x");
    };
    net::co_spawn(ctx, writes(), net::detached);
    return ctx.run();
}
}  // namespace

TEST_F(asio_fallback, the_mode_decides_which_handlers_are_a_coroutines) {
    bool deferred = !asio_handler_detection, awaitable = deferred, write_op = deferred;
    bool callback = true;
    tempio::run([&]() -> net::awaitable<void> {
        co_await async_probe(deferred, net::deferred);
        co_await async_probe(awaitable, net::use_awaitable);
        probe_stream stream{co_await net::this_coro::executor, &write_op};
        std::string data = "abc";
        EXPECT_EQ(co_await net::async_write(stream, net::buffer(data), net::deferred), 3u);
        // as_tuple wraps the coroutine's handler: never one, in either mode.
        bool wrapped = true;
        co_await async_probe(wrapped, net::as_tuple(net::deferred));
        EXPECT_FALSE(wrapped);
    });
    EXPECT_EQ(deferred, asio_handler_detection) << "co_await of net::deferred";
    EXPECT_EQ(awaitable, asio_handler_detection) << "net::use_awaitable";
    EXPECT_EQ(write_op, asio_handler_detection) << "net::async_write's write_op";
    net::io_context ctx;
    auto record = [](error_code) {};
    async_probe(callback, net::bind_executor(ctx, record));
    ctx.run();
    EXPECT_FALSE(callback) << "a callback is never a coroutine's";
}

TEST_F(asio_fallback, the_mode_decides_whether_a_coroutine_resumes_at_once) {
    const int n = 200;
    const std::size_t handlers = handlers_run_for_writes(n);
    if (asio_handler_detection) {
        // At most inline_resumption::limit in a row, then one post.
        const std::size_t in_a_row = tempio::detail::inline_resumption::limit;
        EXPECT_LE(handlers, n / (in_a_row + 1) + 8) << "resumed through the scheduler";
    } else {
        EXPECT_GE(handlers, static_cast<std::size_t>(n)) << "every completion is posted";
    }
}

TEST_F(asio_fallback, files_are_made_written_read_and_closed) {
    tempio::run([&]() -> net::awaitable<void> {
        fs::path path;
        {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            path = f.path();
            EXPECT_TRUE(fs::exists(path));
            co_await f.async_write("one\ntwo\n");
            const std::vector<std::string> lines{"three\n", "four\n"};
            co_await f.async_writelines(lines);
            EXPECT_EQ(co_await f.async_tell(), 19u);
            co_await f.async_flush();
            EXPECT_EQ(co_await f.async_seek(0), 0u);
            EXPECT_EQ(co_await f.async_readline(), "one\n");
            EXPECT_EQ(co_await f.async_read(4), "two\n");
            EXPECT_EQ(co_await f.async_read(), "three\nfour\n");
            co_await f.async_close();
        }
        EXPECT_FALSE(fs::exists(path)) << "deleted on close";

        auto t = co_await tempio::temporary_file::async_create({.dir = dir_}, net::use_awaitable);
        co_await t.async_write("anonymous", net::use_awaitable);
        co_await t.async_seek(0, net::use_awaitable);
        EXPECT_EQ(co_await t.async_read(net::use_awaitable), "anonymous");
        co_await t.async_close(net::use_awaitable);

        // In memory, then rolled over to a file; net::async_write on both.
        auto s = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
        std::vector<net::const_buffer> buffers(40, net::buffer("0123456789abcdef", 16));
        EXPECT_EQ(co_await net::async_write(s, buffers, net::deferred), 640u);
        EXPECT_FALSE(s.rolled());
        co_await s.async_rollover();
        EXPECT_TRUE(s.rolled());
        EXPECT_EQ(co_await net::async_write(s, buffers, net::deferred), 640u);
        co_await s.async_seek(0);
        EXPECT_EQ((co_await s.async_read()).size(), 1280u);
        co_await s.async_close();

        // An error still reaches the coroutine, as an exception or a tuple.
        const fs::path missing = dir_ / "missing";
        auto [ec, none] = co_await tempio::named_temporary_file::async_create(
            {.dir = missing}, net::as_tuple(net::deferred));
        EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
        try {
            co_await tempio::named_temporary_file::async_create({.dir = missing});
            ADD_FAILURE() << "the directory is missing";
        } catch (const tempio::system_error& e) {
            EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
        }
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(asio_fallback, directories_are_made_filled_and_cleaned_up) {
    tempio::run([&]() -> net::awaitable<void> {
        auto path = co_await tempio::async_mkdtemp({.dir = dir_});
        EXPECT_TRUE(fs::is_directory(path));
        fs::remove(path);
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        const fs::path inside = d.path();
        auto f = co_await tempio::named_temporary_file::async_create({.dir = inside, .keep = true});
        co_await f.async_write("kept");
        co_await f.async_close();
        fs::create_directories(inside / "a" / "b");
        spit(inside / "a" / "b" / "c", "deep");
        co_await d.async_cleanup();
        EXPECT_FALSE(fs::exists(inside));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(asio_fallback, files_and_directories_are_published) {
    tempio::run([&]() -> net::awaitable<void> {
        const fs::path target = dir_ / "file";
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("persisted");
        co_await f.async_persist(target);
        EXPECT_EQ(f.path(), target);
        auto g = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto [taken] = co_await g.async_persist_noclobber(target, net::as_tuple(net::deferred));
        EXPECT_EQ(taken, std::errc::file_exists);
        co_await g.async_close();
        co_await f.async_close();
        EXPECT_EQ(slurp(target), "persisted") << "kept: published";

        const fs::path atomic = dir_ / "atomic";
        auto a = co_await tempio::atomic_file::async_create(atomic, {.durable = false});
        co_await a.async_write("committed");
        co_await a.async_commit();
        EXPECT_EQ(slurp(atomic), "committed");
        auto b = co_await tempio::atomic_file::async_create(atomic);
        co_await b.async_write("abandoned");
        co_await b.async_abandon();
        co_await tempio::async_write_file_atomically(atomic, "replaced");
        EXPECT_EQ(slurp(atomic), "replaced");

        const fs::path dir_target = dir_ / "dir";
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        spit(d.path() / "inside", "x");
        co_await d.async_persist(dir_target);
        EXPECT_EQ(slurp(dir_target / "inside"), "x");
        if (tempio::can_exchange_directories()) {
            auto e = co_await tempio::temporary_directory::async_create({.dir = dir_});
            spit(e.path() / "inside", "y");
            co_await e.async_exchange(dir_target);
            EXPECT_EQ(slurp(dir_target / "inside"), "y");  // the old tree is removed
        }
    });
    EXPECT_EQ(entries(dir_), (std::vector<std::string>{"atomic", "dir", "file"}));
    fs::remove_all(dir_ / "dir");
    fs::remove(dir_ / "atomic");
    fs::remove(dir_ / "file");
}

TEST_F(asio_fallback, blocking_work_completes_the_coroutine) {
    const auto caller = std::this_thread::get_id();
    tempio::run([&]() -> net::awaitable<void> {
        bool elsewhere = false;
        auto compute = [&] {
            elsewhere = std::this_thread::get_id() != caller;
            return 42;
        };
        EXPECT_EQ(co_await tempio::async_run_blocking(compute), 42);
        EXPECT_TRUE(elsewhere) << "on a worker";
        const fs::path path = dir_ / "written-by-a-worker";
        auto write = [path] { spit(path, "blocking"); };  // a capture with a destructor
        co_await tempio::async_run_blocking(write);
        EXPECT_EQ(slurp(path), "blocking");
        fs::remove(path);
        auto fail = []() -> int { throw std::runtime_error("from the worker"); };
        bool thrown = false;
        try {
            co_await tempio::async_run_blocking(fail);
        } catch (const std::runtime_error&) {
            thrown = true;
        }
        EXPECT_TRUE(thrown) << "f's exception reaches the coroutine";
    });
}
