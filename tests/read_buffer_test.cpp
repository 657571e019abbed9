// readline's read buffer (issue 14): one read(2) serves many lines, the next
// ones cost no hop, and the buffer stays coherent with the position, writes,
// seeks and the other reads (as Python's buffered reader).
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/read_until.hpp>

#include "backend/backend.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;

namespace {
class read_buffer : public tempio::test::test_dir {};
}  // namespace

TEST_F(read_buffer, lines_after_the_first_cost_no_hop) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        std::string text;
        for (int i = 0; i < 100; ++i) text += "line " + std::to_string(i) + "\n";
        co_await f.async_write(text);
        co_await f.async_seek(0);
        // One job fills the read buffer for the first line; no other.
        auto jobs = tempio::detail::jobs_run();
        EXPECT_EQ(co_await f.async_readline(), "line 0\n");
        for (int i = 1; i < 100; ++i)
            EXPECT_EQ(co_await f.async_readline(), "line " + std::to_string(i) + "\n");
        EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1) << "served from the read buffer";
        EXPECT_EQ(co_await f.async_readline(), "");  // end of file
        co_await f.async_close();
    });
}

TEST_F(read_buffer, position_tell_seek_and_other_reads_stay_coherent) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write("one\ntwo\nthree\nfour\n");
        co_await f.async_seek(0);
        std::string line = co_await f.async_readline();
        EXPECT_EQ(line, "one\n");
        std::uint64_t pos = co_await f.async_tell();
        EXPECT_EQ(pos, 4u);
        std::string three = co_await f.async_read(3);  // from the buffer
        EXPECT_EQ(three, "two");
        std::string one(1, ' ');
        std::size_t n = co_await f.async_readinto(net::buffer(one));
        EXPECT_EQ(n, 1u);
        EXPECT_EQ(one, "\n");
        pos = co_await f.async_tell();
        EXPECT_EQ(pos, 8u);
        pos = co_await f.async_seek(1, tempio::whence::cur);
        EXPECT_EQ(pos, 9u);
        line = co_await f.async_readline();
        EXPECT_EQ(line, "hree\n");
        std::string rest = co_await f.async_read();
        EXPECT_EQ(rest, "four\n");
        co_await f.async_seek(0);
        std::vector<std::string> lines = co_await f.async_readlines();
        std::vector<std::string> expected{"one\n", "two\n", "three\n", "four\n"};
        EXPECT_EQ(lines, expected);
        co_await f.async_close();
    });
}

TEST_F(read_buffer, a_write_after_readline_goes_where_the_reader_is) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write("aaa\nbbb\nccc\n");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_readline(), "aaa\n");
        co_await f.async_write("XYZ");  // overwrites "bbb", not the end
        EXPECT_EQ(co_await f.async_tell(), 7u);
        EXPECT_EQ(co_await f.async_readline(), "\n");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "aaa\nXYZ\nccc\n");
        // fileno/native_handle users see the logical position after a flush of both buffers.
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_readline(), "aaa\n");
        co_await f.async_sync();
        EXPECT_EQ(::lseek(f.native_handle(), 0, SEEK_CUR), 4);
        co_await f.async_close();
    });
}

TEST_F(read_buffer, async_read_until_with_a_dynamic_buffer_reads_the_same_lines) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write("x\ny\nz");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_readline(), "x\n");
        std::string buf;
        std::size_t n =
            co_await net::async_read_until(f, net::dynamic_buffer(buf), '\n', net::deferred);
        EXPECT_EQ(buf.substr(0, n), "y\n");
        co_await f.async_close();
    });
}
