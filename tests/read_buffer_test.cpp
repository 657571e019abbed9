// readline's read buffer (issue 14): one read(2) serves many lines, the next
// ones cost no hop, and the buffer stays coherent with the position, writes,
// seeks and the other reads (as Python's buffered reader).
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include <gtest/gtest.h>
#include <boost/asio/read_until.hpp>

#include "backend/backend.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;

namespace {
class read_buffer : public tempio::test::test_dir {};

// This executable's allocator: the next allocation of `fail_size` bytes,
// or up to 31 more (a standard library may round a string's capacity up:
// libc++ does), throws std::bad_alloc, once (0: none). With delete replaced
// too, so the sanitizers see one allocator.
std::atomic<std::size_t> fail_size{0};
std::atomic<int> failed_allocations{0};
void* allocate(std::size_t n) {
    std::size_t armed = fail_size.load();
    if (n != 0 && armed != 0 && n >= armed && n < armed + 32 &&
        fail_size.compare_exchange_strong(armed, 0)) {
        ++failed_allocations;
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
    return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}

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
        EXPECT_EQ(::lseek(f.descriptor(), 0, SEEK_CUR), 4);
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

TEST_F(read_buffer, a_line_whose_string_cannot_be_allocated_is_not_lost) {
    // The line served from the read buffer is consumed only once its string
    // exists: out of memory then, the same line comes next (or, if the retry
    // on the slow path fails too, ENOMEM and then the line).
    const std::string first(99, 'a'), second(99, 'b'), third(99, 'c');
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write(first + "\n" + second + "\n" + third + "\n");
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_readline(), first + "\n");  // fills the buffer
        int before = failed_allocations.load();
        fail_size = second.size() + 2;  // the line's 100 bytes and the '\0'
        // As a coroutine awaits it (the fast path is for a coroutine's own
        // handler, not for as_tuple's).
        std::string line;
        tempio::error_code ec;
        try {
            line = co_await f.async_readline();
        } catch (const boost::system::system_error& e) {
            ec = e.code();
        }
        fail_size = 0;
        EXPECT_EQ(failed_allocations.load(), before + 1) << "the allocation was made, and failed";
        if (ec) {
            EXPECT_EQ(ec, std::errc::not_enough_memory);
            line = co_await f.async_readline();
        }
        EXPECT_EQ(line, second + "\n");
        EXPECT_EQ(co_await f.async_readline(), third + "\n");
        co_await f.async_close();
    });
}
