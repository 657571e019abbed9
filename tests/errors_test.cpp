// Errors compare like Asio's: system errors in system_category(), so both
// `ec == net::error::X` and `ec == std::errc::Y` hold for every error the
// API documents. And a moved-from object behaves like a closed one.
#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "core/core_slots.hpp"
#include "core/directory_core.hpp"
#include "core/os_error.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;

namespace {
class errors : public tempio::test::test_dir {};

void expect_bad_descriptor(const error_code& ec, const char* what) {
    EXPECT_EQ(ec, net::error::bad_descriptor) << what << ": " << ec.to_string();
    EXPECT_EQ(ec, std::errc::bad_file_descriptor) << what;
    EXPECT_EQ(ec.category(), boost::system::system_category()) << what;
}

auto tup() {
    return net::as_tuple(net::deferred);
}
}  // namespace

TEST_F(errors, use_after_close_is_asio_bad_descriptor_for_every_operation) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        char b[4];
        expect_bad_descriptor(std::get<0>(co_await f.async_write("x", tup())), "write");
        expect_bad_descriptor(std::get<0>(co_await f.async_read(tup())), "read");
        expect_bad_descriptor(std::get<0>(co_await f.async_readline(tup())), "readline");
        expect_bad_descriptor(std::get<0>(co_await f.async_readlines(tup())), "readlines");
        expect_bad_descriptor(std::get<0>(co_await f.async_readinto(net::buffer(b), tup())),
                              "readinto");
        expect_bad_descriptor(std::get<0>(co_await f.async_seek(0, tup())), "seek");
        expect_bad_descriptor(std::get<0>(co_await f.async_tell(tup())), "tell");
        expect_bad_descriptor(std::get<0>(co_await f.async_truncate(tup())), "truncate");
        expect_bad_descriptor(std::get<0>(co_await f.async_flush(tup())), "flush");
        expect_bad_descriptor(std::get<0>(co_await f.async_sync(tup())), "sync");
        expect_bad_descriptor(std::get<0>(co_await f.async_datasync(tup())), "datasync");
        auto [ec] = co_await f.async_close(tup());  // idempotent
        EXPECT_FALSE(ec);
    });
}

TEST_F(errors, bad_arguments_are_asio_invalid_argument) {
    tempio::run([&]() -> net::awaitable<void> {
        auto [e1, f] =
            co_await tempio::temporary_file::async_create({.mode = "rw", .dir = dir_}, tup());
        EXPECT_EQ(e1, net::error::invalid_argument) << e1.to_string();
        EXPECT_EQ(e1, std::errc::invalid_argument);
        auto [e2, r] = co_await tempio::async_mkstemp({.prefix = "a/b", .dir = dir_}, tup());
        EXPECT_EQ(e2, net::error::invalid_argument) << e2.to_string();
        auto [e3, d] = co_await tempio::temporary_directory::async_create(
            {.suffix = std::string_view("a\0b", 3), .dir = dir_}, tup());
        EXPECT_EQ(e3, net::error::invalid_argument) << e3.to_string();
    });
}

TEST_F(errors, missing_directory_is_enoent_in_the_system_category) {
    tempio::run([&]() -> net::awaitable<void> {
        auto missing = dir_ / "missing";
        auto [e1, f] = co_await tempio::named_temporary_file::async_create({.dir = missing}, tup());
        EXPECT_EQ(e1, std::errc::no_such_file_or_directory) << e1.to_string();
        EXPECT_EQ(e1, tempio::detail::os_error(ENOENT));
        auto [e2, p] = co_await tempio::async_mkdtemp({.dir = missing}, tup());
        EXPECT_EQ(e2, std::errc::no_such_file_or_directory) << e2.to_string();
        EXPECT_EQ(e2.category(), boost::system::system_category());
    });
}

TEST_F(errors, cancelled_operation_is_asio_operation_aborted) {
    tempio::run([&]() -> net::awaitable<void> {
        net::cancellation_signal signal;
        auto ex = co_await net::this_coro::executor;
        error_code got;
        bool done = false;
        tempio::async_mkstemp(
            {.dir = dir_},
            net::bind_cancellation_slot(
                signal.slot(), net::bind_executor(ex, [&](error_code ec, tempio::mkstemp_result) {
                    got = ec;
                    done = true;
                })));
        signal.emit(net::cancellation_type::terminal);
        while (!done) co_await net::post(ex, net::use_awaitable);
        if (got) {  // cancelled before it started, or made and removed again
            EXPECT_EQ(got, net::error::operation_aborted);
            EXPECT_EQ(got, std::errc::operation_canceled);
            EXPECT_TRUE(tempio::test::entries(dir_).empty());
        } else {  // finished first: the caller owned the file (and dropped it)
            EXPECT_EQ(tempio::test::entries(dir_).size(), 1u);
            for (const auto& e : tempio::test::entries(dir_)) fs::remove(dir_ / e);
        }
    });
}

// A moved-from object with a callback: bad_descriptor through the handler,
// never a null executor (Asio's I/O objects copy the executor on move).
TEST_F(errors, moved_from_file_completes_callbacks_with_bad_descriptor) {
    net::io_context ctx;
    auto f = tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_},
                                                        net::use_future);
    ctx.run();
    auto file = f.get();
    auto other = std::move(file);
    int calls = 0;
    file.async_write("x", [&](error_code ec, std::size_t) {
        expect_bad_descriptor(ec, "write");
        ++calls;
    });
    file.async_seek(0, [&](error_code ec, std::uint64_t) {
        expect_bad_descriptor(ec, "seek");
        ++calls;
    });
    file.async_close([&](error_code ec) {
        EXPECT_FALSE(ec);
        ++calls;
    });
    EXPECT_EQ(calls, 0);  // never inside the initiating call
    ctx.restart();
    ctx.run();
    EXPECT_EQ(calls, 3);
    EXPECT_TRUE(other.is_open());
    EXPECT_FALSE(file.is_open());
    EXPECT_EQ(file.get_executor(), other.get_executor());
}

// A deferred operation holds no file: awaited once its file object is gone,
// it completes with bad_descriptor (the at-once path for coroutines too).
TEST_F(errors, deferred_write_and_readline_awaited_after_their_file_is_gone_fail_cleanly) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = std::make_unique<tempio::named_temporary_file>(
            co_await tempio::named_temporary_file::async_create({.dir = dir_}));
        co_await f->async_write("line\n");
        co_await f->async_seek(0);
        co_await f->async_readline();  // the read buffer is filled: readline would be at once
        co_await f->async_seek(0);
        auto write = f->async_write("x");
        auto readline = f->async_readline();
        f.reset();
        auto [wec, n] = co_await std::move(write)(net::as_tuple(net::deferred));
        expect_bad_descriptor(wec, "write");
        EXPECT_EQ(n, 0u);
        auto [rec, line] = co_await std::move(readline)(net::as_tuple(net::deferred));
        expect_bad_descriptor(rec, "readline");
        // co_await directly (the coroutine's own handler: the at-once path).
        auto g = std::make_unique<tempio::temporary_file>(
            co_await tempio::temporary_file::async_create({.dir = dir_}));
        auto w2 = g->async_write("y");
        g.reset();
        bool threw = false;
        try {
            co_await std::move(w2);
        } catch (const boost::system::system_error& e) {
            threw = true;
            expect_bad_descriptor(e.code(), "write awaited");
        }
        EXPECT_TRUE(threw);
    });
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// Operations find their file through a slot the next file may reuse (one
// is free: the first file's): the next file's generation is not the one
// the operation holds, so it neither writes nor reads there.
TEST_F(errors, an_operation_on_a_file_that_is_gone_never_reaches_the_next_file) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = std::make_unique<tempio::temporary_file>(
            co_await tempio::temporary_file::async_create({.dir = dir_}));
        auto write = f->async_write("stale");
        auto readline = f->async_readline();
        f.reset();
        auto g = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await g.async_write("next\n");
        co_await g.async_seek(0);
        co_await g.async_readline();  // read buffer filled: a readline would be at once
        co_await g.async_seek(0);
        auto [wec, n] = co_await std::move(write)(net::as_tuple(net::deferred));
        expect_bad_descriptor(wec, "write");
        auto [rec, line] = co_await std::move(readline)(net::as_tuple(net::deferred));
        expect_bad_descriptor(rec, "readline");
        EXPECT_EQ(line, "");
        EXPECT_EQ(co_await g.async_tell(), 0u);
        EXPECT_EQ(co_await g.async_read(), "next\n");
        co_await g.async_close();
    });
}

// A thread keeps a few free slots of its own (a file made and destroyed
// there takes no mutex) and gives them back when it exits: threads that
// come and go reuse the same slots instead of stranding theirs.
TEST_F(errors, the_slots_a_thread_kept_are_reused_after_it_exits) {
    auto eight_files = [&] {
        tempio::run([&]() -> net::awaitable<void> {
            std::vector<tempio::named_temporary_file> files;
            for (int i = 0; i < 8; ++i)
                files.push_back(co_await tempio::named_temporary_file::async_create({.dir = dir_}));
        });
    };
    std::thread(eight_files).join();  // the slots this test needs exist from here on
    std::size_t before = tempio::detail::core_slots_made();
    for (int i = 0; i < 20; ++i) std::thread(eight_files).join();
    // Without the return at thread exit: 8 new slots per thread, 160.
    EXPECT_LE(tempio::detail::core_slots_made() - before, 8u);
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// Out of memory for a file's state after the file was made (the core that
// adopts what a driver opened): ENOMEM, and the file is gone, not left
// behind.
TEST_F(errors, a_file_made_when_its_state_cannot_be_allocated_is_removed) {
    tempio::run([&]() -> net::awaitable<void> {
        tempio::detail::fail_next_core_slot();
        auto [ec, f] = co_await tempio::named_temporary_file::async_create({.dir = dir_}, tup());
        EXPECT_EQ(ec, std::errc::not_enough_memory) << ec.to_string();
        EXPECT_EQ(ec.category(), boost::system::system_category());
        EXPECT_FALSE(f.is_open());
        // The next creation is unaffected.
        auto g = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        EXPECT_TRUE(g.is_open());
        co_await g.async_close();
    });
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// The same for a directory (a driver made it; its state cannot be
// allocated): ENOMEM, and the directory is removed again, whichever driver
// made it (the pool, the ring, or inline on tmpfs).
TEST_F(errors, a_directory_made_when_its_state_cannot_be_allocated_is_removed) {
    tempio::run([&]() -> net::awaitable<void> {
        for (int i = 0; i < 2; ++i) {  // the second inline when dir_ is on tmpfs (learned)
            tempio::detail::fail_next_directory_core();
            auto [ec, d] = co_await tempio::temporary_directory::async_create({.dir = dir_}, tup());
            EXPECT_EQ(ec, std::errc::not_enough_memory) << ec.to_string();
            EXPECT_EQ(ec.category(), boost::system::system_category());
            EXPECT_TRUE(d.path().empty());
            EXPECT_TRUE(tempio::test::entries(dir_).empty()) << "the directory made is removed";
            auto e = co_await tempio::temporary_directory::async_create({.dir = dir_});
            EXPECT_TRUE(std::filesystem::is_directory(e.path()));
            co_await e.async_cleanup();
        }
    });
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// Made before the file moved, awaited after: the file is the moved-to
// object's now, and the write reaches it.
TEST_F(errors, a_deferred_write_made_before_a_move_writes_to_the_moved_file) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        auto write = f.async_write("moved");
        auto other = std::move(f);
        co_await std::move(write);
        co_await other.async_seek(0);
        EXPECT_EQ(co_await other.async_read(), "moved");
        co_await other.async_close();
    });
}

TEST_F(errors, moved_from_directory_cleanup_completes_with_nothing_to_do) {
    net::io_context ctx;
    auto fut = tempio::temporary_directory::async_create(ctx.get_executor(), {.dir = dir_},
                                                         net::use_future);
    ctx.run();
    auto d = fut.get();
    auto other = std::move(d);
    bool called = false;
    d.async_cleanup([&](error_code ec) {
        EXPECT_FALSE(ec);
        called = true;
    });
    ctx.restart();
    ctx.run();
    EXPECT_TRUE(called);
    EXPECT_TRUE(fs::exists(other.path()));
}

// A descriptor that comes with an error is -1, never 0 (stdin).
TEST_F(errors, fileno_with_an_error_is_minus_one) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        auto [ec, fd] = co_await f.async_fileno(tup());
        expect_bad_descriptor(ec, "fileno");
        EXPECT_EQ(fd, -1);
    });
}

TEST_F(errors, fileno_cancelled_before_it_starts_is_minus_one) {
    tempio::set_worker_threads(1);
    net::io_context ctx;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<bool> blocking{false};
    tempio::async_run_blocking(
        [&] {
            blocking = true;
            released.wait();
        },
        net::bind_executor(ctx, [](std::exception_ptr) {}));
    while (!blocking) std::this_thread::yield();
    tempio::spooled_temporary_file f(ctx.get_executor(), {.dir = dir_});
    net::cancellation_signal signal;
    int got = 0;
    error_code got_ec;
    f.async_fileno(net::bind_cancellation_slot(signal.slot(), [&](error_code ec, int fd) {
        got_ec = ec;
        got = fd;
    }));
    signal.emit(net::cancellation_type::terminal);
    release.set_value();
    ctx.run();
    EXPECT_EQ(got_ec, net::error::operation_aborted);
    EXPECT_EQ(got, -1);
}
