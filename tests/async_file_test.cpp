// The async file surface (anyio's AsyncFile on a TemporaryFile), ported from
// anyio's and CPython's tempfile tests, plus the stream concepts.
#include <fcntl.h>

#include <sys/stat.h>
#include <array>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "backend/backend.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::temporary_file;
using tempio::test::entries;

namespace {
class temporary_file_test : public tempio::test::test_dir {};
// Strict: system_category EBADF, as Asio reports it (not generic:9).
const error_code ebadf = net::error::bad_descriptor;
}  // namespace

TEST_F(temporary_file_test, write_seek_read_round_trip_then_closed) {
    bool closed = tempio::run([&]() -> net::awaitable<bool> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        EXPECT_TRUE(f.is_open());
        EXPECT_EQ(co_await f.async_write("Hello, World!"), 13u);
        EXPECT_EQ(co_await f.async_seek(0), 0u);
        EXPECT_EQ(co_await f.async_read(), "Hello, World!");
        co_await f.async_close();
        co_return !f.is_open();
    });
    EXPECT_TRUE(closed);
}

TEST_F(temporary_file_test, has_no_name_in_its_directory) {
    if (!tempio::test::anonymous_files_have_no_name())
        GTEST_SKIP() << "the name of a file deleted while open stays until it closes here";
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        EXPECT_TRUE(entries(dir_).empty());
        // The directory can even be removed while the file is open.
        fs::remove(dir_);
        co_await f.async_write("still works");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "still works");
        co_await f.async_close();
        fs::create_directory(dir_);
    });
}

TEST_F(temporary_file_test, write_after_close_is_bad_file_descriptor) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        auto [ec, n] = co_await f.async_write("x", net::as_tuple(net::deferred));
        EXPECT_EQ(ec, ebadf);
        EXPECT_EQ(n, 0u);
        auto [ec2, s] = co_await f.async_read(net::as_tuple(net::deferred));
        EXPECT_EQ(ec2, ebadf);
        auto [ec3] = co_await f.async_close(net::as_tuple(net::deferred));
        EXPECT_FALSE(ec3) << "close is idempotent";
    });
}

TEST_F(temporary_file_test, bad_modes_are_invalid_argument_and_create_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        for (const char* mode : {"", "z", "rw", "wa", "w+b+", "bw+t", "ww", "b", "+", "r+x"}) {
            auto [ec, f] = co_await temporary_file::async_create({.mode = mode, .dir = dir_},
                                                                 net::as_tuple(net::deferred));
            EXPECT_EQ(ec, boost::system::errc::invalid_argument) << mode;
            EXPECT_FALSE(f.is_open());
            auto [ec2, g] = co_await tempio::named_temporary_file::async_create(
                {.mode = mode, .dir = dir_}, net::as_tuple(net::deferred));
            EXPECT_EQ(ec2, boost::system::errc::invalid_argument) << mode;
        }
        EXPECT_TRUE(entries(dir_).empty());
    });
}

TEST_F(temporary_file_test, good_modes_are_accepted) {
    tempio::run([&]() -> net::awaitable<void> {
        for (const char* mode :
             {"w+b", "w+", "wb+", "r", "rb", "r+", "w", "a", "a+b", "x", "x+t"}) {
            auto [ec, f] = co_await temporary_file::async_create({.mode = mode, .dir = dir_},
                                                                 net::as_tuple(net::deferred));
            EXPECT_FALSE(ec) << mode << ": " << ec.message();
            co_await f.async_close();
        }
    });
}

TEST_F(temporary_file_test, read_only_and_write_only_modes_are_enforced) {
    tempio::run([&]() -> net::awaitable<void> {
        auto r = co_await temporary_file::async_create({.mode = "r", .dir = dir_});
        auto [ec1, n] = co_await r.async_write("x", net::as_tuple(net::deferred));
        EXPECT_EQ(ec1, ebadf);
        EXPECT_EQ(co_await r.async_read(), "");
        auto w = co_await temporary_file::async_create({.mode = "w", .dir = dir_});
        co_await w.async_write("x");
        auto [ec2, s] = co_await w.async_read(net::as_tuple(net::deferred));
        EXPECT_EQ(ec2, ebadf);
    });
}

TEST_F(temporary_file_test, read_n_readline_readlines_readinto) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        std::vector<std::string> lines{"first\n", "second\n", "third"};
        co_await f.async_writelines(lines);
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(3), "fir");
        EXPECT_EQ(co_await f.async_readline(), "st\n");
        EXPECT_EQ(co_await f.async_tell(), 6u);
        EXPECT_EQ(co_await f.async_readline(), "second\n");
        EXPECT_EQ(co_await f.async_readline(), "third");
        EXPECT_EQ(co_await f.async_readline(), "") << "empty at EOF";
        EXPECT_EQ(co_await f.async_read(10), "") << "empty at EOF";
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_readlines(), lines);
        co_await f.async_seek(-5, tempio::whence::end);
        char buf[16];
        EXPECT_EQ(co_await f.async_readinto(net::buffer(buf)), 5u);
        EXPECT_EQ(std::string(buf, 5), "third");
        EXPECT_EQ(co_await f.async_readinto(net::buffer(buf)), 0u);
    });
}

TEST_F(temporary_file_test, seek_whence_tell_truncate) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        co_await f.async_write("0123456789");
        EXPECT_EQ(co_await f.async_tell(), 10u);
        EXPECT_EQ(co_await f.async_seek(-3, tempio::whence::cur), 7u);
        EXPECT_EQ(co_await f.async_seek(2, tempio::whence::set), 2u);
        EXPECT_EQ(co_await f.async_seek(0, tempio::whence::end), 10u);
        EXPECT_EQ(co_await f.async_truncate(4), 4u);
        EXPECT_EQ(co_await f.async_tell(), 10u) << "truncate does not move the position";
        co_await f.async_seek(2);
        EXPECT_EQ(co_await f.async_truncate(), 2u) << "default: the current position";
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "01");
        auto [ec, pos] =
            co_await f.async_seek(-1, tempio::whence::set, net::as_tuple(net::deferred));
        EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    });
}

TEST_F(temporary_file_test, buffered_writes_are_seen_by_reads_and_reach_the_kernel_on_flush) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        for (int i = 0; i < 100; ++i) co_await f.async_write("0123456789");
        EXPECT_LT(fs::file_size(f.path()), 1000u) << "small writes are buffered";
        co_await f.async_flush();
        EXPECT_EQ(fs::file_size(f.path()), 1000u);
        co_await f.async_write("abc");
        co_await f.async_seek(998);
        EXPECT_EQ(co_await f.async_read(), "89abc");
        co_await f.async_close();
    });
}

TEST_F(temporary_file_test, unbuffered_writes_reach_the_kernel_at_once) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.buffering = 0, .dir = dir_});
        co_await f.async_write("abc");
        EXPECT_EQ(fs::file_size(f.path()), 3u);
        co_await f.async_close();
    });
}

TEST_F(temporary_file_test, large_writes_bypass_the_buffer_in_order) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        std::string big(1 << 20, 'x');
        co_await f.async_write("head");
        co_await f.async_write(big);
        co_await f.async_write("tail");
        co_await f.async_seek(0);
        std::string all = co_await f.async_read();
        EXPECT_EQ(all.size(), big.size() + 8);
        EXPECT_EQ(all.substr(0, 5), "headx");
        EXPECT_EQ(all.substr(all.size() - 5), "xtail");
    });
}

TEST_F(temporary_file_test, append_mode_writes_at_the_end) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.mode = "a+", .dir = dir_});
        co_await f.async_write("abc");
        co_await f.async_seek(0);
        co_await f.async_write("def");
        EXPECT_EQ(co_await f.async_tell(), 6u);
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "abcdef");
    });
}

TEST_F(temporary_file_test, asio_stream_algorithms_work) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        std::string data(100000, 'q');
        std::size_t written = co_await net::async_write(f, net::buffer(data), net::deferred);
        EXPECT_EQ(written, data.size());
        co_await f.async_seek(0);
        std::string back(data.size(), '\0');
        std::size_t got = co_await net::async_read(f, net::buffer(back), net::deferred);
        EXPECT_EQ(got, data.size());
        EXPECT_EQ(back, data);
        char extra[4];
        auto [ec, n] = co_await f.async_read_some(net::buffer(extra), net::as_tuple(net::deferred));
        EXPECT_EQ(ec, net::error::eof) << "read_some reports EOF as streams do";
    });
}

TEST_F(temporary_file_test, moving_transfers_ownership) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        fs::path p = f.path();
        tempio::named_temporary_file g = std::move(f);
        EXPECT_FALSE(f.is_open());
        EXPECT_TRUE(g.is_open());
        EXPECT_EQ(g.path(), p);
        auto [ec, n] = co_await f.async_write("x", net::as_tuple(net::deferred));
        EXPECT_EQ(ec, ebadf) << "a moved-from file behaves as closed";
        co_await g.async_write("moved");
        co_await g.async_close();
        EXPECT_FALSE(fs::exists(p));
    });
}

TEST_F(temporary_file_test, destructor_closes_and_deletes_synchronously) {
    fs::path p;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        p = f.path();
        co_await f.async_write("unflushed");
        EXPECT_TRUE(fs::exists(p));
    });  // f destroyed at the end of the coroutine, without async_close
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(temporary_file_test, file_mode_is_0600_and_fd_is_cloexec) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        struct stat st {};
        EXPECT_EQ(::stat(f.path().c_str(), &st), 0);
        if (tempio::test::has_posix_modes()) {
            EXPECT_EQ(st.st_mode & 07777, 0600u);
        }
        EXPECT_TRUE(::fcntl(f.descriptor(), F_GETFD) & FD_CLOEXEC);
        co_await f.async_close();
    });
}

// net::async_read_until asks for an empty read whenever a line is already
// buffered: it must complete without a worker job or a system call.
TEST_F(temporary_file_test, an_empty_read_some_needs_no_hop) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        co_await f.async_write("line\n");
        co_await f.async_flush();
        auto jobs = tempio::detail::jobs_run();
        char c;
        auto [ec, n] = co_await f.async_read_some(net::buffer(&c, 0), net::as_tuple(net::deferred));
        EXPECT_FALSE(ec);
        EXPECT_EQ(n, 0u);
        EXPECT_EQ(tempio::detail::jobs_run(), jobs);
        co_await f.async_close();
    });
}

// net::async_write of a buffer sequence: gathered into one write, not one
// operation per buffer (issue 14), and the bytes arrive in order.
TEST_F(temporary_file_test, a_buffer_sequence_is_gathered_into_one_write) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.dir = dir_});
        std::vector<std::string> parts;
        for (int i = 0; i < 1000; ++i) parts.push_back(std::string(64, char('a' + i % 26)));
        std::vector<net::const_buffer> seq;
        for (const auto& p : parts) seq.push_back(net::buffer(p));
        // One write_some takes them all (up to 1024 buffers, 1 MiB).
        EXPECT_EQ(co_await f.async_write_some(seq), 64000u);
        // net::async_write hands at most 64 buffers to each write_some.
        std::size_t n = co_await net::async_write(f, seq, net::deferred);
        EXPECT_EQ(n, 64000u);
        co_await f.async_seek(0);
        std::string all = co_await f.async_read();
        std::string expected;
        for (const auto& p : parts) expected += p;
        EXPECT_EQ(all, expected + expected);
        // Small sequences fit the buffer: no hop at all.
        auto jobs = tempio::detail::jobs_run();
        std::array<net::const_buffer, 3> small{net::buffer("ab", 2), net::buffer("", 0),
                                               net::buffer("cd", 2)};
        EXPECT_EQ(co_await f.async_write_some(small), 4u);
        EXPECT_EQ(tempio::detail::jobs_run(), jobs);
        co_await f.async_close();
    });
}

// try_write: small writes without a post; a full buffer, a closed file or a
// read-only mode take nothing (async_write then does the work and the errors).
TEST_F(temporary_file_test, try_write_takes_what_needs_no_hop_and_declines_the_rest) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await temporary_file::async_create({.buffering = 16, .dir = dir_});
        EXPECT_TRUE(f.try_write("0123456789"));
        EXPECT_FALSE(f.try_write("01234567890123456"));  // bigger than the buffer
        co_await f.async_write("0123456789");
        co_await f.async_seek(0);
        std::string all = co_await f.async_read();
        EXPECT_EQ(all, "01234567890123456789");
        co_await f.async_close();
        EXPECT_FALSE(f.try_write("x"));
        auto r = co_await temporary_file::async_create({.mode = "r", .dir = dir_},
                                                       net::as_tuple(net::deferred));
        if (!std::get<0>(r)) {
            EXPECT_FALSE(std::get<1>(r).try_write("x"));
        }
        auto s =
            co_await tempio::spooled_temporary_file::async_create({.max_size = 4, .dir = dir_});
        EXPECT_TRUE(s.try_write("abcd"));
        EXPECT_FALSE(s.try_write("e"));  // would roll over: that needs the kernel
        EXPECT_FALSE(s.rolled());
        co_await s.async_close();
    });
}
