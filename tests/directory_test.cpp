// temporary_directory through the async API: anyio's and CPython's basics.
// (Hostile trees are in remove_tree_test.cpp.)
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::temporary_directory;
using tempio::test::entries;

namespace {
class directory : public tempio::test::test_dir {};

void fill(const fs::path& root) {
    fs::create_directories(root / "a" / "b" / "c");
    fs::create_directories(root / "d");
    for (const char* f : {"x", "a/y", "a/b/z", "a/b/c/w", "d/v"}) std::ofstream(root / f) << f;
}
}  // namespace

TEST_F(directory, exists_is_writable_and_is_gone_after_cleanup) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        EXPECT_TRUE(fs::is_directory(d.path()));
        EXPECT_EQ(::access(d.path().c_str(), W_OK), 0);
        EXPECT_EQ(fs::status(d.path()).permissions(), fs::perms::owner_all);
        fill(d.path());
        co_await d.async_cleanup();
        EXPECT_FALSE(fs::exists(d.path()));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(directory, cleanup_twice_is_harmless) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        co_await d.async_cleanup();
        auto [ec] = co_await d.async_cleanup(net::as_tuple(net::deferred));
        EXPECT_FALSE(ec);
    });
}

TEST_F(directory, destructor_removes_the_tree) {
    fs::path p;
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.prefix = "scratch-", .dir = dir_});
        p = d.path();
        fill(p);
    });
    EXPECT_FALSE(fs::exists(p));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(directory, keep_leaves_everything) {
    fs::path p;
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_, .keep = true});
        p = d.path();
        fill(p);
    });
    EXPECT_TRUE(fs::exists(p / "a" / "b" / "c" / "w"));
    fs::remove_all(p);
}

TEST_F(directory, removed_by_hand_first_is_no_error) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        fs::remove_all(d.path());
        auto [ec] = co_await d.async_cleanup(net::as_tuple(net::deferred));
        EXPECT_FALSE(ec) << ec.message();
    });
}

TEST_F(directory, moving_transfers_ownership) {
    fs::path p;
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        p = d.path();
        temporary_directory moved = std::move(d);
        EXPECT_EQ(moved.path(), p);
        EXPECT_TRUE(fs::exists(p));
        co_await d.async_cleanup();  // the moved-from object owns nothing
        EXPECT_TRUE(fs::exists(p));
        co_await moved.async_cleanup();
        EXPECT_FALSE(fs::exists(p));
    });
}

TEST_F(directory, bad_prefix_and_missing_dir_are_errors_creating_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        auto [e1, d1] = co_await temporary_directory::async_create({.prefix = "../", .dir = dir_},
                                                                   net::as_tuple(net::deferred));
        EXPECT_EQ(e1, boost::system::errc::invalid_argument);
        EXPECT_TRUE(d1.path().empty());
        auto [e2, d2] = co_await temporary_directory::async_create({.dir = dir_ / "missing"},
                                                                   net::as_tuple(net::deferred));
        EXPECT_EQ(e2.value(), ENOENT);
    });
    EXPECT_TRUE(entries(dir_).empty());
}
