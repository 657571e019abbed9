// async_sync / async_datasync on every file class: the user-space buffer
// reaches the kernel, then fsync/fdatasync runs (a spooled file in memory has
// nothing to do).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "backend/backend.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
namespace sys = tempio::detail::sys;

namespace {
class durability : public tempio::test::test_dir {};

std::string file_content(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_F(durability, sync_flushes_the_user_space_buffer_first) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("buffered");
        EXPECT_EQ(file_content(f.path()), "");  // still in the user-space buffer
        co_await f.async_sync();
        EXPECT_EQ(file_content(f.path()), "buffered");
        co_await f.async_write(" more");
        co_await f.async_datasync();
        EXPECT_EQ(file_content(f.path()), "buffered more");
        co_await f.async_close();
    });
}

TEST_F(durability, sync_reports_the_kernels_error) {
    // The call after the flush is the fsync: failing it proves it is made.
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_flush();
        for (bool data_only : {false, true}) {
            sys::arm_fault(1, EIO);
            auto [ec] = data_only ? co_await f.async_datasync(net::as_tuple(net::deferred))
                                  : co_await f.async_sync(net::as_tuple(net::deferred));
            sys::disarm_fault();
            EXPECT_EQ(ec, std::errc::io_error) << "data_only=" << data_only;
            auto [ec2] = co_await f.async_sync(net::as_tuple(net::deferred));
            EXPECT_FALSE(ec2);  // still usable
        }
        co_await f.async_close();
    });
}

TEST_F(durability, spooled_in_memory_sync_is_free_and_keeps_it_in_memory) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f =
            co_await tempio::spooled_temporary_file::async_create({.max_size = 100, .dir = dir_});
        co_await f.async_write("small");
        auto jobs = tempio::detail::jobs_run();
        co_await f.async_sync();
        co_await f.async_datasync();
        EXPECT_EQ(tempio::detail::jobs_run(), jobs);
        EXPECT_FALSE(f.rolled());
        co_await f.async_rollover();
        co_await f.async_write(" then on disk");
        co_await f.async_sync();
        co_await f.async_close();
    });
}
