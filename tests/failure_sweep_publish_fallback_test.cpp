// Failure sweep over atomic_file where the file system has no O_TMPFILE:
// it then writes into a hidden ".<target>.XXXXXXXX" file, renamed over the
// target by the commit. The refusal is forced once per process through the
// system-call seam (the first O_TMPFILE open fails with EOPNOTSUPP, which
// the core remembers for that file system), so this file is its own test
// program: every test in it runs with the fallback.
//
// Expected as in failure_sweep_publish_test.cpp: a failure before the rename
// changes nothing (the target is as it was, the object still owns its hidden
// file and commits on a second try); after it, the error is reported and the
// publish stands. Never a leaked descriptor or a stray name.
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/os_error.hpp"
#include "failure_sweep.hpp"
#include "support/files.hpp"
#include "support/warm_worker.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
namespace sys = tempio::detail::sys;
using tempio::error_code;
using tempio::test::entries;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

const auto* const report = ::testing::AddGlobalTestEnvironment(
    new tempio::test::sweep_report("publishing without O_TMPFILE"));

const bool one_worker = (tempio::set_worker_threads(1), true);

constexpr auto tuple = net::as_tuple(net::deferred);

bool hidden_name_of_target(const std::string& name) {
    static const std::regex pattern(R"(\.target\.[a-z0-9_]{8})");
    return std::regex_match(name, pattern);
}
std::vector<std::string> cat(std::initializer_list<std::vector<std::string>> parts) {
    std::vector<std::string> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// The creation of an atomic_file once the file system is known to refuse
// O_TMPFILE: the target's directory opened (kept until the commit or
// abandon), statx of the directory (known refusal: no O_TMPFILE attempt),
// the anonymous-file fallback (create, unlink: its descriptor cannot be
// linked, so it is closed), then the hidden file and its identity.
const std::vector<std::string> create_calls = {
    "open_parent", "statx", "open_unique", "unlink", "close_discard", "open_unique", "fstat"};

class fallback_sweep : public tempio::test::sweep_fixture {
  protected:
    void SetUp() override {
        sweep_fixture::SetUp();
        // Forced here by refusing O_TMPFILE once; the sequences are Linux's
        // (statx, then the fallback).
        if (!tempio::has_anonymous_files())
            GTEST_SKIP() << "no anonymous files on this platform: the fallback is the only path";
        ASSERT_TRUE(one_worker);
        tempio::test::warm_worker_name_generator(dir_);
        // The file system refuses O_TMPFILE (once per process: remembered).
        static bool forced = false;
        if (!forced) {
            tempio::run([&]() -> net::awaitable<void> {
                sys::arm_fault(2, EOPNOTSUPP);  // the O_TMPFILE open (after open_parent)
                auto [ec, f] = co_await tempio::atomic_file::async_create(dir_ / "probe", tuple);
                sys::disarm_fault();
                EXPECT_FALSE(ec) << ec.message();
                auto names = entries(dir_);
                forced = names.size() == 1 && names[0].rfind(".probe.", 0) == 0;
                co_await f.async_abandon();
            });
            ASSERT_TRUE(forced) << "the hidden-file fallback could not be forced";
        }
        ASSERT_TRUE(entries(dir_).empty());
    }

    bool published(std::size_t publish_call) const {
        return !must_fail() || current().k > publish_call;
    }
    static std::size_t position(const std::vector<std::string>& calls, const std::string& name) {
        auto it = std::find(calls.begin(), calls.end(), name);
        EXPECT_NE(it, calls.end()) << name;
        return static_cast<std::size_t>(it - calls.begin()) + 1;
    }
    // Only the target and at most one hidden name of the documented pattern.
    void expect_hidden_only(std::size_t hidden_expected) {
        auto names = entries(dir_);
        std::size_t hidden = 0;
        for (const auto& n : names) {
            if (n == "target") continue;
            EXPECT_TRUE(hidden_name_of_target(n)) << "stray name " << n;
            ++hidden;
        }
        EXPECT_EQ(hidden, hidden_expected) << "hidden names";
    }
};

}  // namespace

TEST_F(fallback_sweep, atomic_file_create) {
    sweep("fallback: atomic_file async_create", create_calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, f] = co_await tempio::atomic_file::async_create(target, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.is_open(), !must_fail());
            // statx without an answer (ENOSYS): O_TMPFILE is tried, and works.
            bool tmpfile = injecting() && current().call == "statx" && err() == ENOSYS;
            expect_hidden_only(f.is_open() && !tmpfile ? 1 : 0);
            if (f.is_open()) {
                co_await f.async_write("new");
                co_await f.async_commit();
                EXPECT_EQ(slurp(target), "new");
            }
            EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
        });
        fs::remove(target);
    });
}

TEST_F(fallback_sweep, atomic_file_commit) {
    const std::vector<std::string> calls = {"write",  "fstatat",  "fchmod", "fdatasync",
                                            "rename", "open_dir", "fsync",  "close_dir",
                                            "close",  "close_dir"};
    const auto at = position(calls, "rename");
    sweep("fallback: atomic_file async_commit", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        fs::permissions(target, fs::perms(0604));
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target);
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_commit(tuple);
            disarm();
            expect_outcome(ec);
            if (published(at)) {
                expect_hidden_only(0);
                EXPECT_FALSE(f.is_open());
                EXPECT_EQ(slurp(target), "new");
                EXPECT_EQ(mode_of(target), 0604u);
                co_await f.async_abandon();  // touches nothing published
                EXPECT_EQ(slurp(target), "new");
            } else if (must_fail() &&
                       (current().call == "write" || current().call == "fdatasync")) {
                // The error latch: after a failed write or sync, no commit.
                expect_hidden_only(1);
                EXPECT_TRUE(f.is_open());
                auto [again] = co_await f.async_commit(tuple);
                EXPECT_EQ(again, tempio::detail::os_error(err()));
                EXPECT_EQ(slurp(target), "old");
                co_await f.async_abandon();
            } else {
                expect_hidden_only(1);  // its own, still
                EXPECT_TRUE(f.is_open());
                EXPECT_EQ(slurp(target), "old");
                co_await f.async_write("+");
                co_await f.async_commit();
                EXPECT_EQ(slurp(target), "new+");
                EXPECT_EQ(mode_of(target), 0604u);
            }
            EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
        });
        fs::remove(target);
    });
}

TEST_F(fallback_sweep, atomic_file_commit_noclobber) {
    const std::vector<std::string> calls = {
        "write",    "fstatat", "fchmod",    "fdatasync", "rename_noreplace",
        "open_dir", "fsync",   "close_dir", "close",     "close_dir"};
    const auto at = position(calls, "rename_noreplace");
    sweep("fallback: atomic_file async_commit (replace = false)", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target, {.replace = false});
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_commit(tuple);
            disarm();
            expect_outcome(ec);
            if (published(at)) {
                expect_hidden_only(0);
                EXPECT_EQ(slurp(target), "new");
            } else {
                expect_hidden_only(1);
                EXPECT_FALSE(fs::exists(target));
                co_await f.async_abandon();
                EXPECT_TRUE(entries(dir_).empty()) << "abandoned: its hidden file is gone";
            }
        });
        std::error_code ignored;
        fs::remove(target, ignored);
    });
}

// It found a leak: file_core::discard() ignored remove_name()'s error and
// marked the file deleted, so a failed unlink of the hidden name was neither
// reported nor retried. Now it is reported and the destructor tries again.
TEST_F(fallback_sweep, atomic_file_abandon) {
    // Close, then remove the hidden name if it is still ours (fstatat),
    // then close the target's directory.
    const std::vector<std::string> calls = {"close_discard", "fstatat", "unlink", "close_dir"};
    sweep("fallback: atomic_file async_abandon", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target);
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_abandon(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_FALSE(f.is_open());
        });  // destroyed: a name the abandon could not remove goes now
        EXPECT_EQ(slurp(target), "old");
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no hidden name left";
        fs::remove(target);
    });
}

TEST_F(fallback_sweep, async_write_file_atomically) {
    const auto calls = cat({create_calls,
                            {"write", "fstatat", "fchmod", "fdatasync", "rename", "open_dir",
                             "fsync", "close_dir", "close", "close_dir"}});
    const auto at = create_calls.size() + 5;
    sweep("fallback: async_write_file_atomically", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec] = co_await tempio::async_write_file_atomically(target, "new", tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(slurp(target), published(at) ? "new" : "old");
            EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no stray name";
        });
        fs::remove(target);
    });
}
