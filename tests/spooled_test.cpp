// spooled_temporary_file: CPython's TestSpooledTemporaryFile rules, anyio's
// tests, and a regression test for each of anyio's spooled-file bugs.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "backend/backend.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::spooled_temporary_file;
using tempio::test::entries;

namespace {

class spooled : public tempio::test::test_dir {
  protected:
    spooled_temporary_file make(std::size_t max_size, std::string_view mode = "w+b") {
        return spooled_temporary_file(ctx_->get_executor(),
                                      {.max_size = max_size, .mode = mode, .dir = dir_});
    }
    // Runs a coroutine on ctx_ to completion.
    template <class F>
    void run(F f) {
        std::exception_ptr error;
        net::co_spawn(*ctx_, f(), [&](std::exception_ptr e) { error = e; });
        ctx_->restart();
        ctx_->run();
        if (error) std::rethrow_exception(error);
    }
    void TearDown() override {
        ctx_.reset();  // its descriptors (io_uring's ring) go with it, before the leak check
        test_dir::TearDown();
    }
    std::unique_ptr<net::io_context> ctx_ = std::make_unique<net::io_context>();
};

std::size_t fd_size(int fd) {
    struct stat st {};
    EXPECT_EQ(::fstat(fd, &st), 0);
    return static_cast<std::size_t>(st.st_size);
}

}  // namespace

TEST_F(spooled, basic_is_in_memory_and_creates_nothing) {
    auto f = make(10);
    EXPECT_FALSE(f.rolled());
    EXPECT_TRUE(f.is_open());
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(spooled, write_sequential_rolls_over_only_past_max_size) {
    auto f = make(30);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write(std::string(20, 'x'));
        EXPECT_FALSE(f.rolled());
        co_await f.async_write(std::string(10, 'x'));
        EXPECT_FALSE(f.rolled()) << "exactly max_size stays in memory";
        co_await f.async_write("x");
        EXPECT_TRUE(f.rolled());
        EXPECT_EQ(co_await f.async_tell(), 31u);
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), std::string(31, 'x'));
    });
}

TEST_F(spooled, writelines_sequential_at_the_boundary) {
    auto f = make(35);
    run([&]() -> net::awaitable<void> {
        std::vector<std::string> first{std::string(20, 'x'), std::string(5, 'y'),
                                       std::string(10, 'z')};
        co_await f.async_writelines(first);
        EXPECT_FALSE(f.rolled());
        std::vector<std::string> more{"x"};
        co_await f.async_writelines(more);
        EXPECT_TRUE(f.rolled());
    });
}

TEST_F(spooled, seeking_past_max_size_alone_does_not_roll_over_writing_there_does) {
    auto f = make(30);
    run([&]() -> net::awaitable<void> {
        co_await f.async_seek(100);
        EXPECT_FALSE(f.rolled());
        co_await f.async_write("x");
        EXPECT_TRUE(f.rolled());
        co_await f.async_seek(0);
        std::string all = co_await f.async_read();
        EXPECT_EQ(all, std::string(100, '\0') + "x");
    });
}

TEST_F(spooled, fileno_rolls_over_and_gives_a_valid_descriptor) {
    auto f = make(30);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("abc");
        int fd = co_await f.async_fileno();
        EXPECT_TRUE(f.rolled());
        EXPECT_GE(fd, 0);
        EXPECT_EQ(fd_size(fd), 3u);
        EXPECT_EQ(co_await f.async_tell(), 3u);
    });
}

TEST_F(spooled, max_size_zero_never_rolls_over_by_itself) {  // anyio rolls over at once
    auto f = make(0);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write(std::string(1 << 20, 'x'));
        EXPECT_FALSE(f.rolled());
        co_await f.async_rollover();
        EXPECT_TRUE(f.rolled());
        co_await f.async_rollover();  // twice is harmless
        EXPECT_TRUE(f.rolled());
    });
}

TEST_F(spooled, rollover_keeps_content_and_position) {  // anyio moves to the end
    auto f = make(0);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("0123456789");
        co_await f.async_seek(4);
        co_await f.async_rollover();
        EXPECT_EQ(co_await f.async_tell(), 4u);
        EXPECT_EQ(co_await f.async_read(), "456789");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "0123456789");
    });
}

TEST_F(spooled, a_failed_rollover_keeps_everything_in_memory) {  // anyio loses the data
    fs::path gone = dir_ / "vanishing";
    fs::create_directory(gone);
    spooled_temporary_file f(ctx_->get_executor(), {.max_size = 10, .dir = gone});
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("0123456789");
        co_await f.async_seek(3);
        fs::remove(gone);  // the rollover directory vanishes
        auto [ec, n] = co_await f.async_write("overflow!", net::as_tuple(net::deferred));
        EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
        EXPECT_EQ(n, 0u);
        EXPECT_FALSE(f.rolled());
        EXPECT_EQ(co_await f.async_tell(), 3u) << "position intact";
        auto [ec2] = co_await f.async_rollover(net::as_tuple(net::deferred));
        EXPECT_EQ(ec2.value(), ENOENT);
        auto [ec3, fd] = co_await f.async_fileno(net::as_tuple(net::deferred));
        EXPECT_EQ(ec3.value(), ENOENT);
        auto [ec4, size] = co_await f.async_truncate(50, net::as_tuple(net::deferred));
        EXPECT_EQ(ec4.value(), ENOENT);
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "0123456789") << "data intact, still usable";
        fs::create_directory(gone);  // and once the directory is back, it rolls over
        co_await f.async_write("more than ten bytes");
        EXPECT_TRUE(f.rolled());
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "0123456789more than ten bytes");
        co_await f.async_close();
    });
    EXPECT_TRUE(entries(gone).empty());
}

TEST_F(spooled, a_failed_rollover_write_to_disk_keeps_memory_intact) {
    auto f = make(0);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("keep me");
        // Fail the second system call of the rollover: the write of the image.
        namespace sys = tempio::detail::sys;
        sys::arm_fault(2, ENOSPC);
        auto [ec] = co_await f.async_rollover(net::as_tuple(net::deferred));
        sys::disarm_fault();
        EXPECT_EQ(ec, std::errc::no_space_on_device);
        EXPECT_FALSE(f.rolled());
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "keep me");
    });
}

TEST_F(spooled, a_cancelled_rollover_loses_nothing) {
    // Cancel right after starting: depending on the race the rollover is
    // aborted before it starts or completes; either way nothing is lost.
    int aborted = 0, rolled = 0;
    for (int round = 0; round < 50; ++round) {
        auto f = make(0);
        run([&]() -> net::awaitable<void> { co_await f.async_write("precious"); });
        net::cancellation_signal signal;
        error_code ec;
        f.async_rollover(net::bind_cancellation_slot(signal.slot(), [&](error_code e) { ec = e; }));
        signal.emit(net::cancellation_type::terminal);
        ctx_->restart();
        ctx_->run();
        EXPECT_TRUE(!ec || ec == net::error::operation_aborted) << ec.message();
        EXPECT_EQ(f.rolled(), !ec);
        (ec ? aborted : rolled)++;
        run([&]() -> net::awaitable<void> {
            co_await f.async_seek(0);
            EXPECT_EQ(co_await f.async_read(), "precious");
        });
    }
    std::cout << "cancelled rollovers: " << aborted << " aborted, " << rolled << " completed\n";
}

TEST_F(spooled, truncate_without_size_never_rolls_over_with_size_only_past_max) {
    auto f = make(10);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("abcdefg\n");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_truncate(), 0u);
        EXPECT_FALSE(f.rolled());
        EXPECT_EQ(co_await f.async_read(), "");
    });
    auto g = make(10);
    run([&]() -> net::awaitable<void> {
        co_await g.async_write("abcdefg\n");
        EXPECT_EQ(co_await g.async_truncate(4), 4u);
        EXPECT_FALSE(g.rolled());
        co_await g.async_seek(0);
        EXPECT_EQ(co_await g.async_read(), "abcd");
    });
    auto h = make(10);
    run([&]() -> net::awaitable<void> {
        co_await h.async_write("abcdefg\n");
        EXPECT_EQ(co_await h.async_truncate(20), 20u);
        EXPECT_TRUE(h.rolled());
        EXPECT_EQ(fd_size(co_await h.async_fileno()), 20u);
    });
}

TEST_F(spooled, multiple_close_before_and_after_rollover) {
    auto f = make(1);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("a");
        co_await f.async_close();
        co_await f.async_close();
        EXPECT_FALSE(f.is_open());
        auto [ec, n] = co_await f.async_write("b", net::as_tuple(net::deferred));
        EXPECT_EQ(ec, boost::system::errc::bad_file_descriptor);
    });
    auto g = make(1);
    run([&]() -> net::awaitable<void> {
        co_await g.async_write("abc");
        EXPECT_TRUE(g.rolled());
        co_await g.async_close();
        co_await g.async_close();
        EXPECT_FALSE(g.is_open());
    });
}

TEST_F(spooled, destruction_before_during_and_after_rollover_leaves_nothing) {
    { auto f = make(5); }
    run([&]() -> net::awaitable<void> {
        auto f = make(5);
        co_await f.async_write("123456");
        EXPECT_TRUE(f.rolled());
    });
    run([&]() -> net::awaitable<void> {
        auto f = make(5);
        co_await f.async_write("1234");
        auto op = f.async_rollover(net::deferred);
        (void)op;  // never awaited: destroyed with the object
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(spooled, same_surface_before_and_after_rollover) {
    for (bool roll : {false, true}) {
        auto f = make(0, "w+");
        run([&]() -> net::awaitable<void> {
            if (roll) co_await f.async_rollover();
            std::vector<std::string> lines{"one\n", "two\n", "three"};
            co_await f.async_writelines(lines);
            co_await f.async_seek(0);
            EXPECT_EQ(co_await f.async_readline(), "one\n");
            char buf[3];
            EXPECT_EQ(co_await f.async_readinto(net::buffer(buf)), 3u);
            EXPECT_EQ(std::string(buf, 3), "two");
            EXPECT_EQ(co_await f.async_read(2), "\nt");
            EXPECT_EQ(co_await f.async_seek(-2, tempio::whence::end), 11u);
            EXPECT_EQ(co_await f.async_read(), "ee");
            co_await f.async_seek(0);
            EXPECT_EQ(co_await f.async_readlines(), lines);
            auto [ec, p] =
                co_await f.async_seek(-100, tempio::whence::cur, net::as_tuple(net::deferred));
            EXPECT_EQ(ec, boost::system::errc::invalid_argument) << "rolled=" << roll;
            co_await f.async_flush();
            EXPECT_EQ(f.rolled(), roll);
        });
    }
}

TEST_F(spooled, in_memory_operations_make_no_system_call_and_no_worker_hop) {
    namespace sys = tempio::detail::sys;
    auto f = make(1 << 20);
    run([&]() -> net::awaitable<void> {
        auto calls = sys::call_count();
        auto jobs = tempio::detail::jobs_run();
        for (int i = 0; i < 100; ++i) co_await f.async_write("0123456789");
        co_await f.async_seek(0);
        co_await f.async_readline();
        co_await f.async_read(10);
        co_await f.async_tell();
        co_await f.async_truncate(500);
        co_await f.async_flush();
        co_await f.async_read();
        EXPECT_EQ(sys::call_count(), calls);
        EXPECT_EQ(tempio::detail::jobs_run(), jobs);
        EXPECT_FALSE(f.rolled());
    });
}

TEST_F(spooled, in_memory_operations_complete_through_the_executor_never_inline) {
    auto f = make(0);
    bool completed = false, inline_call = true;
    // Initiated from inside the running io_context, where a mere "dispatch"
    // would run the handler at once.
    net::post(*ctx_, [&] {
        f.async_write("x", [&](error_code, std::size_t) { completed = true; });
        inline_call = completed;
    });
    ctx_->run();
    EXPECT_TRUE(completed);
    EXPECT_FALSE(inline_call) << "the handler ran inside the initiating call";
}

TEST_F(spooled, in_memory_operations_let_other_tasks_run) {  // anyio starves them
    auto f = make(0);
    int ticks = 0;
    bool writer_done = false;
    net::co_spawn(
        *ctx_,
        [&]() -> net::awaitable<void> {
            for (int i = 0; i < 1000; ++i) co_await f.async_write("x");
            writer_done = true;
        },
        net::detached);
    net::co_spawn(
        *ctx_,
        [&]() -> net::awaitable<void> {
            while (!writer_done) {
                ++ticks;
                co_await net::post(*ctx_, net::deferred);
            }
        },
        net::detached);
    ctx_->run();
    // A coroutine resumes at once at most `limit` times in a row (issue 14),
    // then its next completion is posted and the other task gets a turn.
    constexpr int turns = 1000 / (tempio::detail::inline_resumption::limit + 1);
    EXPECT_GE(ticks, turns - 2) << "the other task ran between the writes";
}

TEST_F(spooled, bad_mode_throws_from_the_constructor) {
    EXPECT_THROW(make(10, "rw"), tempio::system_error);
    EXPECT_THROW(spooled_temporary_file(ctx_->get_executor(), {.prefix = "a/b"}),
                 tempio::system_error);
}

TEST_F(spooled, moving_mid_life_keeps_the_data) {
    auto f = make(5);
    run([&]() -> net::awaitable<void> {
        co_await f.async_write("abc");
        spooled_temporary_file g = std::move(f);
        co_await g.async_write("defgh");
        EXPECT_TRUE(g.rolled());
        co_await g.async_seek(0);
        EXPECT_EQ(co_await g.async_read(), "abcdefgh");
    });
}

TEST_F(spooled, async_create_works_like_the_constructor) {
    run([&]() -> net::awaitable<void> {
        auto f = co_await spooled_temporary_file::async_create({.max_size = 4, .dir = dir_});
        co_await f.async_write("abcd");
        EXPECT_FALSE(f.rolled());
        co_await f.async_write("e");
        EXPECT_TRUE(f.rolled());
        auto [ec, g] = co_await spooled_temporary_file::async_create({.mode = "bad"},
                                                                     net::as_tuple(net::deferred));
        EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    });
}
