// Crash safety of atomic_file (DESIGN section 8): a forked child writes
// version after version of a target through atomic_file (create, ~64 KiB of
// one byte in several writes, commit) and is killed with SIGKILL at a random
// instant. After every kill the target holds its old content or the complete
// new one (never a mix, never absent), and what else is left in the
// directory is at most a hidden name of the documented pattern
// ".<target name>.XXXXXXXX":
// - with O_TMPFILE, the data never has a name; only the two-call window of a
//   replace (linkat to a hidden name, then rename) can leave one, and then
//   it holds the complete new version;
// - with the fallback (no O_TMPFILE: forced in the child by making its first
//   O_TMPFILE open fail with EOPNOTSUPP through the system-call seam, which
//   the core remembers for that file system), the hidden file it writes
//   into, complete or not.
//
// Timing is measured, not assumed: a fixed delay after the child starts
// missed its first commit on a slower machine (a sanitized child needs
// milliseconds just to start its threads), and then the test proved nothing.
// So the child reports through a pipe when it begins a commit ('b') and when
// the commit completed ('c'); the parent first lets one child run
// undisturbed to learn this machine's start-up time and commit period, then
// in every round waits for the child's first commit and kills it at an
// instant drawn uniformly over several periods after it. Knowing how many
// commits completed, and whether one had begun, the parent knows exactly
// which versions the target may hold, and that kills landed while the child
// was writing and while it was committing (both are asserted, or the test
// would prove nothing). A slower or loaded machine only makes it slower.
//
// The child never returns into gtest (it ends in _exit); the parent checks.
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
#include <iomanip>
#include <iostream>
#include <random>
#include <regex>
#include <sstream>
#include <vector>

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
using tempio::test::slurp;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int rounds = 200;
constexpr std::size_t chunk = 4096;
constexpr std::size_t chunks = 16;  // 64 KiB per version
constexpr std::size_t version_size = chunk * chunks;
constexpr char initial_byte = '#';
// The calibrating child's commits: several cycles of the durable-every-
// fourth pattern, so the mean period includes the slow durable commits.
constexpr std::size_t calibration_commits = 16;
// Kill instants are spread over this many mean periods after the first
// commit: a whole durable cycle, and kills after several commits.
constexpr int spread_periods = 4;
// Only against a child that hangs: a slow machine just takes longer.
constexpr auto patience = std::chrono::seconds(60);
// Of the kills, at least this many must land while the child committed (a
// commit had begun, not yet reported complete) and while it wrote (the last
// commit complete, the next not begun). Measured under ASan, both backends:
// on ext4 about 70% of the kills land in a commit (the durable ones are
// long), on tmpfs about 23%, the rest while writing; the bound is far below
// both, so that only a child that is not really committing fails it.
constexpr int min_kills_per_phase = rounds / 40;

// Exit statuses of a child that was not killed (it never is otherwise).
enum child_status : int {
    child_failed = 3,         // an operation failed (the child stops)
    fallback_not_forced = 4,  // its first file still had no name
    child_threw = 5,          // an exception
};

char version_byte(unsigned round, unsigned v) {
    return static_cast<char>('a' + (round * 7 + v) % 26);
}

// Version `v`'s bytes, complete (`whole`) or a prefix (an empty one too).
bool holds(const std::string& s, char byte, bool whole) {
    return (whole ? s.size() == version_size : s.size() <= version_size) &&
           s.find_first_not_of(byte) == std::string::npos;
}

std::string describe(const std::string& s) {
    if (s.empty()) return "empty or absent";
    std::size_t mixed = s.find_first_not_of(s[0]);
    return std::to_string(s.size()) + " bytes starting with '" + s[0] + "'" +
           (mixed == std::string::npos ? std::string()
                                       : ", another byte at offset " + std::to_string(mixed));
}

// Tells the parent, through `report` (a pipe), "started" ('s'), "a commit
// begins" ('b') and "the commit completed" ('c'); best effort.
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
                if (force_fallback && v == 0)
                    sys::arm_fault(2, EOPNOTSUPP);  // the O_TMPFILE open (after open_parent)
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
                tell(report, 'b');
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

// A running child and what the parent has read from it, with the instant
// each report was read.
struct running_child {
    pid_t pid = -1;
    int report = -1;  // the pipe's read end
    clock_type::time_point forked;
    clock_type::time_point started;                        // its 's' (when seen)
    std::vector<clock_type::time_point> begun, completed;  // its 'b's and 'c's
    bool ended = false;                                    // end of file: it exited by itself

    // Reads reports until `enough()` or `deadline`; stops early if the child
    // ended by itself. ppoll, not a sleep: the instant is the deadline, not
    // a time slice later.
    template <class Enough>
    void read_until(clock_type::time_point deadline, Enough enough) {
        while (!ended && !enough()) {
            auto left = deadline - clock_type::now();
            if (left <= clock_type::duration::zero()) return;
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            timespec timeout{static_cast<time_t>(ns / 1000000000),
                             static_cast<long>(ns % 1000000000)};
            pollfd p{report, POLLIN, 0};
            if (::ppoll(&p, 1, &timeout, nullptr) <= 0) continue;  // EINTR, or the deadline
            read_available();
        }
    }

    void read_available() {
        char buf[4096];
        ssize_t n = ::read(report, buf, sizeof buf);
        if (n <= 0) {
            ended = true;
            return;
        }
        const auto at = clock_type::now();
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == 's') started = at;
            if (buf[i] == 'b') begun.push_back(at);
            if (buf[i] == 'c') completed.push_back(at);
        }
    }
};

// What the kills found, over all rounds of one mode.
struct tally {
    int kills = 0, mid_commit = 0, mid_write = 0, changed = 0;
    long commits = 0;
    clock_type::duration to_start{}, to_first_commit{};  // summed over the kills
    std::size_t most_commits = 0;
    int complete_leftovers = 0, partial_leftovers = 0;
};

class publishing_crash : public tempio::test::test_dir {
  protected:
    fs::path target_;
    bool fallback_ = false;
    std::regex hidden_{R"(\.target\.[a-z0-9_]{8})"};

    running_child spawn(unsigned round) {
        running_child c;
        std::cout.flush();
        std::cerr.flush();
        int report[2];
        if (::pipe2(report, O_CLOEXEC) != 0) {
            ADD_FAILURE() << "pipe2: " << std::strerror(errno);
            return c;
        }
        c.forked = clock_type::now();
        c.pid = ::fork();
        if (c.pid == 0) {
            ::close(report[0]);
            child(target_, round, fallback_, report[1]);
        }
        ::close(report[1]);
        c.report = report[0];
        if (c.pid < 0) ADD_FAILURE() << "fork: " << std::strerror(errno);
        return c;
    }

    // Kills `c` (whatever happened before), then checks what it left: the
    // target holds the version of its last completed commit, or, when a
    // commit had begun, possibly that commit's complete version; a hidden
    // name holds (part of) the version being written.
    void kill_and_check(running_child& c, unsigned round, tally& t) {
        if (c.pid < 0) return;
        ::kill(c.pid, SIGKILL);
        int status = 0;
        const pid_t waited = ::waitpid(c.pid, &status, 0);
        while (!c.ended) c.read_available();  // what it wrote before it died
        ::close(c.report);
        ASSERT_EQ(waited, c.pid);
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
            << "round " << round << ": the child ended by itself, status "
            << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
            << " (3: an operation failed, 4: the fallback was not forced, 5: an exception)";
        const auto k = static_cast<unsigned>(c.completed.size());
        ASSERT_GE(k, 1u) << "round " << round << ": killed before its first commit completed";
        const bool mid_commit = c.begun.size() > k;
        const char old_byte = version_byte(round, k - 1), new_byte = version_byte(round, k);

        ++t.kills;
        t.commits += k;
        t.to_start += c.started - c.forked;
        t.to_first_commit += c.completed.front() - c.forked;
        t.most_commits = std::max<std::size_t>(t.most_commits, k);
        ++(mid_commit ? t.mid_commit : t.mid_write);

        std::string now = slurp(target_);
        const bool is_new = mid_commit && holds(now, new_byte, true);
        ASSERT_TRUE(holds(now, old_byte, true) || is_new)
            << "round " << round << ": after " << k << " commits"
            << (mid_commit ? " and in the next" : "") << " the target holds " << describe(now)
            << "; expected 64 KiB of '" << old_byte << "'"
            << (mid_commit ? std::string(" or of '") + new_byte + "'" : std::string());
        t.changed += is_new;
        EXPECT_EQ(tempio::test::mode_of(target_), 0644u) << "round " << round << ": mode not kept";

        for (const auto& name : entries(dir_)) {
            if (name == "target") continue;
            ASSERT_TRUE(std::regex_match(name, hidden_))
                << "round " << round << ": a stray name that is not hidden: " << name;
            std::string left = slurp(dir_ / name);
            // Only the version being written can have a hidden name: with
            // O_TMPFILE only once complete, in the commit's link-then-rename
            // window; with the fallback from its creation on.
            if (fallback_) {
                EXPECT_TRUE(holds(left, new_byte, false))
                    << "round " << round << ": hidden " << name << " holds " << describe(left)
                    << ", not (part of) version '" << new_byte << "'";
            } else {
                EXPECT_TRUE(mid_commit && holds(left, new_byte, true))
                    << "round " << round << ": hidden " << name << " holds " << describe(left)
                    << (mid_commit ? "" : ", and no commit was under way");
            }
            ++(holds(left, new_byte, true) ? t.complete_leftovers : t.partial_leftovers);
            fs::remove(dir_ / name);  // what a sweep at start-up does
        }
    }

    void run_rounds(bool force_fallback) {
        fallback_ = force_fallback;
        target_ = dir_ / "target";
        tempio::test::spit(target_, std::string(version_size, initial_byte));
        fs::permissions(target_, fs::perms(0644));
        const auto began = clock_type::now();
        tally t;

        // Calibration: one child commits undisturbed; its start-up and mean
        // commit period are this machine's, under its present load.
        running_child c = spawn(0);
        c.read_until(clock_type::now() + patience,
                     [&] { return c.completed.size() >= calibration_commits; });
        const bool calibrated = c.completed.size() >= calibration_commits;
        const running_child calibration = c;
        kill_and_check(c, 0, t);
        if (HasFatalFailure()) return;
        ASSERT_TRUE(calibrated) << "the child made " << calibration.completed.size()
                                << " commits in " << patience.count() << " s";
        const auto startup = calibration.completed.front() - calibration.forked;
        const auto period = (calibration.completed.back() - calibration.completed.front()) /
                            static_cast<long>(calibration.completed.size() - 1);
        // The commit calls alone ('b' to 'c', as read here), for the record.
        clock_type::duration committing{};
        for (std::size_t i = 0; i < calibration.completed.size(); ++i)
            committing += calibration.completed[i] - calibration.begun[i];
        committing /= static_cast<long>(calibration.completed.size());

        // The period follows the machine as the rounds go: the load may
        // change after the calibration (if it grew tenfold, kills spread
        // over the calibrated periods would all land before the next
        // commit). Every round adds its observed stretch after the first
        // commit and the commits completed in it; older rounds fade, so the
        // estimate tracks about the last ten. A stretch with no commit
        // lengthens the estimate, and so the next spread: it corrects
        // itself either way.
        using seconds = std::chrono::duration<double>;
        double observed_s =
            seconds(calibration.completed.back() - calibration.completed.front()).count();
        double observed_commits = static_cast<double>(calibration.completed.size() - 1);
        constexpr double fade = 0.9;

        std::random_device seed_source;
        const unsigned seed = seed_source();
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> spread(0.0, spread_periods);
        SCOPED_TRACE("seed " + std::to_string(seed));

        for (unsigned round = 1; round <= rounds; ++round) {
            c = spawn(round);
            c.read_until(clock_type::now() + patience, [&] { return !c.completed.empty(); });
            if (!c.completed.empty()) {
                const seconds delay(std::min(spread(rng) * observed_s / observed_commits, 10.0));
                const auto kill_at =
                    c.completed.front() + std::chrono::duration_cast<clock_type::duration>(delay);
                c.read_until(kill_at, [] { return false; });
                observed_s = observed_s * fade + delay.count();
                observed_commits =
                    observed_commits * fade + static_cast<double>(c.completed.size() - 1);
            }
            kill_and_check(c, round, t);
            if (HasFatalFailure()) return;
        }

        const auto ms = [](auto d) {
            std::ostringstream o;
            o << std::fixed << std::setprecision(2)
              << std::chrono::duration<double, std::milli>(d).count() << " ms";
            return o.str();
        };
        std::cout << "[crash] " << (force_fallback ? "fallback" : "O_TMPFILE")
                  << ": calibration: start-up (fork to first commit) " << ms(startup)
                  << ", commit period " << ms(period) << " (of which the commit call "
                  << ms(committing)
                  << "); mean start-up over the kills: " << ms(t.to_start / t.kills)
                  << " to the child's start, " << ms(t.to_first_commit / t.kills)
                  << " to its first commit; commit period at the end "
                  << ms(seconds(observed_s / observed_commits)) << "; kills over " << spread_periods
                  << " periods after the first commit: " << t.kills << " kills (" << t.mid_commit
                  << " mid-commit, " << t.mid_write << " mid-write), " << t.commits
                  << " commits (at most " << t.most_commits
                  << " in a round), the new version in place after " << t.changed
                  << " mid-commit kills; hidden names left: " << t.complete_leftovers
                  << " complete, " << t.partial_leftovers << " partial; "
                  << ms(clock_type::now() - began) << " in all" << std::endl;
        // The child must really be committing when it dies, or this proves
        // nothing: kills in both phases.
        EXPECT_GE(t.mid_commit, min_kills_per_phase) << "too few kills landed in a commit";
        EXPECT_GE(t.mid_write, min_kills_per_phase) << "too few kills landed between commits";
        fs::remove(target_);
    }
};

}  // namespace

TEST_F(publishing_crash, killed_at_random_instants_with_o_tmpfile) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    run_rounds(false);
}

TEST_F(publishing_crash, killed_at_random_instants_with_the_hidden_file_fallback) {
    run_rounds(true);
}
