// temporary_directory cleanup through the public API: hostile trees removed
// by async_cleanup and by the destructor, keep, ignore_cleanup_errors, and
// the error path. The remover itself is tested in remove_tree_test.cpp.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/remove_tree.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::temporary_directory;
namespace sys = tempio::detail::sys;

namespace {

class directory_cleanup : public tempio::test::test_dir {
  protected:
    // An outside directory of canaries (read-only), and a hostile tree in
    // `root`: links to it, a FIFO, read-only and unsearchable directories.
    void SetUp() override {
        test_dir::SetUp();
        outside_ = dir_ / "outside";
        fs::create_directories(outside_ / "inner");
        std::ofstream(outside_ / "canary") << "canary";
        std::ofstream(outside_ / "inner" / "canary") << "inner";
        ::chmod((outside_ / "inner").c_str(), 0500);
        ::chmod(outside_.c_str(), 0555);
        before_ = snapshot();
    }
    void TearDown() override {
        EXPECT_EQ(snapshot(), before_) << "something outside the tree changed";
        ::chmod(outside_.c_str(), 0700);
        ::chmod((outside_ / "inner").c_str(), 0700);
        test_dir::TearDown();
    }
    void make_hostile(const fs::path& root) {
        fs::create_directories(root / "ro" / "deeper");
        fs::create_directories(root / "noexec");
        fs::create_directory_symlink(outside_, root / "link_to_dir");
        fs::create_symlink(outside_ / "canary", root / "ro" / "link_to_file");
        fs::create_symlink("dangling", root / "noexec" / "dangling");
        ASSERT_EQ(::mkfifo((root / "ro" / "fifo").c_str(), 0600), 0);
        std::ofstream(root / "ro" / "deeper" / "readonly") << "r";
        ::chmod((root / "ro" / "deeper" / "readonly").c_str(), 0400);
        ::chmod((root / "ro" / "deeper").c_str(), 0500);
        ::chmod((root / "ro").c_str(), 0500);
        ::chmod((root / "noexec").c_str(), 0600);
    }
    std::map<std::string, std::string> snapshot() const {
        return tempio::test::tree_snapshot(outside_);
    }
    fs::path outside_;
    std::map<std::string, std::string> before_;
};

}  // namespace

TEST_F(directory_cleanup, async_cleanup_removes_a_hostile_tree_and_nothing_else) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    fs::path path = tempio::run([&]() -> net::awaitable<fs::path> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        make_hostile(d.path());
        co_await d.async_cleanup();
        co_await d.async_cleanup();  // idempotent
        co_return d.path();
    });
    EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
    EXPECT_EQ(tempio::test::entries(dir_), std::vector<std::string>{"outside"});
}

TEST_F(directory_cleanup, destructor_removes_a_hostile_tree) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    fs::path path = tempio::run([&]() -> net::awaitable<fs::path> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        make_hostile(d.path());
        co_return d.path();  // d destroyed here: synchronous cleanup
    });
    EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
}

TEST_F(directory_cleanup, root_deleted_by_hand_first_is_no_error) {
    auto ec = tempio::run([&]() -> net::awaitable<error_code> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        fs::remove_all(d.path());
        auto [e] = co_await d.async_cleanup(net::as_tuple(net::use_awaitable));
        co_return e;
    });
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(directory_cleanup, root_swapped_for_a_symlink_is_not_followed) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    auto ec = tempio::run([&]() -> net::awaitable<error_code> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        fs::remove(d.path());
        fs::create_directory_symlink(outside_, d.path());
        auto [e] = co_await d.async_cleanup(net::as_tuple(net::use_awaitable));
        EXPECT_FALSE(fs::exists(fs::symlink_status(d.path())));
        co_return e;
    });
    EXPECT_FALSE(ec) << ec.message();
}

TEST_F(directory_cleanup, keep_leaves_everything_in_place) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    fs::path path = tempio::run([&]() -> net::awaitable<fs::path> {
        auto d = co_await temporary_directory::async_create({.dir = dir_, .keep = true});
        make_hostile(d.path());
        co_return d.path();
    });
    ASSERT_TRUE(fs::is_directory(fs::symlink_status(path)));
    EXPECT_EQ(tempio::test::entries(path),
              (std::vector<std::string>{"link_to_dir", "noexec", "ro"}));
    EXPECT_FALSE(tempio::detail::remove_tree(path.string()).ec);
}

// Fault injection at each call of a cleanup in turn: without
// ignore_cleanup_errors the first failure arrives with its path relative to
// the root; with it, no error ever arrives. Either way the tree can then be
// removed and nothing outside changed.
TEST_F(directory_cleanup, first_error_names_its_path_unless_ignored) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    for (bool ignore : {false, true}) {
        std::set<std::string> wheres;
        unsigned long n = 1;
        for (;; ++n) {
            ASSERT_LT(n, 300u);
            struct outcome {
                error_code ec;
                std::string where;
                fs::path path;
                bool injected;
            };
            auto o = tempio::run([&]() -> net::awaitable<outcome> {
                auto d = co_await temporary_directory::async_create(
                    {.dir = dir_, .ignore_cleanup_errors = ignore});
                fs::create_directories(d.path() / "a" / "b");
                std::ofstream(d.path() / "a" / "b" / "file") << "f";
                fs::create_directory_symlink(outside_, d.path() / "a" / "link");
                sys::arm_fault(n, EIO);
                auto [e] = co_await d.async_cleanup(net::as_tuple(net::use_awaitable));
                bool injected = sys::call_count() >= n;
                sys::disarm_fault();
                co_return outcome{e, d.cleanup_error_path(), d.path(), injected};
            });
            if (ignore) {
                EXPECT_FALSE(o.ec) << "call " << n << ": " << o.ec.message();
            }
            if (o.ec) {
                EXPECT_EQ(o.ec, std::errc::io_error) << "call " << n;
                wheres.insert(o.where);
            }
            EXPECT_FALSE(tempio::detail::remove_tree(o.path.string()).ec);
            if (!o.injected) {
                EXPECT_FALSE(o.ec);
                break;
            }
        }
        EXPECT_GT(n, 10u);
        if (!ignore) {
            for (const char* where : {"", "a", "a/b", "a/b/file", "a/link"})
                EXPECT_EQ(wheres.count(where), 1u) << "never reported: '" << where << "'";
        }
    }
}
