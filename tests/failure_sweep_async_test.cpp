// Failure sweep through the async API: the same operations as
// failure_sweep_test.cpp, started from coroutines, their system calls made
// by a worker of the pool. Every call fails in turn with each error it can
// really return; the error arrives through the completion token (or is
// absorbed where the core retries), nothing is left in the test directory
// or in /proc/self/fd, and the object is still usable or cleanly closed.
#include <cstdlib>
#include <fstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>

#include "failure_sweep.hpp"
#include "support/warm_worker.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

namespace {

const auto* const report =
    ::testing::AddGlobalTestEnvironment(new tempio::test::sweep_report("async API"));

// One worker: its first name (which seeds from getrandom) is drawn in SetUp,
// so every counted run makes the same calls.
const bool one_worker = (tempio::set_worker_threads(1), true);

constexpr auto tuple = net::as_tuple(net::deferred);
const std::string big(100000, 'B');  // more than the 65536-byte write buffer

class async_sweep : public tempio::test::sweep_fixture {
  protected:
    void SetUp() override {
        sweep_fixture::SetUp();
        ASSERT_TRUE(one_worker);
        tempio::test::warm_worker_name_generator(dir_);
    }

    // Holds `expected`, takes more, reads it back (no failure armed).
    template <class File>
    static net::awaitable<void> expect_usable(File& f, std::string expected) {
        EXPECT_TRUE(f.is_open());
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), expected);
        co_await f.async_write("+");
        co_await f.async_seek(0);
        std::string more = expected + "+";
        EXPECT_EQ(co_await f.async_read(), more);
    }

    net::awaitable<tempio::named_temporary_file> named(std::string_view mode = "w+b") {
        co_return co_await tempio::named_temporary_file::async_create({.mode = mode, .dir = dir_});
    }
};

}  // namespace

// ---- creation ----------------------------------------------------------------

TEST_F(async_sweep, creating_a_temporary_file) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("async: temporary_file create", {"open_tmpfile"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, f] = co_await tempio::temporary_file::async_create({.dir = dir_}, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_TRUE(entries(dir_).empty());
            EXPECT_EQ(f.is_open(), !must_fail());
            if (f.is_open()) {
                co_await expect_usable(f, "");
                co_await f.async_close();
            }
        });
    });
}

TEST_F(async_sweep, creating_a_named_temporary_file) {
    sweep("async: named_temporary_file create", {"open_unique", "fstat"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, f] =
                co_await tempio::named_temporary_file::async_create({.dir = dir_}, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.is_open(), !must_fail());
            EXPECT_EQ(entries(dir_).size(), must_fail() ? 0u : 1u);
            if (f.is_open()) {
                co_await expect_usable(f, "");
                co_await f.async_close();
            }
        });
    });
}

TEST_F(async_sweep, creating_a_spooled_temporary_file_makes_no_system_call) {
    sweep("async: spooled_temporary_file create", {}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, f] =
                co_await tempio::spooled_temporary_file::async_create({.dir = dir_}, tuple);
            disarm();
            EXPECT_FALSE(ec);
            EXPECT_FALSE(f.rolled());
        });
    });
}

TEST_F(async_sweep, creating_a_temporary_directory) {
    sweep("async: temporary_directory create", {"mkdir_unique"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, d] = co_await tempio::temporary_directory::async_create({.dir = dir_}, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(d.path().empty(), must_fail());
            if (!d.path().empty()) {
                EXPECT_TRUE(fs::is_directory(d.path()));
                co_await d.async_cleanup();
            }
        });
    });
}

TEST_F(async_sweep, async_mkstemp) {
    sweep("async: async_mkstemp", {"open_unique"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, r] = co_await tempio::async_mkstemp({.dir = dir_}, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(bool(r.fd), !must_fail());
            if (r.fd) fs::remove(r.path);  // the caller owns it
        });
    });
}

TEST_F(async_sweep, async_mkdtemp) {
    sweep("async: async_mkdtemp", {"mkdir_unique"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, p] = co_await tempio::async_mkdtemp({.dir = dir_}, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(p.empty(), must_fail());
            if (!p.empty()) fs::remove(p);
        });
    });
}

TEST_F(async_sweep, async_gettempdir_searches_on) {
    const char* old = std::getenv("TMPDIR");
    std::string saved = old ? old : "";
    ::setenv("TMPDIR", dir_.c_str(), 1);
    sweep("async: async_gettempdir",
          {"getcwd", "probe_open", "probe_write", "probe_close", "probe_unlink"}, [&] {
              tempio::set_tempdir({});
              tempio::run([&]() -> net::awaitable<void> {
                  arm();
                  auto [ec, found] = co_await tempio::async_gettempdir(tuple);
                  disarm();
                  EXPECT_FALSE(ec) << ec.message();
                  bool dir_usable = !must_fail() || current().call == "getcwd";
                  EXPECT_EQ(found == dir_, dir_usable) << found;
              });
              if (must_fail() && current().call == "probe_unlink") {
                  ASSERT_EQ(entries(dir_).size(), 1u);  // the probe the kernel kept
                  fs::remove(dir_ / entries(dir_)[0]);
              }
          });
    if (old)
        ::setenv("TMPDIR", saved.c_str(), 1);
    else
        ::unsetenv("TMPDIR");
    tempio::set_tempdir({});
}

// ---- file operations -----------------------------------------------------------

TEST_F(async_sweep, async_write_past_the_buffer) {
    sweep("async: async_write (past the buffer)", {"writev"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("head");  // buffered: no system call
            arm();
            auto [ec, n] = co_await f.async_write(big, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(n, must_fail() ? 0u : big.size());
            std::string expected = must_fail() ? "head" : "head" + big;
            co_await expect_usable(f, expected);
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_flush) {
    sweep("async: async_flush", {"write"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("buffered");
            arm();
            auto [ec] = co_await f.async_flush(tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_usable(f, "buffered");
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_read) {
    // A short read moves the position past what it read (core/steps/io_steps.hpp).
    sweep("async: async_read", {"read", "lseek", "read"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("hello\n");
            co_await f.async_flush();
            co_await f.async_seek(0);
            arm();
            auto [ec, s] = co_await f.async_read(tuple);
            disarm();
            expect_outcome(ec);
            if (!must_fail()) {
                EXPECT_EQ(s, "hello\n");
            }
            co_await expect_usable(f, "hello\n");
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_readline) {
    // One read(2) fills the read buffer; short, the position is moved past it.
    sweep("async: async_readline", {"read", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("one\ntwo\n");
            co_await f.async_seek(0);
            arm();
            auto [ec, line] = co_await f.async_readline(tuple);
            disarm();
            expect_outcome(ec);
            if (must_fail()) {
                EXPECT_EQ(line, "");
                EXPECT_EQ(co_await f.async_readline(), "one\n") << "position unchanged";
            } else {
                EXPECT_EQ(line, "one\n");
            }
            EXPECT_EQ(co_await f.async_readline(), "two\n");
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_seek) {
    sweep("async: async_seek", {"write", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("abcdef");
            arm();
            auto [ec, pos] = co_await f.async_seek(2, tuple);
            disarm();
            expect_outcome(ec);
            if (!must_fail()) {
                EXPECT_EQ(pos, 2u);
                EXPECT_EQ(co_await f.async_read(2), "cd");
            }
            co_await expect_usable(f, "abcdef");
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_truncate) {
    sweep("async: async_truncate", {"write", "ftruncate"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("abcdef");
            arm();
            auto [ec, size] = co_await f.async_truncate(3, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(size, must_fail() ? 0u : 3u);
            std::string expected = must_fail() ? "abcdef" : "abc";
            co_await expect_usable(f, expected);
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_close_deletes_a_named_file) {
    sweep("async: async_close (named)", {"write", "close", "fstatat", "unlink"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("pending");
            arm();
            auto [ec] = co_await f.async_close(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_FALSE(f.is_open()) << "closed, whatever failed";
            bool kept = must_fail() && (current().call == "unlink" || current().call == "fstatat");
            EXPECT_EQ(fs::exists(f.path()), kept)
                << "a refused unlink leaves the name until the end";
            auto [again] = co_await f.async_close(tuple);
            EXPECT_FALSE(again) << "idempotent";
        });  // the object is gone: so is the name
    });
}

TEST_F(async_sweep, async_close_of_a_temporary_file) {
    sweep("async: async_close (anonymous)", {"write", "close"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
            co_await f.async_write("pending");
            arm();
            auto [ec] = co_await f.async_close(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_FALSE(f.is_open());
        });
    });
}

// ---- spooled files -------------------------------------------------------------

TEST_F(async_sweep, an_async_write_that_rolls_over) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("async: spooled rollover by async_write", {"open_tmpfile", "write", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f =
                co_await tempio::spooled_temporary_file::async_create({.max_size = 8, .dir = dir_});
            co_await f.async_write("12345678");
            arm();
            auto [ec, n] = co_await f.async_write("9", tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(n, must_fail() ? 0u : 1u);
            EXPECT_EQ(f.rolled(), !must_fail()) << "a failed rollover stays in memory";
            std::string expected = must_fail() ? "12345678" : "123456789";
            co_await expect_usable(f, expected);
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_rollover) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("async: async_rollover", {"open_tmpfile", "write", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
            co_await f.async_write("kept in memory");
            co_await f.async_seek(4);
            arm();
            auto [ec] = co_await f.async_rollover(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.rolled(), !must_fail());
            EXPECT_EQ(co_await f.async_tell(), 4u);
            co_await expect_usable(f, "kept in memory");
            co_await f.async_close();
        });
    });
}

TEST_F(async_sweep, async_fileno) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    sweep("async: async_fileno", {"open_tmpfile", "write", "lseek"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
            co_await f.async_write("data");
            arm();
            auto [ec, fd] = co_await f.async_fileno(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(fd < 0, must_fail());
            co_await expect_usable(f, "data");
            co_await f.async_close();
        });
    });
}

// ---- directories ---------------------------------------------------------------

TEST_F(async_sweep, async_cleanup) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    sweep("async: async_cleanup", {"remove_tree"}, [&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            fs::create_directories(d.path() / "a" / "b");
            { std::ofstream(d.path() / "a" / "b" / "f") << "x"; }
            fs::create_symlink("/etc/passwd", d.path() / "a" / "link");
            arm();
            auto [ec] = co_await d.async_cleanup(tuple);
            disarm();
            if (ec) {
                EXPECT_TRUE(injecting()) << ec.message();
            }
            if (!ec) {
                EXPECT_FALSE(fs::exists(fs::symlink_status(d.path())));
            }
            // A failed cleanup can be retried: the second one finishes the job.
            auto [again] = co_await d.async_cleanup(tuple);
            EXPECT_FALSE(again) << again.message();
            EXPECT_FALSE(fs::exists(fs::symlink_status(d.path())));
        });
    });
}
