// async_sweep_stale (DESIGN section 12, tempio/sweep.hpp): removes the hidden
// names ".<target>.XXXXXXXX" interrupted publishes leave behind, when they
// are regular files of ours old enough, and nothing else: not a symbolic
// link (nor what it points to), not a directory or FIFO, not a name of
// another pattern, not another user's file, not a young one. Files are made
// old with utimensat, never by sleeping.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/os_error.hpp"
#include "core/publish.hpp"
#include "core/sweep.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr auto tuple = net::as_tuple(net::deferred);

class sweep_stale : public tempio::test::test_dir {
  protected:
    // Sets the modification (and access) time of `p` itself, not followed,
    // `age` in the past.
    static void age(const fs::path& p, std::chrono::seconds by = std::chrono::hours(2)) {
        timespec now{};
        ::clock_gettime(CLOCK_REALTIME, &now);
        timespec t{now.tv_sec - static_cast<time_t>(by.count()), 0};
        timespec times[2] = {t, t};
        ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << p;
    }
    // A hidden name of `target`, drawn by the library itself.
    static std::string hidden(const std::string& target) {
        return tempio::detail::hidden_name_for(target);
    }
    fs::path old_file(const std::string& name, const std::string& content = "x") {
        spit(dir_ / name, content);
        age(dir_ / name);
        return dir_ / name;
    }
    std::pair<error_code, tempio::sweep_result> sweep(tempio::sweep_options o = {}) {
        return sweep_in(dir_, o);
    }
    static std::pair<error_code, tempio::sweep_result> sweep_in(const fs::path& d,
                                                                tempio::sweep_options o) {
        return tempio::run([&]() -> net::awaitable<std::pair<error_code, tempio::sweep_result>> {
            auto [ec, r] = co_await tempio::async_sweep_stale(d, o, tuple);
            co_return std::pair(ec, std::move(r));
        });
    }
};

TEST_F(sweep_stale, the_pattern) {
    using tempio::detail::is_hidden_name;
    EXPECT_TRUE(is_hidden_name(".target.abcd_019"));
    EXPECT_TRUE(is_hidden_name(hidden("config.json")));
    EXPECT_TRUE(is_hidden_name("..profile.abcdefgh"));  // the target ".profile"
    EXPECT_FALSE(is_hidden_name("..abcdefgh")) << "no name";
    EXPECT_FALSE(is_hidden_name(".target.abcdefg")) << "7 characters";
    EXPECT_FALSE(is_hidden_name(".target.abcdefghi")) << "9 characters";
    EXPECT_FALSE(is_hidden_name(".target.ABCDEFGH")) << "not the alphabet";
    EXPECT_FALSE(is_hidden_name(".target.abc-efgh")) << "not the alphabet";
    EXPECT_FALSE(is_hidden_name("target.abcdefgh")) << "no leading dot";
    EXPECT_FALSE(is_hidden_name(".target-abcdefgh")) << "no dot before the random part";
    EXPECT_FALSE(is_hidden_name("target"));
    EXPECT_TRUE(is_hidden_name(".a.abcdefgh", "a"));
    EXPECT_FALSE(is_hidden_name(".b.abcdefgh", "a"));
    EXPECT_FALSE(is_hidden_name(".ab.abcdefgh", "a"));
    // A target longer than hidden names hold: its cut prefix.
    const std::string longest(255, 'n');
    EXPECT_TRUE(is_hidden_name(hidden(longest), longest));
}

TEST_F(sweep_stale, removes_what_a_publish_killed_mid_write_left) {
    if (!tempio::test::can_fork()) GTEST_SKIP() << "no fork() on this platform";
    // The real crash path: a child writes through atomic_file (forced onto
    // the hidden-file fallback, as publishing_crash_test does) and is
    // killed with SIGKILL before its commit.
    const fs::path target = dir_ / "target";
    spit(target, "old");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        tempio::run([&]() -> net::awaitable<void> {
            tempio::detail::sys::arm_fault(2, EOPNOTSUPP);  // the O_TMPFILE open
            auto [ec, f] = co_await tempio::atomic_file::async_create(target, {}, tuple);
            tempio::detail::sys::disarm_fault();
            if (ec) ::_exit(3);
            co_await f.async_write("new, never committed");
            co_await f.async_flush();
            ::kill(::getpid(), SIGKILL);
        });
        ::_exit(4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    std::vector<std::string> left;
    for (const auto& n : entries(dir_))
        if (n != "target") left.push_back(n);
    ASSERT_EQ(left.size(), 1u) << "the killed publish left its hidden file";
    EXPECT_TRUE(tempio::detail::is_hidden_name(left[0], "target")) << left[0];

    auto [young_ec, young] = sweep();
    EXPECT_FALSE(young_ec) << young_ec.message();
    EXPECT_TRUE(young.removed.empty()) << "just written: too young";
    EXPECT_EQ(young.too_young, 1u);

    age(dir_ / left[0]);
    auto [ec, r] = sweep();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.removed, left);
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
    EXPECT_EQ(slurp(target), "old");
}

TEST_F(sweep_stale, old_matching_files_go_young_ones_stay) {
    const std::string stale = hidden("data.bin");
    old_file(stale);
    const std::string young = hidden("data.bin");
    spit(dir_ / young, "y");
    auto [ec, r] = sweep();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.removed, std::vector<std::string>{stale});
    EXPECT_EQ(r.too_young, 1u);
    EXPECT_EQ(entries(dir_), std::vector<std::string>{young});

    // min_age: an hour by default; zero takes every matching name.
    auto [ec0, r0] = sweep({.min_age = std::chrono::nanoseconds(0)});
    EXPECT_FALSE(ec0);
    EXPECT_EQ(r0.removed, std::vector<std::string>{young});
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(sweep_stale, links_directories_and_fifos_are_never_touched) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    const fs::path outside = dir_ / "outside";
    fs::create_directory(outside);
    const fs::path victim = outside / "victim";
    spit(victim, "keep me");
    ::chmod(victim.c_str(), 0640);
    age(victim);
    const fs::path swept = dir_ / "swept";
    fs::create_directory(swept);
    const std::string link = hidden("a");
    fs::create_symlink(victim, swept / link);
    age(swept / link);
    const std::string dangling = hidden("b");
    fs::create_symlink(dir_ / "nowhere", swept / dangling);
    age(swept / dangling);
    const std::string subdir = hidden("c");
    fs::create_directory(swept / subdir);
    const std::string inside = hidden("d");
    spit(swept / subdir / inside, "inside");  // never recursed into
    age(swept / subdir / inside);
    age(swept / subdir);
    const std::string fifo = hidden("e");
    ASSERT_EQ(::mkfifo((swept / fifo).c_str(), 0600), 0);
    age(swept / fifo);
    const auto before = tempio::test::tree_snapshot(dir_);

    auto [ec, r] = sweep_in(swept, {.min_age = std::chrono::nanoseconds(0)});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(r.removed.empty());
    EXPECT_EQ(r.not_regular, 4u);
    EXPECT_EQ(tempio::test::tree_snapshot(dir_), before) << "something was touched";
    EXPECT_EQ(slurp(victim), "keep me");
    EXPECT_EQ(tempio::test::mode_of(victim), 0640u);
}

TEST_F(sweep_stale, other_names_stay) {
    std::vector<std::string> others = {"target",          "target.abcdefgh",   ".target-abcdefgh",
                                       ".target.abcdefg", ".target.abcdefghi", ".target.ABCDEFGH",
                                       "..abcdefgh",      ".target.abcdefgh~", ".target",
                                       "plain.txt"};
#ifndef _WIN32
    others.push_back(".target.");  // Windows drops a name's trailing dot: ".target" again
#endif
    for (const auto& n : others) old_file(n);
    auto [ec, r] = sweep({.min_age = std::chrono::nanoseconds(0)});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(r.removed.empty());
    EXPECT_EQ(r.too_young + r.not_ours + r.not_regular + r.vanished, 0u)
        << "names outside the pattern are not even counted";
    auto sorted = others;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(entries(dir_), sorted);
}

TEST_F(sweep_stale, only_the_given_target) {
    const std::string mine = hidden("a.json");
    const std::string theirs = hidden("b.json");
    const std::string prefix_only = hidden("a.json.bak");
    old_file(mine);
    old_file(theirs);
    old_file(prefix_only);
    auto [ec, r] = sweep({.target = "a.json"});
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.removed, std::vector<std::string>{mine});
    std::vector<std::string> left = {theirs, prefix_only};
    std::sort(left.begin(), left.end());
    EXPECT_EQ(entries(dir_), left);
}

TEST_F(sweep_stale, another_users_file_stays) {
    if (!tempio::test::can_give_files_away())
        GTEST_SKIP() << "cannot give a file to another user (not root, or no POSIX owners)";
    const std::string theirs = hidden("shared");
    const fs::path p = old_file(theirs);
    ASSERT_EQ(::lchown(p.c_str(), 65534, 65534), 0);
    age(p);  // lchown changes ctime only; kept old anyway
    auto [ec, r] = sweep();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(r.removed.empty());
    EXPECT_EQ(r.not_ours, 1u);
    EXPECT_EQ(entries(dir_), std::vector<std::string>{theirs});
}

TEST_F(sweep_stale, bad_directories) {
    auto [missing, r1] = sweep_in(dir_ / "missing", {});
    EXPECT_EQ(missing, tempio::detail::os_error(ENOENT));
    spit(dir_ / "file", "");
    auto [file, r2] = sweep_in(dir_ / "file", {});
    EXPECT_EQ(file, tempio::detail::os_error(ENOTDIR));
    auto [empty, r3] = sweep_in(fs::path(), {});
    EXPECT_EQ(empty, net::error::invalid_argument);
    EXPECT_TRUE(r1.removed.empty() && r2.removed.empty() && r3.removed.empty());
}

TEST_F(sweep_stale, a_removal_error_is_reported_and_the_sweep_goes_on) {
    const std::string a = hidden("a");
    const std::string b = hidden("b");
    old_file(a);
    old_file(b);
    // Every call of the sweep in turn fails (openat, fdopendir, readdir,
    // fstatat twice and unlinkat per name, closedir).
    namespace sys = tempio::detail::sys;
    sys::arm_fault(0, 0);
    auto counted = tempio::sweep_stale(dir_, {.min_age = std::chrono::nanoseconds(0)});
    const auto calls = sys::call_count();
    sys::disarm_fault();
    ASSERT_EQ(counted.removed.size(), 2u);
    EXPECT_GE(calls, 12u);
    old_file(a);
    old_file(b);
    for (unsigned long k = 1; k <= calls; ++k) {
        SCOPED_TRACE("call " + std::to_string(k) + " fails with EIO");
        sys::arm_fault(k, EIO);
        error_code ec;
        auto r = tempio::sweep_stale(dir_, {.min_age = std::chrono::nanoseconds(0)}, ec);
        sys::disarm_fault();
        // closedir's failure is not reported (a directory read only).
        if (k < calls) {
            EXPECT_EQ(ec, tempio::detail::os_error(EIO));
        }
        // What was removed is listed, and nothing else is gone.
        const auto listed = entries(dir_);
        std::set<std::string> left(listed.begin(), listed.end());
        for (const auto& n : r.removed) EXPECT_EQ(left.count(n), 0u) << n;
        EXPECT_EQ(left.size() + r.removed.size(), 2u);
        for (const auto& n : std::vector<std::string>{a, b})
            if (!left.count(n)) old_file(n);
    }
}

TEST_F(sweep_stale, blocking_and_throwing_forms) {
    const std::string stale = hidden("t");
    old_file(stale);
    auto r = tempio::sweep_stale(dir_);
    EXPECT_EQ(r.removed, std::vector<std::string>{stale});
    EXPECT_THROW(tempio::sweep_stale(dir_ / "missing"), tempio::system_error);
    // The awaitable form throws too.
    EXPECT_THROW(tempio::run([&]() -> net::awaitable<void> {
                     co_await tempio::async_sweep_stale(dir_ / "missing");
                 }),
                 tempio::system_error);
}

TEST_F(sweep_stale, a_relative_directory) {
    const std::string stale = hidden("t");
    old_file(stale);
    const fs::path was = fs::current_path();
    fs::current_path(dir_);
    auto [ec, r] = sweep_in(".", {});
    fs::current_path(was);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(r.removed, std::vector<std::string>{stale});
}

}  // namespace
