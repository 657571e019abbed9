// Cleanup on signals and at exit (tempio/signal_cleanup.hpp,
// docs/publishing.md, "Cleanup on signals and exit"). Every case runs in a
// forked child, which enables
// the cleanup (never this process: its children would inherit the handlers
// as "the previous ones"), makes its temporaries, reports through a pipe
// that they exist, and waits to be killed (pause()); the parent checks how it
// ended and what is left. Nothing is timed: the pipe is the only ordering.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::test::entries;

namespace {

int g_report = -1;  // the child's end of the pipe (its handlers write to it)

void tell(char c) {
    ssize_t ignored = ::write(g_report, &c, 1);
    (void)ignored;
}

// A child's failed check: which line, as its exit status.
#define CHILD_CHECK(cond)                                                                \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "child check failed: %s (line %d)\n", #cond, __LINE__); \
            ::_exit(100);                                                                \
        }                                                                                \
    } while (0)

struct child {
    pid_t pid = -1;
    int from = -1;  // the parent's end
    // The next byte the child sent; 0 when it closed the pipe (it ended).
    char next() const {
        char c = 0;
        ssize_t n;
        do n = ::read(from, &c, 1);
        while (n < 0 && errno == EINTR);
        return n == 1 ? c : 0;
    }
    int wait() {
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ::close(from);
        return status;
    }
};

// `body` runs in a forked child, never returning into gtest.
child spawn(const std::function<void()>& body) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe");
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        g_report = p[1];
        const rlimit no_core{0, 0};  // SIGQUIT's default action: no core file left anywhere
        ::setrlimit(RLIMIT_CORE, &no_core);
        try {
            body();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child threw: %s\n", e.what());
            ::_exit(98);
        }
        ::_exit(0);
    }
    ::close(p[1]);
    return {pid, p[0]};
}

[[noreturn]] void wait_forever() {
    for (;;) ::pause();
}

// A named file, a temporary directory holding a named file of ours and, where
// the cleanup removes trees, a tree of the user's (subdirectories, a link to
// `outside`), and an atomic_file in progress under its hidden name (O_TMPFILE
// refused through the seam, as in publishing_crash_test; the POSIX build
// always has one). Reports 'r', then waits to be killed.
void hold_temporaries(const fs::path& dir, const fs::path& outside) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir});
        co_await f.async_write("data");
        co_await f.async_flush();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir});
        if (tempio::signal_cleanup_removes_trees()) {
            fs::create_directories(d.path() / "a" / "b" / "c");
            std::ofstream(d.path() / "a" / "b" / "c" / "deep") << "x";
            std::ofstream(d.path() / "a" / "file") << "x";
            fs::create_directory_symlink(outside, d.path() / "a" / "link");
        }
        auto inner = co_await tempio::named_temporary_file::async_create({.dir = d.path()});
        if (tempio::has_anonymous_files())
            tempio::detail::sys::arm_fault(2, EOPNOTSUPP);  // the O_TMPFILE open
        auto [ec, a] = co_await tempio::atomic_file::async_create(dir / "target",
                                                                  net::as_tuple(net::deferred));
        tempio::detail::sys::disarm_fault();
        CHILD_CHECK(!ec);
        co_await a.async_write("partial");
        co_await a.async_flush();
        CHILD_CHECK(entries(dir).size() == 3);  // the file, the directory, the hidden name
        CHILD_CHECK(tempio::detail::signal_cleanup::registered_count() == 4);
        tell('r');
        wait_forever();
    });
}

class signal_cleanup : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        work_ = dir_ / "work";
        outside_ = dir_ / "outside";
        fs::create_directory(work_);
        fs::create_directory(outside_);
        std::ofstream(outside_ / "canary") << "keep me";
    }
    void expect_outside_untouched() {
        EXPECT_EQ(entries(outside_), std::vector<std::string>{"canary"});
        EXPECT_EQ(tempio::test::slurp(outside_ / "canary"), "keep me");
    }
    fs::path work_, outside_;
};

TEST_F(signal_cleanup, each_signal_removes_everything_and_then_kills_as_before) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
        SCOPED_TRACE(strsignal(sig));
        child c = spawn([&] {
            tempio::enable_signal_cleanup();
            hold_temporaries(work_, outside_);
        });
        ASSERT_EQ(c.next(), 'r');
        EXPECT_EQ(entries(work_).size(), 3u);
        ASSERT_EQ(::kill(c.pid, sig), 0);
        int status = c.wait();
        // No previous handler: the default action, as without tempio.
        ASSERT_TRUE(WIFSIGNALED(status)) << status;
        EXPECT_EQ(WTERMSIG(status), sig);
        EXPECT_EQ(entries(work_), std::vector<std::string>{});
        expect_outside_untouched();
    }
}

TEST_F(signal_cleanup, without_enable_a_signal_leaves_the_temporaries) {
    child c = spawn([&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = work_});
            CHILD_CHECK(!tempio::signal_cleanup_enabled());
            CHILD_CHECK(tempio::detail::signal_cleanup::registered_count() == 0);
            tell('r');
            wait_forever();
        });
    });
    ASSERT_EQ(c.next(), 'r');
    ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
    int status = c.wait();
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    EXPECT_EQ(entries(work_).size(), 1u);  // as CPython's: nothing removes it
}

TEST_F(signal_cleanup, exit_removes_everything) {
    child c = spawn([&] {
        tempio::enable_signal_cleanup();
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = work_});
            auto d = co_await tempio::temporary_directory::async_create({.dir = work_});
            if (tempio::signal_cleanup_removes_trees()) std::ofstream(d.path() / "inside") << "x";
            CHILD_CHECK(entries(work_).size() == 2);
            std::exit(7);  // the objects are never destroyed
        });
    });
    int status = c.wait();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 7);
    EXPECT_EQ(entries(work_), std::vector<std::string>{});
}

void plain_handler(int sig) {
    tell(sig == SIGTERM ? 'p' : '?');
    ::_exit(31);
}
void siginfo_handler(int sig, siginfo_t* info, void*) {
    tell(sig == SIGINT && info != nullptr && info->si_signo == SIGINT ? 's' : '?');
    ::_exit(32);
}
int g_returns = 0;
void returning_handler(int) {
    ++g_returns;
    tell('h');
}

TEST_F(signal_cleanup, handlers_installed_before_run_after_the_cleanup) {
    struct case_t {
        int sig;
        char said;
        int exit_status;  // -1: the handler returns, the child lives on
    };
    for (case_t k : {case_t{SIGTERM, 'p', 31}, case_t{SIGINT, 's', 32}, case_t{SIGHUP, 'h', -1}}) {
        SCOPED_TRACE(strsignal(k.sig));
        child c = spawn([&] {
            struct sigaction sa {};
            sigemptyset(&sa.sa_mask);
            if (k.sig == SIGINT) {
                sa.sa_flags = SA_SIGINFO;
                sa.sa_sigaction = siginfo_handler;
            } else {
                sa.sa_handler = k.sig == SIGTERM ? plain_handler : returning_handler;
            }
            CHILD_CHECK(::sigaction(k.sig, &sa, nullptr) == 0);
            tempio::enable_signal_cleanup();
            hold_temporaries(work_, outside_);
        });
        ASSERT_EQ(c.next(), 'r');
        ASSERT_EQ(::kill(c.pid, k.sig), 0);
        EXPECT_EQ(c.next(), k.said);
        // The handler ran after the cleanup: nothing is left when it says so.
        EXPECT_EQ(entries(work_), std::vector<std::string>{});
        if (k.exit_status < 0) ::kill(c.pid, SIGKILL);  // alive: it returned
        int status = c.wait();
        if (k.exit_status >= 0) {
            ASSERT_TRUE(WIFEXITED(status)) << status;
            EXPECT_EQ(WEXITSTATUS(status), k.exit_status);
        } else {
            EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
        }
        expect_outside_untouched();
    }
}

void later_handler(int) {
    tell('l');
    ::_exit(33);
}
void later_handler_cleaning(int) {
    tempio::signal_cleanup_now();
    tell('c');
    ::_exit(34);
}

TEST_F(signal_cleanup, a_handler_installed_after_replaces_ours_and_may_call_cleanup_now) {
    for (bool cleans : {false, true}) {
        SCOPED_TRACE(cleans);
        fs::path here = work_ / (cleans ? "cleans" : "replaces");
        fs::create_directory(here);
        child c = spawn([&] {
            tempio::enable_signal_cleanup();
            ::signal(SIGTERM, cleans ? later_handler_cleaning : later_handler);
            hold_temporaries(here, outside_);
        });
        ASSERT_EQ(c.next(), 'r');
        ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
        EXPECT_EQ(c.next(), cleans ? 'c' : 'l');
        int status = c.wait();
        ASSERT_TRUE(WIFEXITED(status)) << status;
        EXPECT_EQ(WEXITSTATUS(status), cleans ? 34 : 33);
        // Replaced: tempio's handler never ran (_exit skips atexit too).
        EXPECT_EQ(entries(here).size(), cleans ? 0u : 3u);
        expect_outside_untouched();
    }
}

TEST_F(signal_cleanup, a_forked_grandchild_never_removes_its_parents_names) {
    child c = spawn([&] {
        tempio::enable_signal_cleanup();
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = work_});
            auto d = co_await tempio::temporary_directory::async_create({.dir = work_});
            // Killed by a signal (the handler runs in it), then exiting (atexit).
            for (int how : {0, 1}) {
                pid_t g = ::fork();
                if (g == 0) {
                    if (how == 0) ::raise(SIGTERM);
                    std::exit(0);
                }
                int status = 0;
                CHILD_CHECK(::waitpid(g, &status, 0) == g);
                // The exit status of the exiting one is not checked: LeakSanitizer,
                // at the exit of a fork of a threaded process, may say anything.
                CHILD_CHECK(how == 0 ? WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM
                                     : WIFEXITED(status));
                CHILD_CHECK(fs::exists(f.path()) && fs::exists(d.path()));
            }
            tell('r');
            wait_forever();
        });
    });
    ASSERT_EQ(c.next(), 'r');
    EXPECT_EQ(entries(work_).size(), 2u);
    ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
    int status = c.wait();
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(entries(work_), std::vector<std::string>{});  // its own process: removed
}

TEST_F(signal_cleanup, thousands_of_names_are_all_removed) {
    constexpr std::size_t count = 5000;
    child c = spawn([&] {
        tempio::enable_signal_cleanup();
        tempio::run([&]() -> net::awaitable<void> {
            // Closed, their names kept until the objects end (delete_on_close
            // = false): thousands alive without thousands of descriptors.
            std::vector<tempio::named_temporary_file> files;
            files.reserve(count);
            for (std::size_t i = 0; i < count; ++i) {
                files.push_back(co_await tempio::named_temporary_file::async_create(
                    {.dir = work_, .delete_on_close = false}));
                co_await files.back().async_close();
            }
            CHILD_CHECK(tempio::detail::signal_cleanup::registered_count() == count);
            // Some go and come back: freed slots are reused.
            files.erase(files.begin() + count / 2, files.end());
            CHILD_CHECK(tempio::detail::signal_cleanup::registered_count() == count / 2);
            for (std::size_t i = count / 2; i < count; ++i) {
                files.push_back(co_await tempio::named_temporary_file::async_create(
                    {.dir = work_, .delete_on_close = false}));
                co_await files.back().async_close();
            }
            CHILD_CHECK(tempio::detail::signal_cleanup::registered_count() == count);
            tell('r');
            wait_forever();
        });
    });
    ASSERT_EQ(c.next(), 'r');
    EXPECT_EQ(entries(work_).size(), count);
    ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
    int status = c.wait();
    ASSERT_TRUE(WIFSIGNALED(status)) << status;
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    EXPECT_EQ(entries(work_), std::vector<std::string>{});
}

}  // namespace
