// temporary_directory::async_write_file: a new file inside the directory,
// created O_EXCL|O_NOFOLLOW relative to it, mode 0666 & ~umask; bad names
// refused; a failed write leaves no file behind (every call of it fails in
// turn through the system-call seam); then a durable publish carries it.
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;
using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr auto tuple = net::as_tuple(net::deferred);

error_code sys_error(int e) {
    return tempio::detail::os_error(e);
}

class directory_write_file : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        old_mask_ = ::umask(027);
    }
    void TearDown() override {
        ::umask(old_mask_);
        test_dir::TearDown();
    }
    mode_t old_mask_ = 022;
};

TEST_F(directory_write_file, writes_and_reads_back) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        std::string data(100000, 'x');
        data += "end";
        co_await d.async_write_file("big.bin", data);
        co_await d.async_write_file("empty", "");
        EXPECT_EQ(slurp(d.path() / "big.bin"), data);
        EXPECT_EQ(slurp(d.path() / "empty"), "");
        EXPECT_EQ(mode_of(d.path() / "big.bin"), 0640u) << "0666 & ~umask 027";
        // Copied before the call returns: the caller's string may go at once.
        auto op = [&] {
            std::string gone = "copied";
            return d.async_write_file("copied", gone);
        }();
        co_await std::move(op);
        EXPECT_EQ(slurp(d.path() / "copied"), "copied");
        co_await d.async_cleanup();
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(directory_write_file, an_existing_name_is_refused) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        co_await d.async_write_file("f", "first");
        auto [ec] = co_await d.async_write_file("f", "second", tuple);
        EXPECT_EQ(ec, sys_error(EEXIST));
        EXPECT_EQ(slurp(d.path() / "f"), "first");
        // A symbolic link is a name too: never followed.
        spit(dir_ / "outside", "outside");
        fs::create_symlink(dir_ / "outside", d.path() / "link");
        auto [lec] = co_await d.async_write_file("link", "through", tuple);
        EXPECT_EQ(lec, sys_error(EEXIST));
        EXPECT_EQ(slurp(dir_ / "outside"), "outside");
        fs::remove(dir_ / "outside");
    });
}

TEST_F(directory_write_file, bad_names_are_refused) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        fs::create_directory(d.path() / "sub");
        for (std::string name : {std::string(), std::string("."), std::string(".."),
                                 std::string("sub/f"), std::string("/abs"), std::string("../up"),
                                 std::string("a\0b", 3), std::string("sub/")}) {
            auto [ec] = co_await d.async_write_file(name, "x", tuple);
            EXPECT_EQ(ec, sys_error(EINVAL)) << '"' << name << '"';
        }
        EXPECT_EQ(entries(d.path()), std::vector<std::string>{"sub"});
        EXPECT_TRUE(fs::is_empty(d.path() / "sub"));
        EXPECT_EQ(entries(dir_).size(), 1u) << "nothing written beside it";
    });
}

TEST_F(directory_write_file, after_cleanup_and_without_a_directory) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        auto moved = std::move(d);
        auto [none] = co_await d.async_write_file("f", "x", tuple);
        EXPECT_EQ(none, sys_error(EBADF));
        co_await moved.async_cleanup();
        auto [gone] = co_await moved.async_write_file("f", "x", tuple);
        EXPECT_EQ(gone, sys_error(ENOENT));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

// Every call of the write fails in turn (open of the directory, create,
// write, close of the file, close of the directory): an error is reported
// and no file is left, or (the directory's close: nothing to report) the
// file is complete.
TEST_F(directory_write_file, a_failed_write_leaves_no_file) {
    namespace sys = tempio::detail::sys;
    const std::string data(5000, 'd');
    unsigned long counted = 0;
    auto attempt = [&](unsigned long k, int err) {
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            sys::arm_fault(k, err);
            auto [ec] = co_await d.async_write_file("f", data, tuple);
            counted = sys::call_count();
            sys::disarm_fault();
            if (k == 0) {
                EXPECT_FALSE(ec) << ec.message();
            }
            if (ec) {
                EXPECT_EQ(ec, sys_error(err));
                EXPECT_TRUE(entries(d.path()).empty()) << "a partial file was left";
            } else {
                EXPECT_EQ(slurp(d.path() / "f"), data);
            }
            co_await d.async_cleanup();
        });
        EXPECT_TRUE(entries(dir_).empty());
    };
    attempt(0, 0);
    const unsigned long calls = counted;
    EXPECT_EQ(calls, 5u) << "openat(dir), openat(file), write, close, close";
    for (int err : {EIO, ENOSPC, EDQUOT}) {
        for (unsigned long k = 1; k <= calls; ++k) {
            SCOPED_TRACE("call " + std::to_string(k) + " fails with " + std::to_string(err));
            attempt(k, err);
        }
    }
    // A short write is finished, not reported.
    for (auto kind : {sys::fault_kind::short_moving, sys::fault_kind::short_then_error}) {
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            sys::arm_short(3, kind, ENOSPC);
            auto [ec] = co_await d.async_write_file("f", data, tuple);
            sys::disarm_fault();
            if (kind == sys::fault_kind::short_moving) {
                EXPECT_FALSE(ec) << ec.message();
                EXPECT_EQ(slurp(d.path() / "f"), data);
            } else {
                EXPECT_EQ(ec, sys_error(ENOSPC));
                EXPECT_TRUE(entries(d.path()).empty());
            }
            co_await d.async_cleanup();
        });
    }
}

TEST_F(directory_write_file, then_published_durably) {
    const fs::path target = dir_ / "published";
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        co_await d.async_write_file("manifest.json", R"({"files": 2})");
        co_await d.async_write_file("data.csv", "a,b\n1,2\n");
        tempio::publish_options o{.durable = true};
        co_await d.async_persist(target, o);
        EXPECT_EQ(d.path(), target);
        // The published directory is the caller's: writing there goes on.
        co_await d.async_write_file("late", "after");
    });
    EXPECT_EQ(slurp(target / "manifest.json"), R"({"files": 2})");
    EXPECT_EQ(slurp(target / "data.csv"), "a,b\n1,2\n");
    EXPECT_EQ(slurp(target / "late"), "after");
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"published"});
    fs::remove_all(target);
}

}  // namespace
