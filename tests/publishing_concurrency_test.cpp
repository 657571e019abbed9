// Publishing under concurrency (DESIGN section 8), on both backends; runs
// under ThreadSanitizer in CI.
// - Replace is atomic: a reader holding the old target keeps the old
//   content, and a reader opening the name in a loop during 1,000 replaces
//   (named files persisted, atomic_file commits, linkable anonymous files
//   persisted) always finds a complete version: never a partial or mixed
//   file, never no file at all (rename replaces the name in one step).
// - No-clobber never replaces: 16 publishers racing to one name (one
//   io_context run by several threads), exactly one wins, the others get
//   file_exists and still own their temporaries, deleted when destroyed.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

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

class publishing_concurrency : public tempio::test::test_dir {};

constexpr std::size_t version_size = 4096;
constexpr auto tuple = net::as_tuple(net::deferred);

// Everything `fd` holds, from offset 0.
std::string read_all(int fd) {
    std::string out;
    char buf[8192];
    for (off_t off = 0;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        off += n;
    }
    return out;
}

bool complete(const std::string& s) {
    return s.size() == version_size && s.find_first_not_of(s[0]) == std::string::npos;
}

// The three ways to replace a file's content under `target` (two where
// the platform has no anonymous files: tempio/platform.hpp).
net::awaitable<void> replace_with(const fs::path& dir, const fs::path& target, int how,
                                  const std::string& content) {
    switch (how % (tempio::has_anonymous_files() ? 3 : 2)) {
        case 0: {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
            co_await f.async_write(content);
            co_await f.async_persist(target);
            break;
        }
        case 1: {
            auto f = co_await tempio::atomic_file::async_create(target, {.durable = false});
            co_await f.async_write(content);
            co_await f.async_commit();
            break;
        }
        default: {
            auto f = co_await tempio::temporary_file::async_create({.dir = dir, .linkable = true});
            co_await f.async_write(content);
            co_await f.async_persist(target);
            break;
        }
    }
}

}  // namespace

TEST_F(publishing_concurrency, a_reader_holding_the_old_target_keeps_the_old_content) {
    if (!tempio::test::can_replace_open_files())
        GTEST_SKIP() << "a file another handle holds open cannot be replaced here";
    const auto target = dir_ / "target";
    std::ofstream(target) << std::string(version_size, '0');
    std::vector<int> held;
    tempio::run([&]() -> net::awaitable<void> {
        for (int how = 0; how < 3; ++how) {
            int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
            EXPECT_GE(fd, 0);
            held.push_back(fd);
            co_await replace_with(dir_, target, how, std::string(version_size, char('1' + how)));
            EXPECT_EQ(slurp(target), std::string(version_size, char('1' + how)));
        }
    });
    // Every reader still has the version it opened.
    for (std::size_t i = 0; i < held.size(); ++i) {
        EXPECT_EQ(read_all(held[i]), std::string(version_size, char('0' + i))) << "reader " << i;
        ::close(held[i]);
    }
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
}

TEST_F(publishing_concurrency,
       a_reader_opening_the_name_during_1000_replaces_sees_complete_versions) {
    if (!tempio::test::can_replace_open_files())  // the reader holds it open at times
        GTEST_SKIP() << "a file another handle holds open cannot be replaced here";
    constexpr int replaces = 1000;
    const auto target = dir_ / "target";
    std::ofstream(target) << std::string(version_size, '#');

    std::atomic<bool> stop{false};
    std::atomic<long> reads{0}, failures{0};
    std::mutex m;
    std::string first_failure;
    std::set<char> seen;  // reader thread only, until joined
    std::thread reader([&] {
        auto fail = [&](std::string what) {
            if (failures++ == 0) {
                std::lock_guard lock(m);
                first_failure = std::move(what);
            }
        };
        while (!stop.load()) {
            int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                fail(std::string("open: ") + std::strerror(errno));
                continue;
            }
            std::string s = read_all(fd);
            ::close(fd);
            ++reads;
            if (!complete(s)) {
                fail("read " + std::to_string(s.size()) + " bytes, not one complete version");
                continue;
            }
            seen.insert(s[0]);
        }
    });

    tempio::run([&]() -> net::awaitable<void> {
        for (int i = 0; i < replaces; ++i) {
            // Each version one byte, unlike the one before it.
            co_await replace_with(dir_, target, i, std::string(version_size, char('a' + i % 26)));
        }
    });
    stop = true;
    reader.join();

    std::cout << "[replace] " << replaces << " replaces, " << reads.load() << " reads, "
              << seen.size() << " distinct versions seen" << std::endl;
    EXPECT_EQ(failures.load(), 0) << "first: " << first_failure;
    EXPECT_GT(reads.load(), 0);
    EXPECT_GT(seen.size(), 1u) << "the reader never overlapped a replace";
    EXPECT_EQ(slurp(target), std::string(version_size, char('a' + (replaces - 1) % 26)));
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no stray name";
}

TEST_F(publishing_concurrency, sixteen_noclobber_publishers_racing_to_one_name_one_wins) {
    constexpr int publishers = 16;
    constexpr int races = 8;
    constexpr int threads = 4;
    for (int race = 0; race < races; ++race) {
        SCOPED_TRACE("race " + std::to_string(race));
        const auto target = dir_ / ("target" + std::to_string(race));
        net::io_context ctx(threads);
        std::atomic<int> created{0}, winners{0}, exists{0}, others{0}, finished{0};
        std::atomic<int> winner{-1};
        std::mutex m;
        std::vector<std::string> problems;
        auto problem = [&](std::string what) {
            std::lock_guard lock(m);
            problems.push_back(std::move(what));
        };
        for (int p = 0; p < publishers; ++p) {
            net::co_spawn(
                ctx,
                [&, p]() -> net::awaitable<void> {
                    const std::string id = "publisher " + std::to_string(p);
                    // Everyone holds its temporary before anyone publishes.
                    auto wait_for_all = [&]() -> net::awaitable<void> {
                        ++created;
                        net::steady_timer timer(co_await net::this_coro::executor);
                        while (created.load() < publishers) {
                            timer.expires_after(std::chrono::microseconds(100));
                            co_await timer.async_wait(net::deferred);
                        }
                    };
                    auto record = [&](const error_code& ec) {
                        if (!ec) {
                            ++winners;
                            winner = p;
                        } else if (ec == std::errc::file_exists) {
                            ++exists;
                        } else {
                            ++others;
                            problem(id + ": " + ec.message());
                        }
                    };
                    // Named, and linkable anonymous files where the
                    // platform has them (elsewhere named ones only: their
                    // no-clobber is link + unlink, racing the same way).
                    if (p % 2 == 0 || !tempio::has_anonymous_files()) {  // named
                        auto f = co_await tempio::named_temporary_file::async_create(
                            {.mode = "w+b", .dir = dir_});
                        co_await f.async_write(id);
                        const fs::path temp = f.path();
                        co_await wait_for_all();
                        auto [ec] = co_await f.async_persist_noclobber(target, tuple);
                        record(ec);
                        if (ec) {  // still its own
                            if (f.path() != temp || !fs::exists(temp))
                                problem(id + ": lost its temporary");
                            co_await f.async_seek(0);
                            if (co_await f.async_read() != id) problem(id + ": content");
                        } else if (f.path() != target) {
                            problem(id + ": won but path() is not the target");
                        }
                    } else {  // linkable anonymous
                        auto f = co_await tempio::temporary_file::async_create(
                            {.dir = dir_, .linkable = true});
                        co_await f.async_write(id);
                        co_await wait_for_all();
                        auto [ec] = co_await f.async_persist_noclobber(target, tuple);
                        record(ec);
                        if (!f.is_open()) problem(id + ": closed");
                        co_await f.async_seek(0);
                        if (co_await f.async_read() != id) problem(id + ": content");
                    }
                },  // destroyed here: a loser's temporary goes
                [&](std::exception_ptr e) {
                    if (e) problem("an exception");
                    ++finished;
                });
        }
        std::vector<std::thread> runners;
        for (int t = 0; t < threads; ++t) runners.emplace_back([&] { ctx.run(); });
        for (auto& t : runners) t.join();

        EXPECT_EQ(finished.load(), publishers);
        EXPECT_EQ(winners.load(), 1) << "exactly one publisher wins";
        EXPECT_EQ(exists.load(), publishers - 1) << "the others get file_exists";
        EXPECT_EQ(others.load(), 0);
        for (const auto& p : problems) ADD_FAILURE() << p;
        if (winner.load() >= 0) {
            EXPECT_EQ(slurp(target), "publisher " + std::to_string(winner.load()))
                << "the target holds the winner's content";
        }
        // The losers' temporaries were deleted when they were destroyed.
        EXPECT_EQ(entries(dir_), std::vector<std::string>{target.filename().string()});
        fs::remove(target);
    }
}

// Group commits racing on one io_context run by four threads, to the same
// four targets, while a thread reads them: every read finds a complete
// version, and at the end every target holds one and nothing else remains.
TEST_F(publishing_concurrency, group_commits_racing_to_the_same_targets_stay_whole) {
    if (!tempio::test::can_replace_open_files())  // the reader holds the targets open at times
        GTEST_SKIP() << "a file another handle holds open cannot be replaced here";
    constexpr int writers = 8, rounds = 10, group = 4, threads = 4;
    auto content = [](int w, int r, int t) {
        std::string head =
            "w" + std::to_string(w) + " r" + std::to_string(r) + " t" + std::to_string(t) + " ";
        return head + std::string(8192 - head.size(), 'x');
    };
    auto whole = [](const std::string& s) {
        return s.size() == 8192 &&
               s.find_first_not_of('x', s.find_last_of(' ') + 1) == std::string::npos;
    };
    auto target = [&](int t) { return dir_ / ("target" + std::to_string(t)); };
    for (int t = 0; t < group; ++t) {
        std::ofstream out(target(t));
        out << content(99, 99, t);
    }
    std::atomic<bool> done{false};
    std::atomic<int> partial{0}, missing{0}, failures{0};
    std::thread reader([&] {
        while (!done.load()) {
            for (int t = 0; t < group; ++t) {
                // As a POSIX reader does (on Windows: sharing deletion).
                int fd = ::open(target(t).c_str(), O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                    ++missing;
                    continue;
                }
                std::string s = read_all(fd);
                ::close(fd);
                if (!whole(s)) ++partial;
            }
        }
    });
    net::io_context ctx(threads);
    for (int w = 0; w < writers; ++w) {
        net::co_spawn(
            ctx,
            [&, w]() -> net::awaitable<void> {
                for (int r = 0; r < rounds; ++r) {
                    std::vector<tempio::atomic_file> files;
                    for (int t = 0; t < group; ++t) {
                        files.push_back(co_await tempio::atomic_file::async_create(
                            target(t), {.durable = false}));
                        co_await files.back().async_write(content(w, r, t));
                    }
                    auto [ec, n] = co_await tempio::async_commit_all(files, tuple);
                    if (ec || n != files.size()) ++failures;
                }
            },
            net::detached);
    }
    std::vector<std::thread> runners;
    for (int i = 0; i < threads; ++i) runners.emplace_back([&] { ctx.run(); });
    for (auto& t : runners) t.join();
    done = true;
    reader.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(partial.load(), 0);
    EXPECT_EQ(missing.load(), 0);
    for (int t = 0; t < group; ++t) {
        std::ifstream in(target(t));
        std::stringstream s;
        s << in.rdbuf();
        EXPECT_TRUE(whole(s.str()));
    }
    EXPECT_EQ(entries(dir_).size(), std::size_t(group));  // no hidden name left
}
