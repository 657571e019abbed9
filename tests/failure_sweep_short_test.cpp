// Short results, swept (failure_sweep.hpp sweep_short): every read and
// write an operation makes does about half of what it asked, in turn, with
// the position moved (read(2), write(2)), left where it was (io_uring at
// offset -1, when the kernel's retry of the rest failed), or left and the
// next read or write failing. Whatever the driver (the pool, the ring with
// TEMPIO_BACKEND=io_uring, the calling thread with TEMPIO_INLINE=on on
// tmpfs): what a write counts is what is on disk, in place; what a read
// returns is what the file holds there, and the position is after it; an
// operation that succeeds did all of its work. No short result is reported
// as whole.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>

#include "backend/inline_level.hpp"
#include "core/memory_fs.hpp"
#include "core/os_error.hpp"
#include "failure_sweep.hpp"
#include "support/warm_worker.hpp"
#include "tempio/tempio.hpp"

namespace net = tempio::net;
namespace detail = tempio::detail;
using tempio::error_code;

namespace {

const auto* const report =
    ::testing::AddGlobalTestEnvironment(new tempio::test::sweep_report("short results"));

// One worker, so that every counted run makes the same calls in the same order.
const bool one_worker = (tempio::set_worker_threads(1), true);

constexpr auto tuple = net::as_tuple(net::deferred);

// Bytes that do not repeat within a write: an overwrite in the wrong place shows.
std::string patterned(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('0' + i % 251 % 75);
    return s;
}
const std::string big = patterned(100000);  // more than the buffer, and than a read chunk

// The file's bytes, read past tempio (and its seam).
std::string on_disk(int fd) {
    struct stat st {};
    EXPECT_EQ(::fstat(fd, &st), 0);
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < out.size()) {
        ssize_t r = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
        if (r <= 0) break;
        got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
}

class short_sweep : public tempio::test::sweep_fixture {
  protected:
    void SetUp() override {
        sweep_fixture::SetUp();
        ASSERT_TRUE(one_worker);
        tempio::test::warm_worker_name_generator(dir_);
    }

    net::awaitable<tempio::named_temporary_file> named(std::size_t buffering = 65536) {
        co_return co_await tempio::named_temporary_file::async_create(
            {.buffering = buffering, .dir = dir_});
    }

    // Only short_then_error's error, or none.
    void expect_error_only_if_made_to(const error_code& ec) {
        if (ec) {
            EXPECT_TRUE(must_fail()) << "a short result became an error: " << ec.message();
            EXPECT_EQ(ec, tempio::detail::os_error(err())) << ec.message();
        }
    }

    // A write of `data` after `before` on disk, counted `n`: exactly those
    // bytes are there, and the position is after them; whole unless it failed.
    template <class File>
    net::awaitable<void> expect_written(File& f, const std::string& before, std::string_view data,
                                        const error_code& ec, std::size_t n) {
        expect_error_only_if_made_to(ec);
        if (!ec) {
            EXPECT_EQ(n, data.size()) << "succeeded without writing everything";
        } else {
            EXPECT_LT(n, data.size()) << "a failed write counted everything";
        }
        std::string expected = before + std::string(data.substr(0, n));
        EXPECT_EQ(on_disk(f.descriptor()) == expected, true)
            << "the count is not what is on disk: counted " << n << ", on disk "
            << on_disk(f.descriptor()).size() - before.size();
        EXPECT_EQ(co_await f.async_tell(), expected.size());
        // Usable: the next write goes right after.
        co_await f.async_write("+");
        co_await f.async_flush();
        EXPECT_EQ(on_disk(f.descriptor()) == expected + "+", true) << "the next write misplaced";
    }

    // `got` read from offset `start` of a file holding `content`: the same
    // bytes, and the next read goes on right after them.
    template <class File>
    net::awaitable<void> expect_read(File& f, const std::string& content, std::size_t start,
                                     std::string_view got, const error_code& ec) {
        expect_error_only_if_made_to(ec);
        EXPECT_EQ(got == std::string_view(content).substr(start, got.size()), true)
            << "read bytes that are not the file's";
        EXPECT_EQ(co_await f.async_tell(), start + got.size());
        std::string rest = co_await f.async_read();
        EXPECT_EQ(rest == content.substr(start + got.size()), true)
            << "the position is not after what was read: " << rest.size() << " bytes follow";
    }
};

}  // namespace

// ---- writes ------------------------------------------------------------------

TEST_F(short_sweep, an_unbuffered_write) {  // straight to the kernel: the ring's own writev
    sweep_short("async_write (unbuffered)", {"writev"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named(0);
            arm();
            auto [ec, n] = co_await f.async_write(big, tuple);
            disarm();
            co_await expect_written(f, "", big, ec, n);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_write_some) {
    sweep_short("async_write_some (unbuffered)", {"writev"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named(0);
            arm();
            auto [ec, n] = co_await f.async_write_some(net::buffer(big), tuple);
            disarm();
            co_await expect_written(f, "", big, ec, n);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_write_past_the_buffer) {  // the buffer and the data in one writev
    sweep_short("async_write (past the buffer)", {"writev"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("head");
            arm();
            auto [ec, n] = co_await f.async_write(big, tuple);
            disarm();
            co_await expect_written(f, "head", big, ec, n);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_flush) {
    const std::string data = patterned(1000);
    sweep_short("async_flush", {"writev"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(data);
            arm();
            auto [ec] = co_await f.async_flush(tuple);
            disarm();
            expect_error_only_if_made_to(ec);
            std::string disk = on_disk(f.descriptor());
            if (!ec) {
                EXPECT_EQ(disk == data, true) << "flushed, " << disk.size() << " bytes on disk";
            } else {
                EXPECT_EQ(disk == data.substr(0, disk.size()), true);
            }
            // What did not go stays buffered: the next flush writes it, in place.
            co_await f.async_flush();
            EXPECT_EQ(on_disk(f.descriptor()) == data, true);
            EXPECT_EQ(co_await f.async_tell(), data.size());
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, writes_behind_then_a_flush) {
    // The second write hands the full buffer to a worker (write-behind); the
    // flush waits for it, then writes its own buffer. Where writes run at
    // once (TEMPIO_INLINE=writes or on, on tmpfs), the second write is one
    // writev of both buffers instead, and the flush has nothing to do.
    const std::string data = patterned(8192);
    const bool at_once = detail::inline_writes_enabled() && detail::on_memory_fs(dir_.string());
    std::vector<std::string> calls = {"writev", "writev"};
    if (at_once) calls.pop_back();
    sweep_short("async_write (behind) + async_flush", calls, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named(4096);
            co_await f.async_write(std::string_view(data).substr(0, 4096));
            arm();
            auto [wec, n] = co_await f.async_write(std::string_view(data).substr(4096), tuple);
            auto [ec] = co_await f.async_flush(tuple);
            disarm();
            if (at_once) {  // the write made the call: its count is what went
                expect_error_only_if_made_to(wec);
                EXPECT_FALSE(ec) << "the buffer's rest was written: " << ec.message();
                if (!wec) {
                    EXPECT_EQ(n, 4096u);
                }
                std::string expected = data.substr(0, 4096 + n);
                EXPECT_EQ(on_disk(f.descriptor()) == expected, true);
                EXPECT_EQ(co_await f.async_tell(), expected.size());
                co_await f.async_close();
                co_return;
            }
            EXPECT_FALSE(wec);
            EXPECT_EQ(n, 4096u);
            expect_error_only_if_made_to(ec);
            std::string disk = on_disk(f.descriptor());
            if (!ec) {
                EXPECT_EQ(disk == data, true) << "flushed, " << disk.size() << " bytes on disk";
            } else {
                EXPECT_EQ(disk == data.substr(0, disk.size()), true);
            }
            co_await f.async_flush();
            EXPECT_EQ(on_disk(f.descriptor()) == data, true);
            EXPECT_EQ(co_await f.async_tell(), data.size());
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_close_with_bytes_still_buffered) {
    const std::string data = patterned(1000);
    sweep_short("async_close (named, buffered)", {"writev", "close", "fstatat", "unlink"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(data);
            int fd = ::dup(f.descriptor());  // to look after the close
            arm();
            auto [ec] = co_await f.async_close(tuple);
            disarm();
            expect_error_only_if_made_to(ec);
            std::string disk = on_disk(fd);
            ::close(fd);
            if (!ec) {
                EXPECT_EQ(disk == data, true) << "closed, " << disk.size() << " bytes on disk";
            } else {
                EXPECT_EQ(disk == data.substr(0, disk.size()), true);
                EXPECT_LT(disk.size(), data.size());
            }
            EXPECT_FALSE(f.is_open());
        });
    });
}

TEST_F(short_sweep, a_rollover) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const std::string data = patterned(1000);
    sweep_short("async_rollover", {"open_tmpfile", "writev", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
            co_await f.async_write(data);
            co_await f.async_seek(10);
            arm();
            auto [ec] = co_await f.async_rollover(tuple);
            disarm();
            expect_error_only_if_made_to(ec);
            EXPECT_EQ(f.rolled(), !ec) << "a failed rollover stays in memory";
            if (f.rolled()) {
                EXPECT_EQ(on_disk(f.descriptor()) == data, true);
            }
            EXPECT_EQ(co_await f.async_tell(), 10u);
            co_await f.async_seek(0);
            EXPECT_EQ(co_await f.async_read() == data, true);
            co_await f.async_close();
        });
    });
}

// ---- reads -------------------------------------------------------------------

TEST_F(short_sweep, a_read_to_the_end) {  // straight from the kernel: the ring's own reads
    // 64 KiB, then the 34,464 left (short: the position moved past it), then the end.
    sweep_short("async_read ()", {"read", "read", "lseek", "read"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(big);
            co_await f.async_seek(0);
            arm();
            auto [ec, s] = co_await f.async_read(tuple);
            disarm();
            if (!ec) {
                EXPECT_EQ(s.size(), big.size()) << "succeeded before the end";
            }
            co_await expect_read(f, big, 0, s, ec);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_bounded_read) {
    sweep_short("async_read (n)", {"read"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(big);
            co_await f.async_seek(7);
            arm();
            auto [ec, s] = co_await f.async_read(1000, tuple);
            disarm();
            EXPECT_GT(s.size(), 0u);
            co_await expect_read(f, big, 7, s, ec);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_read_some) {
    sweep_short("async_read_some", {"read"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(big);
            co_await f.async_seek(7);
            std::string buf(1000, '\0');
            arm();
            auto [ec, n] = co_await f.async_read_some(net::buffer(buf), tuple);
            disarm();
            EXPECT_GT(n, 0u);
            co_await expect_read(f, big, 7, std::string_view(buf).substr(0, n), ec);
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_readline) {  // one read fills the read buffer (short: then a seek)
    const std::string lines = "one\ntwo\nthree\n";
    sweep_short("async_readline", {"read", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(lines);
            co_await f.async_seek(0);
            arm();
            auto [ec, line] = co_await f.async_readline(tuple);
            disarm();
            expect_error_only_if_made_to(ec);
            if (!ec) {
                EXPECT_EQ(line, "one\n");
                co_await expect_read(f, lines, 4, "", ec);
            } else {
                EXPECT_EQ(line, "");
                co_await expect_read(f, lines, 0, "", error_code());  // nothing consumed
            }
            co_await f.async_close();
        });
    });
}

TEST_F(short_sweep, a_read_after_a_readline) {  // the core's read: buffered bytes, then the kernel
    std::string content = "first line\n" + big;
    sweep_short("async_read () after async_readline", {"read", "lseek", "read"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write(content);
            co_await f.async_seek(0);
            EXPECT_EQ(co_await f.async_readline(), "first line\n");  // reads 64 KiB ahead
            arm();
            auto [ec, s] = co_await f.async_read(tuple);
            disarm();
            if (!ec) {
                EXPECT_EQ(s.size(), content.size() - 11) << "succeeded before the end";
            }
            co_await expect_read(f, content, 11, s, ec);
            co_await f.async_close();
        });
    });
}
