// Group publishing (DESIGN section 12, tempio/group_publish.hpp):
// async_commit_all and async_persist_all publish every file, flush each
// file's data once and each target directory once (counted by strace on
// the helpers below), rename only after every file's data is durable, and
// on a failure publish nothing or exactly the first k. Both backends (ctest
// runs this file once per backend).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/strace.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

class group_publish : public tempio::test::test_dir {};

auto tup() {
    return net::as_tuple(net::deferred);
}

constexpr const char* helper_env = "TEMPIO_GROUP_HELPER_DIR";

// Made by the helpers: six atomic files in two directories, or four named
// files into one.
constexpr int atomic_in_a = 4, atomic_in_b = 2, named_count = 4;

net::awaitable<void> commit_six_atomic_files(const fs::path& work) {
    std::vector<tempio::atomic_file> files;
    for (int i = 0; i < atomic_in_a + atomic_in_b; ++i) {
        fs::path target = work / (i < atomic_in_a ? "a" : "b") / ("f" + std::to_string(i));
        auto f = co_await tempio::atomic_file::async_create(target);  // durable by default
        co_await f.async_write("content " + std::to_string(i));
        files.push_back(std::move(f));
    }
    std::size_t n = co_await tempio::async_commit_all(files);
    EXPECT_EQ(n, files.size());
}

net::awaitable<void> persist_four_named_files(const fs::path& work) {
    std::vector<tempio::named_temporary_file> files;
    std::vector<std::pair<tempio::named_temporary_file&, fs::path>> items;
    files.reserve(named_count);
    for (int i = 0; i < named_count; ++i) {
        files.push_back(co_await tempio::named_temporary_file::async_create({.dir = work}));
        co_await files.back().async_write("named " + std::to_string(i));
    }
    for (int i = 0; i < named_count; ++i)
        items.emplace_back(files[i], work / "a" / ("p" + std::to_string(i)));
    tempio::publish_options durable{.durable = true};
    std::size_t n = co_await tempio::async_persist_all(items, durable);
    EXPECT_EQ(n, items.size());
}

// The helpers: nothing unless run by the strace tests below.
TEST(group_publish_helper, commit_all) {
    const char* env = std::getenv(helper_env);
    if (env == nullptr) return;
    tempio::run([&]() -> net::awaitable<void> { co_await commit_six_atomic_files(env); });
}

TEST(group_publish_helper, persist_all) {
    const char* env = std::getenv(helper_env);
    if (env == nullptr) return;
    tempio::run([&]() -> net::awaitable<void> { co_await persist_four_named_files(env); });
}

struct flush_count {
    std::size_t flushes = 0, names = 0;
    bool every_flush_of_data_before_the_first_name = true;
    std::size_t flushes_after_the_last_name = 0;
};

// Counts the flushes (fsync, fdatasync) and the calls that give names
// (rename*, linkat) in the helper's trace.
flush_count traced(const std::string& helper, const fs::path& dir) {
    const fs::path work = dir / "work";
    fs::create_directories(work / "a");
    fs::create_directories(work / "b");
    const fs::path trace = dir / "trace", log = dir / "log";
    int status = tempio::test::run_self_under_strace(
        "group_publish_helper." + helper, helper_env, work,
        "fdatasync,fsync,rename,renameat,renameat2,linkat", trace, log);
    EXPECT_EQ(status, 0) << tempio::test::read_text(log);
    EXPECT_NE(tempio::test::read_text(log).find("[       OK ] group_publish_helper." + helper),
              std::string::npos);
    static const std::regex flush("^f(data)?sync\\([0-9]+\\)\\s+= 0");
    static const std::regex name("^(rename(at2?)?|linkat)\\(.*\\)\\s+= 0");
    flush_count c;
    std::vector<std::size_t> flush_at, name_at;
    const auto calls = tempio::test::read_trace(trace);
    for (std::size_t i = 0; i < calls.size(); ++i) {
        if (std::regex_search(calls[i], flush)) flush_at.push_back(i);
        if (std::regex_search(calls[i], name)) name_at.push_back(i);
    }
    c.flushes = flush_at.size();
    c.names = name_at.size();
    if (!name_at.empty()) {
        for (std::size_t f : flush_at)
            if (f > name_at.front() && f < name_at.back())
                c.every_flush_of_data_before_the_first_name = false;
        for (std::size_t f : flush_at)
            if (f > name_at.back()) ++c.flushes_after_the_last_name;
    }
    std::cout << "[flushes] " << helper << ": " << c.flushes << " flushes, " << c.names
              << " names\n";
    return c;
}

}  // namespace

TEST_F(group_publish, commit_all_flushes_each_file_once_and_each_directory_once) {
    if (!tempio::test::can_trace_system_calls()) GTEST_SKIP() << "no strace on this platform";
    ASSERT_TRUE(tempio::test::have_strace()) << "strace is not installed (scripts/deps.sh)";
    flush_count c = traced("commit_all", dir_);
    // Six files, two directories: 6 + 2 flushes, where one by one is 12.
    EXPECT_EQ(c.flushes, std::size_t(atomic_in_a + atomic_in_b + 2));
    EXPECT_GE(c.names, std::size_t(atomic_in_a + atomic_in_b));  // a link, maybe a rename too
    EXPECT_TRUE(c.every_flush_of_data_before_the_first_name);
    EXPECT_EQ(c.flushes_after_the_last_name, 2u);
    for (int i = 0; i < atomic_in_a + atomic_in_b; ++i)
        EXPECT_EQ(slurp(dir_ / "work" / (i < atomic_in_a ? "a" : "b") / ("f" + std::to_string(i))),
                  "content " + std::to_string(i));
}

TEST_F(group_publish, persist_all_flushes_each_file_once_and_the_directory_once) {
    if (!tempio::test::can_trace_system_calls()) GTEST_SKIP() << "no strace on this platform";
    ASSERT_TRUE(tempio::test::have_strace()) << "strace is not installed (scripts/deps.sh)";
    flush_count c = traced("persist_all", dir_);
    EXPECT_EQ(c.flushes, std::size_t(named_count + 1));  // one by one: 8
    EXPECT_EQ(c.names, std::size_t(named_count));
    EXPECT_TRUE(c.every_flush_of_data_before_the_first_name);
    EXPECT_EQ(c.flushes_after_the_last_name, 1u);
    for (int i = 0; i < named_count; ++i)
        EXPECT_EQ(slurp(dir_ / "work" / "a" / ("p" + std::to_string(i))),
                  "named " + std::to_string(i));
    EXPECT_EQ(entries(dir_ / "work").size(), 2u);  // a, b: no temporary left
}

TEST_F(group_publish, commit_all_publishes_and_closes_every_file) {
    tempio::run([&]() -> net::awaitable<void> {
        spit(dir_ / "t1", "old");
        std::vector<tempio::atomic_file> files;
        for (std::string name : {"t0", "t1", "t2"}) {
            files.push_back(
                co_await tempio::atomic_file::async_create(dir_ / name, {.durable = false}));
            co_await files.back().async_write("new " + name);
        }
        auto [ec, n] = co_await tempio::async_commit_all(files, tup());
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(n, 3u);
        for (auto& f : files) EXPECT_FALSE(f.is_open());
        for (std::string name : {"t0", "t1", "t2"}) EXPECT_EQ(slurp(dir_ / name), "new " + name);
        EXPECT_EQ(entries(dir_), (std::vector<std::string>{"t0", "t1", "t2"}));
    });
}

TEST_F(group_publish, a_failed_name_leaves_the_first_k_published_and_the_rest_untouched) {
    tempio::run([&]() -> net::awaitable<void> {
        spit(dir_ / "taken", "old");
        std::vector<tempio::atomic_file> files;
        files.push_back(co_await tempio::atomic_file::async_create(dir_ / "first"));
        files.push_back(
            co_await tempio::atomic_file::async_create(dir_ / "taken", {.replace = false}));
        files.push_back(co_await tempio::atomic_file::async_create(dir_ / "third"));
        for (auto& f : files) co_await f.async_write("new");
        auto [ec, n] = co_await tempio::async_commit_all(files, tup());
        EXPECT_EQ(ec, std::errc::file_exists) << ec.message();
        EXPECT_EQ(n, 1u);
        EXPECT_EQ(slurp(dir_ / "first"), "new");
        EXPECT_EQ(slurp(dir_ / "taken"), "old");
        EXPECT_FALSE(fs::exists(dir_ / "third"));
        EXPECT_FALSE(files[0].is_open());
        EXPECT_TRUE(files[1].is_open());
        EXPECT_TRUE(files[2].is_open());
        // Still theirs to commit or abandon.
        co_await files[2].async_commit();
        EXPECT_EQ(slurp(dir_ / "third"), "new");
        co_await files[1].async_abandon();
        EXPECT_EQ(entries(dir_), (std::vector<std::string>{"first", "taken", "third"}));
    });
}

TEST_F(group_publish, a_failure_before_any_name_changes_publishes_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        std::vector<tempio::atomic_file> files;
        files.push_back(co_await tempio::atomic_file::async_create(dir_ / "one"));
        files.push_back(co_await tempio::atomic_file::async_create(dir_ / "two"));
        co_await files[1].async_abandon();  // closed: bad_file_descriptor in phase one
        auto [ec, n] = co_await tempio::async_commit_all(files, tup());
        EXPECT_EQ(ec, net::error::bad_descriptor);
        EXPECT_EQ(n, 0u);
        EXPECT_FALSE(fs::exists(dir_ / "one"));  // only a hidden name, where no O_TMPFILE
        EXPECT_TRUE(files[0].is_open());
        co_await files[0].async_abandon();
        EXPECT_TRUE(entries(dir_).empty());
    });
}

TEST_F(group_publish, a_file_twice_is_refused) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        std::vector<std::pair<tempio::named_temporary_file&, std::string>> items;
        items.emplace_back(f, (dir_ / "x").string());
        items.emplace_back(f, (dir_ / "y").string());
        auto [ec, n] = co_await tempio::async_persist_all(items, tup());
        EXPECT_EQ(ec, net::error::invalid_argument);
        EXPECT_EQ(n, 0u);
        EXPECT_EQ(entries(dir_).size(), 1u);  // the temporary only
    });
}

TEST_F(group_publish, persist_all_takes_every_kind_of_file) {
    tempio::run([&]() -> net::awaitable<void> {
        auto named = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto spooled = co_await tempio::spooled_temporary_file::async_create({.max_size = 1024});
        co_await named.async_write("named");
        co_await spooled.async_write("spooled, in memory");
        std::vector<std::pair<tempio::named_temporary_file&, fs::path>> a{{named, dir_ / "n"}};
        std::vector<std::pair<tempio::spooled_temporary_file&, fs::path>> b{{spooled, dir_ / "s"}};
        tempio::publish_options durable{.durable = true};
        auto [ec1, n1] = co_await tempio::async_persist_all(a, durable, tup());
        auto [ec2, n2] = co_await tempio::async_persist_all(b, durable, tup());
        EXPECT_FALSE(ec1);
        EXPECT_FALSE(ec2);
        EXPECT_EQ(n1 + n2, 2u);
        EXPECT_EQ(slurp(dir_ / "n"), "named");
        EXPECT_EQ(slurp(dir_ / "s"), "spooled, in memory");
        co_await spooled.async_write(" and more");  // still usable, at its position
        co_await spooled.async_close();
        EXPECT_EQ(slurp(dir_ / "s"), "spooled, in memory and more");
    });
}

TEST_F(group_publish, persist_all_over_a_directory_stops_there) {
    tempio::run([&]() -> net::awaitable<void> {
        fs::create_directory(dir_ / "dir");
        spit(dir_ / "dir" / "inside", "x");  // not empty: a rename over it fails
        std::vector<tempio::named_temporary_file> files;
        for (int i = 0; i < 3; ++i)
            files.push_back(co_await tempio::named_temporary_file::async_create({.dir = dir_}));
        std::vector<std::pair<tempio::named_temporary_file&, fs::path>> items{
            {files[0], dir_ / "ok"}, {files[1], dir_ / "dir"}, {files[2], dir_ / "never"}};
        auto [ec, n] = co_await tempio::async_persist_all(items, tup());
        EXPECT_TRUE(ec);
        EXPECT_EQ(n, 1u);
        EXPECT_TRUE(fs::exists(dir_ / "ok"));
        EXPECT_FALSE(fs::exists(dir_ / "never"));
        EXPECT_NE(files[1].path(), dir_ / "dir");
        EXPECT_TRUE(fs::exists(files[1].path()));
        EXPECT_TRUE(fs::exists(files[2].path()));
    });
}

TEST_F(group_publish, an_empty_group_completes_with_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        std::vector<tempio::atomic_file> none;
        auto [ec, n] = co_await tempio::async_commit_all(none, tup());
        EXPECT_FALSE(ec);
        EXPECT_EQ(n, 0u);
    });
}

// Every system call of a group commit failing in turn (the seam,
// core/sys.hpp): whatever fails, the first `n` targets are new and the rest
// old, and once the rest are abandoned nothing else is left.
TEST_F(group_publish, any_failing_call_leaves_the_first_n_published_and_the_rest_old) {
    namespace sys = tempio::detail::sys;
    const std::vector<std::string> names{"g0", "g1", "g2"};
    unsigned long commit_calls = 0;  // the calls the commit made, read before disarming
    auto round = [&](unsigned long fail_at, int err, std::size_t& published) -> error_code {
        error_code result;
        for (const auto& name : names) spit(dir_ / name, "old");
        tempio::run([&]() -> net::awaitable<void> {
            std::vector<tempio::atomic_file> files;
            for (const auto& name : names) {
                files.push_back(co_await tempio::atomic_file::async_create(dir_ / name));
                co_await files.back().async_write("new " + name);
            }
            sys::arm_fault(fail_at, err);
            auto [ec, n] = co_await tempio::async_commit_all(files, tup());
            // Only the commit's calls: a close that a worker makes after it
            // (how many of those are counted depends on timing) never fails.
            commit_calls = sys::call_count();
            sys::disarm_fault();
            result = ec;
            published = n;
            for (auto& f : files)
                if (f.is_open()) co_await f.async_abandon();
        });
        return result;
    };
    std::size_t n = 0;
    ASSERT_FALSE(round(0, 0, n));  // warming up: a thread's first name seeds its generator
    // Counting: nothing fails. The fewest of a few rounds: a worker may still
    // be closing the previous round's files while a commit is counted.
    unsigned long calls = ~0UL;
    for (int i = 0; i < 3; ++i) {
        ASSERT_FALSE(round(0, 0, n));
        ASSERT_EQ(n, names.size());
        calls = std::min(calls, commit_calls);
    }
    ASSERT_GT(calls, names.size() * 3);  // a flush and a name for each, at least
    std::cout << "[sweep] a group commit of " << names.size() << " files: " << calls << " calls\n";
    for (unsigned long k = 1; k <= calls; ++k) {
        for (int err : {EIO, ENOSPC}) {
            SCOPED_TRACE("call " + std::to_string(k) + " fails with " + std::strerror(err));
            const unsigned long injected = sys::faults().injected.load();
            error_code ec = round(k, err, n);
            EXPECT_EQ(sys::faults().injected.load(), injected + 1) << "nothing failed";
            EXPECT_LE(n, names.size());
            if (n < names.size()) {
                EXPECT_TRUE(ec) << "fewer published without an error";
            }
            for (std::size_t i = 0; i < names.size(); ++i)
                EXPECT_EQ(slurp(dir_ / names[i]), i < n ? "new " + names[i] : "old");
            EXPECT_EQ(entries(dir_), names);  // no hidden name left
        }
    }
}
