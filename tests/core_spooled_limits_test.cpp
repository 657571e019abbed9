// A spooled file at the edges of off_t and of memory (issue 16.3, 16.4, 16.7):
// seek answers what lseek answers on the rolled-over file, with no undefined
// behaviour; impossible sizes are error codes with the state unchanged, never
// exceptions; a write or truncate that rolls over is never "free" (it would
// otherwise run the rollover on the caller's thread).
#include <unistd.h>

#include <climits>
#include <cstdint>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "backend/backend.hpp"
#include "core/file_core.hpp"
#include "core/os_error.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;
using tempio::error_code;
using tempio::detail::file_core;
using tempio::detail::file_kind;
using tempio::detail::file_request;

namespace {

// Where an errno the core makes lives: system_category on POSIX (Asio's);
// on Windows generic_category for an errno with no Win32 code Boost maps
// back to it (EOVERFLOW, EFBIG: core/os_error.hpp).
const boost::system::error_category& errno_category() {
#ifdef _WIN32
    return boost::system::generic_category();
#else
    return boost::system::system_category();
#endif
}

const error_code einval = tempio::detail::os_error(EINVAL);
const error_code eoverflow = tempio::detail::os_error(EOVERFLOW);
const error_code efbig = tempio::detail::os_error(EFBIG);
const error_code enomem = tempio::detail::os_error(ENOMEM);

class spooled_limits : public tempio::test::test_dir {
  protected:
    std::shared_ptr<file_core> spooled(std::size_t max_size, std::string mode = "w+b") {
        file_request r;
        r.kind = file_kind::spooled;
        r.mode = std::move(mode);
        r.max_size = max_size;
        r.names = {"tmp", "", dir_.string()};
        error_code ec;
        auto f = file_core::create_spooled(std::move(r), ec);
        EXPECT_FALSE(ec) << ec.message();
        return f;
    }
    // "abc", positioned at its end; rolled over to a file when asked.
    std::shared_ptr<file_core> abc(bool rolled) {
        auto f = spooled(0);
        error_code ec;
        EXPECT_EQ(f->write("abc", 3, ec), 3u);
        if (rolled) f->rollover(ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(f->in_memory(), !rolled);
        return f;
    }
    static std::string content(file_core& f) {
        error_code ec;
        std::uint64_t pos = f.tell(ec);
        f.seek(0, SEEK_SET, ec);
        std::string all = f.read(SIZE_MAX, ec);
        EXPECT_FALSE(ec) << ec.message();
        f.seek(static_cast<std::int64_t>(pos), SEEK_SET, ec);
        return all;
    }
    // A worker counts its job after posting the result: wait for the count.
    static void expect_a_job_since(unsigned long jobs) {
        for (int i = 0; i < 1000 && tempio::detail::jobs_run() == jobs; ++i) ::usleep(1000);
        EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1) << "rolled over on the caller's thread";
    }
    static std::uint64_t tell(file_core& f) {
        error_code ec;
        std::uint64_t pos = f.tell(ec);
        EXPECT_FALSE(ec) << ec.message();
        return pos;
    }
};

}  // namespace

// ---- 16.4: seek ----------------------------------------------------------------

TEST_F(spooled_limits, seek_to_a_negative_position_is_einval_and_changes_nothing) {
    for (bool rolled : {false, true}) {
        SCOPED_TRACE(rolled ? "rolled over" : "in memory");
        auto f = abc(rolled);
        error_code ec;
        EXPECT_EQ(f->seek(INT64_MIN, SEEK_SET, ec), 0u);
        EXPECT_EQ(ec, einval) << ec.message();
        EXPECT_EQ(ec.category(), boost::system::system_category());
        EXPECT_EQ(f->seek(-4, SEEK_END, ec), 0u);
        EXPECT_EQ(ec, einval);
        EXPECT_EQ(f->seek(INT64_MIN, SEEK_CUR, ec), 0u);
        EXPECT_EQ(ec, einval);
        EXPECT_EQ(tell(*f), 3u);
        EXPECT_EQ(f->seek(-3, SEEK_END, ec), 0u) << "exactly 0 is fine";
        EXPECT_FALSE(ec);
        EXPECT_EQ(content(*f), "abc");
    }
}

TEST_F(spooled_limits, seek_past_int64_max_is_eoverflow_and_changes_nothing) {
    for (bool rolled : {false, true}) {
        SCOPED_TRACE(rolled ? "rolled over" : "in memory");
        auto f = abc(rolled);
        error_code ec;
        EXPECT_EQ(f->seek(INT64_MAX, SEEK_END, ec), 0u);
        EXPECT_EQ(ec, eoverflow) << ec.message();
        EXPECT_EQ(ec.category(), errno_category());
        EXPECT_EQ(tell(*f), 3u);
        std::uint64_t r = f->seek(INT64_MAX - 3, SEEK_CUR, ec);
        if (rolled && ec) {
            // A file system whose files stop earlier (ext4: 16 TiB) says
            // EINVAL, as lseek there; the overflow is checked from lower down.
            EXPECT_EQ(ec, einval) << ec.message();
            f->seek(std::int64_t(1) << 40, SEEK_SET, ec);
            ASSERT_FALSE(ec) << ec.message();
        } else {
            EXPECT_FALSE(ec) << "INT64_MAX itself is a position (" << ec.message() << ")";
            EXPECT_EQ(r, std::uint64_t(INT64_MAX));
        }
        std::uint64_t at = tell(*f);
        EXPECT_EQ(f->seek(INT64_MAX, SEEK_CUR, ec), 0u);
        EXPECT_EQ(ec, eoverflow) << ec.message();
        EXPECT_EQ(tell(*f), at);
        EXPECT_EQ(content(*f), "abc");
    }
}

TEST_F(spooled_limits, seek_int64_max_twice_in_memory) {
    auto f = abc(false);
    error_code ec;
    EXPECT_EQ(f->seek(INT64_MAX, SEEK_SET, ec), std::uint64_t(INT64_MAX));
    EXPECT_FALSE(ec);
    EXPECT_EQ(f->seek(INT64_MAX, SEEK_CUR, ec), 0u);
    EXPECT_EQ(ec, eoverflow);
    EXPECT_EQ(tell(*f), std::uint64_t(INT64_MAX));
    EXPECT_EQ(f->seek(0, SEEK_CUR, ec), std::uint64_t(INT64_MAX));
    EXPECT_FALSE(ec);
}

// ---- 16.3: sizes memory cannot hold ----------------------------------------------

TEST_F(spooled_limits, a_write_at_int64_max_is_efbig_not_an_exception) {
    auto f = abc(false);
    error_code ec;
    f->seek(INT64_MAX, SEEK_SET, ec);
    std::size_t n = 1;
    EXPECT_NO_THROW(n = f->write("x", 1, ec));
    EXPECT_EQ(n, 0u);
    EXPECT_EQ(ec, efbig) << ec.message();
    EXPECT_EQ(ec.category(), errno_category());
    EXPECT_TRUE(f->in_memory());
    EXPECT_EQ(tell(*f), std::uint64_t(INT64_MAX));
    EXPECT_EQ(content(*f), "abc");
}

TEST_F(spooled_limits, a_write_or_truncate_too_big_for_memory_is_enomem) {
    auto f = abc(false);
    error_code ec;
    const std::uint64_t huge = std::uint64_t(1) << 40;  // more than this machine has
    f->seek(static_cast<std::int64_t>(huge), SEEK_SET, ec);
    EXPECT_NO_THROW(EXPECT_EQ(f->write("x", 1, ec), 0u));
    EXPECT_EQ(ec, enomem) << ec.message();
    EXPECT_EQ(tell(*f), huge);
    std::uint64_t r = 1;
    EXPECT_NO_THROW(r = f->truncate(&huge, ec));
    EXPECT_EQ(r, 0u);
    EXPECT_EQ(ec, enomem) << ec.message();
    EXPECT_NO_THROW(f->truncate(nullptr, ec));  // at the position: the same size
    EXPECT_EQ(ec, enomem) << ec.message();
    EXPECT_TRUE(f->in_memory());
    EXPECT_EQ(content(*f), "abc");
    // A reasonable size still works, and still fills with zeros.
    std::uint64_t five = 5;
    EXPECT_EQ(f->truncate(&five, ec), 5u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(content(*f), std::string("abc\0\0", 5));
}

TEST_F(spooled_limits, truncate_past_int64_max_is_einval_in_memory_and_on_disk) {
    for (bool rolled : {false, true}) {
        SCOPED_TRACE(rolled ? "rolled over" : "in memory");
        auto f = abc(rolled);
        error_code ec;
        std::uint64_t size = std::uint64_t(INT64_MAX) + 1;
        EXPECT_EQ(f->truncate(&size, ec), 0u);
        EXPECT_EQ(ec, einval) << ec.message();
        EXPECT_EQ(content(*f), "abc");
    }
}

TEST_F(spooled_limits, an_empty_write_past_the_end_extends_nothing) {
    auto f = abc(false);
    error_code ec;
    f->seek(100, SEEK_SET, ec);
    EXPECT_EQ(f->write("", 0, ec), 0u);
    EXPECT_FALSE(ec);
    EXPECT_EQ(content(*f), "abc");  // as write(2) of 0 bytes
}

// ---- 16.7: a rollover is never free ----------------------------------------------

TEST_F(spooled_limits, an_append_write_that_rolls_over_is_not_free) {
    auto f = spooled(64 * 1024, "a+");
    error_code ec;
    std::string block(64 * 1024, 'x');
    EXPECT_TRUE(f->write_is_free(block.size()));
    f->write(block.data(), block.size(), ec);
    ASSERT_FALSE(ec);
    f->seek(0, SEEK_SET, ec);
    // Appending goes to the end (64 KiB): one more byte rolls over.
    EXPECT_FALSE(f->write_is_free(1)) << "the rollover would run on the caller's thread";
    EXPECT_TRUE(f->in_memory());
    f->write("y", 1, ec);
    EXPECT_FALSE(ec);
    EXPECT_FALSE(f->in_memory());
    EXPECT_EQ(content(*f), block + "y");
}

TEST_F(spooled_limits, a_truncate_that_rolls_over_is_not_free) {
    auto f = spooled(10);
    error_code ec;
    f->write("abc", 3, ec);
    f->seek(1000, SEEK_SET, ec);
    EXPECT_FALSE(f->truncate_is_free(nullptr)) << "truncate() at 1000 > max_size rolls over";
    std::uint64_t big = 11, small = 10;
    EXPECT_FALSE(f->truncate_is_free(&big));
    EXPECT_TRUE(f->truncate_is_free(&small));
    f->seek(2, SEEK_SET, ec);
    EXPECT_TRUE(f->truncate_is_free(nullptr));
    f->seek(1000, SEEK_SET, ec);
    EXPECT_EQ(f->truncate(nullptr, ec), 1000u);
    EXPECT_FALSE(ec);
    EXPECT_FALSE(f->in_memory());
}

// Through the async API: the rollover runs as a worker job.
TEST_F(spooled_limits, an_append_rollover_runs_on_a_worker) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(),
                                     {.max_size = 64 * 1024, .mode = "a+", .dir = dir_});
    std::exception_ptr error;
    unsigned long jobs = 0;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            co_await f.async_write(std::string(64 * 1024, 'x'));
            co_await f.async_seek(0);
            EXPECT_FALSE(f.rolled());
            jobs = tempio::detail::jobs_run();
            co_await f.async_write("y");
            EXPECT_TRUE(f.rolled());
            expect_a_job_since(jobs);
        },
        [&](std::exception_ptr e) { error = e; });
    ctx.run();
    if (error) std::rethrow_exception(error);
}

TEST_F(spooled_limits, a_truncate_rollover_runs_on_a_worker) {
    net::io_context ctx;
    tempio::spooled_temporary_file f(ctx.get_executor(), {.max_size = 10, .dir = dir_});
    std::exception_ptr error;
    unsigned long jobs = 0;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            co_await f.async_write("abc");
            co_await f.async_seek(1000);
            jobs = tempio::detail::jobs_run();
            EXPECT_EQ(co_await f.async_truncate(), 1000u);
            EXPECT_TRUE(f.rolled());
            expect_a_job_since(jobs);
        },
        [&](std::exception_ptr e) { error = e; });
    ctx.run();
    if (error) std::rethrow_exception(error);
}
