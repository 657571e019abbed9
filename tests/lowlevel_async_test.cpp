// anyio's tests of the low-level functions, through the async API.
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::test::entries;

namespace {
class lowlevel_async : public tempio::test::test_dir {};
}  // namespace

TEST_F(lowlevel_async, mkstemp_round_trips_data_through_the_fd_in_text_and_binary) {
    for (bool text : {false, true}) {
        tempio::run([&]() -> net::awaitable<void> {
            auto [fd, path] = co_await tempio::async_mkstemp({.dir = dir_, .text = text});
            EXPECT_TRUE(fd);
            EXPECT_EQ(::write(fd.get(), "Hello, World!", 13), 13);
            char buf[13];
            EXPECT_EQ(::pread(fd.get(), buf, 13, 0), 13);
            EXPECT_EQ(std::string(buf, 13), "Hello, World!");
            EXPECT_TRUE(path.is_absolute());
            fs::remove(path);
        });
    }
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(lowlevel_async, mkdtemp_result_is_a_directory) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::async_mkdtemp({.suffix = "-x", .prefix = "d-", .dir = dir_});
        EXPECT_TRUE(fs::is_directory(d));
        EXPECT_EQ(d.parent_path(), dir_);
        fs::remove(d);
    });
}

TEST_F(lowlevel_async, gettempdir_equals_the_blocking_one) {
    tempio::run([&]() -> net::awaitable<void> {
        EXPECT_EQ(co_await tempio::async_gettempdir(), tempio::gettempdir());
        EXPECT_EQ(co_await tempio::async_gettempdirb(), tempio::gettempdirb());
    });
}

TEST_F(lowlevel_async, bad_input_reports_errors_and_creates_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        auto [e1, r] = co_await tempio::async_mkstemp({.prefix = "a/b", .dir = dir_},
                                                      net::as_tuple(net::deferred));
        EXPECT_EQ(e1, boost::system::errc::invalid_argument);
        EXPECT_FALSE(r.fd);
        auto [e2, d] =
            co_await tempio::async_mkdtemp({.dir = dir_ / "nope"}, net::as_tuple(net::deferred));
        EXPECT_EQ(e2.value(), ENOENT);
    });
    EXPECT_TRUE(entries(dir_).empty());
}
