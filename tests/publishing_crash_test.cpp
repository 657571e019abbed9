// Crash safety of atomic_file (DESIGN section 8): a forked child writes
// version after version of a target through atomic_file (create, ~64 KiB of
// one byte in several writes, commit) and is killed with SIGKILL at a random
// instant. After every kill the target holds a complete version (its old
// content or a complete new one, never a mix, never absent), and what else
// is left in the directory is at most a hidden name of the documented
// pattern ".<target name>.XXXXXXXX":
// - with O_TMPFILE, the data never has a name; only the two-call window of a
//   replace (linkat to a hidden name, then rename) can leave one, and then
//   it holds a complete version;
// - with the fallback (no O_TMPFILE: forced in the child by making its first
//   O_TMPFILE open fail with EOPNOTSUPP through the system-call seam, which
//   the core remembers for that file system), the hidden file it writes
//   into, complete or not.
//
// The child reports through its exit status only (it never returns into
// gtest); the parent checks. 200 rounds per mode, a few seconds in all.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
namespace sys = tempio::detail::sys;
using tempio::test::entries;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr int rounds = 200;
constexpr std::size_t chunk = 4096;
constexpr std::size_t chunks = 16;  // 64 KiB per version
constexpr std::size_t version_size = chunk * chunks;
constexpr char initial_byte = '#';

// Exit statuses of a child that was not killed (it never is otherwise).
enum child_status : int {
    child_failed = 3,         // an operation failed (the child stops)
    fallback_not_forced = 4,  // its first file still had no name
    child_threw = 5,          // an exception
};

char version_byte(unsigned round, unsigned v) {
    return static_cast<char>('a' + (round * 7 + v) % 26);
}

// A complete version: its full size, one byte throughout.
bool complete(const std::string& s) {
    return s.size() == version_size && s.find_first_not_of(s[0]) == std::string::npos;
}

std::string describe(const std::string& s) {
    if (s.empty()) return "empty or absent";
    std::size_t mixed = s.find_first_not_of(s[0]);
    return std::to_string(s.size()) + " bytes starting with '" + s[0] + "'" +
           (mixed == std::string::npos ? std::string()
                                       : ", another byte at offset " + std::to_string(mixed));
}

// Tells the parent, through `report` (a pipe), "started" ('s') and every
// commit ('c'); best effort.
void tell(int report, char what) {
    ssize_t ignored = ::write(report, &what, 1);
    (void)ignored;
}

// The child: versions until killed. Never returns into gtest.
[[noreturn]] void child(const fs::path& target, unsigned round, bool force_fallback, int report) {
    int status = child_threw;
    try {
        status = tempio::run([&]() -> net::awaitable<int> {
            tell(report, 's');
            const fs::path dir = target.parent_path();
            const std::string prefix = "." + target.filename().string() + ".";
            for (unsigned v = 0;; ++v) {
                // Durable now and then: the fdatasync and the directory
                // fsync move the instants a kill lands on.
                tempio::atomic_file::options o{.durable = v % 4 == 3};
                if (force_fallback && v == 0) sys::arm_fault(1, EOPNOTSUPP);  // the O_TMPFILE open
                auto [ec, f] = co_await tempio::atomic_file::async_create(
                    target, o, net::as_tuple(net::deferred));
                if (force_fallback && v == 0) {
                    sys::disarm_fault();
                    bool hidden = false;
                    for (const auto& name : entries(dir))
                        hidden = hidden || name.rfind(prefix, 0) == 0;
                    if (!hidden) co_return fallback_not_forced;
                }
                if (ec) co_return child_failed;
                const std::string data(chunk, version_byte(round, v));
                for (std::size_t i = 0; i < chunks; ++i) {
                    auto [wec, n] = co_await f.async_write(data, net::as_tuple(net::deferred));
                    if (wec || n != data.size()) co_return child_failed;
                }
                auto [cec] = co_await f.async_commit(net::as_tuple(net::deferred));
                if (cec) co_return child_failed;
                tell(report, 'c');
            }
        });
    } catch (...) {
        status = child_threw;
    }
    ::_exit(status);
}

class publishing_crash : public tempio::test::test_dir {
  protected:
    // Runs the rounds; returns how many found a newer version than before.
    void run_rounds(bool force_fallback) {
        const fs::path target = dir_ / "target";
        { std::ofstream(target, std::ios::binary) << std::string(version_size, initial_byte); }
        fs::permissions(target, fs::perms(0644));
        const std::regex hidden(R"(\.target\.[a-z0-9_]{8})");

        std::random_device seed_source;
        const unsigned seed = seed_source();
        std::mt19937 rng(seed);
        // After the child said it started: its start-up (a fork, a pool,
        // perhaps a ring) would otherwise eat the delay on a loaded machine.
        std::uniform_int_distribution<int> delay_us(0, 6000);
        SCOPED_TRACE("seed " + std::to_string(seed));

        std::string before = slurp(target);
        int changed = 0, complete_leftovers = 0, partial_leftovers = 0;
        long commits = 0;
        for (int round = 0; round < rounds; ++round) {
            std::cout.flush();
            std::cerr.flush();
            int report[2];
            ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0) << std::strerror(errno);
            pid_t pid = ::fork();
            ASSERT_GE(pid, 0) << std::strerror(errno);
            if (pid == 0) {
                ::close(report[0]);
                child(target, static_cast<unsigned>(round), force_fallback, report[1]);
            }
            ::close(report[1]);
            pollfd started{report[0], POLLIN, 0};
            ::poll(&started, 1, 10000);  // the child's 's' (or its end)
            std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
            ::kill(pid, SIGKILL);
            int status = 0;
            ASSERT_EQ(::waitpid(pid, &status, 0), pid);
            char buf[4096];
            for (ssize_t n; (n = ::read(report[0], buf, sizeof buf)) > 0;)
                commits += std::count(buf, buf + n, 'c');
            ::close(report[0]);
            ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
                << "round " << round << ": the child ended by itself, status "
                << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
                << " (3: an operation failed, 4: the fallback was not forced, 5: an exception)";

            std::string now = slurp(target);
            ASSERT_TRUE(complete(now)) << "round " << round << ": the target holds "
                                       << describe(now) << ", not a complete version";
            if (now != before) ++changed;
            before = std::move(now);
            struct stat st {};
            ASSERT_EQ(::stat(target.c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 07777, 0644u) << "round " << round << ": mode not kept";

            for (const auto& name : entries(dir_)) {
                if (name == "target") continue;
                ASSERT_TRUE(std::regex_match(name, hidden))
                    << "round " << round << ": a stray name that is not hidden: " << name;
                std::string left = slurp(dir_ / name);
                if (complete(left))
                    ++complete_leftovers;
                else
                    ++partial_leftovers;
                if (!force_fallback) {
                    // O_TMPFILE: only the link-then-rename window leaves a
                    // name, and only once the data is complete.
                    EXPECT_TRUE(complete(left))
                        << "round " << round << ": hidden " << name << " holds " << describe(left);
                }
                fs::remove(dir_ / name);  // what a sweep at start-up does
            }
        }
        std::cout << "[crash] " << (force_fallback ? "fallback" : "O_TMPFILE") << ": " << rounds
                  << " kills, " << commits << " commits, the target changed in " << changed
                  << " rounds; hidden names left: " << complete_leftovers << " complete, "
                  << partial_leftovers << " partial" << std::endl;
        // The child must really be committing when it dies, or this proves
        // nothing.
        EXPECT_GE(changed, rounds / 20) << "the child hardly ever committed";
        fs::remove(target);
    }
};

}  // namespace

TEST_F(publishing_crash, killed_at_random_instants_with_o_tmpfile) {
    run_rounds(false);
}

TEST_F(publishing_crash, killed_at_random_instants_with_the_hidden_file_fallback) {
    run_rounds(true);
}
