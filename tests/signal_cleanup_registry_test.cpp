// What the signal cleanup's registry holds, step by step
// (tempio/signal_cleanup.hpp): a name is registered while it is a temporary
// of ours, and leaves the registry when tempio removes it, keeps it or
// publishes it; mkstemp and mkdtemp results, anonymous and spooled files
// never enter it. Each case runs in a forked child that enables the cleanup
// (this process never does) and reports a failed check by its exit status.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;

namespace {

#define CHILD_CHECK(cond)                                                                \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "child check failed: %s (line %d)\n", #cond, __LINE__); \
            ::_exit(100);                                                                \
        }                                                                                \
    } while (0)

std::size_t registered() {
    return tempio::detail::signal_cleanup::registered_count();
}

// `body` (a coroutine) in a forked child with cleanup enabled: its exit status.
int in_child(const std::function<net::awaitable<void>()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            tempio::enable_signal_cleanup();
            CHILD_CHECK(tempio::signal_cleanup_enabled());
            tempio::run(body);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child threw: %s\n", e.what());
            ::_exit(98);
        }
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

using signal_registry = tempio::test::test_dir;
using tempio::named_temporary_file;
using tempio::temporary_directory;

TEST_F(signal_registry, named_files_leave_when_removed_kept_or_published) {
    EXPECT_EQ(in_child([&]() -> net::awaitable<void> {
                  CHILD_CHECK(registered() == 0);
                  {
                      auto f = co_await named_temporary_file::async_create({.dir = dir_});
                      CHILD_CHECK(registered() == 1);
                      co_await f.async_close();  // deleted at close
                      CHILD_CHECK(registered() == 0);
                  }
                  {
                      auto f = co_await named_temporary_file::async_create({.dir = dir_});
                      fs::path kept = f.keep();
                      CHILD_CHECK(registered() == 0);
                      fs::remove(kept);
                  }
                  {
                      auto f =
                          co_await named_temporary_file::async_create({.dir = dir_, .keep = true});
                      CHILD_CHECK(registered() == 0);  // the user's from the start
                      co_await f.async_close();
                      fs::remove(f.path());
                  }
                  {
                      auto f = co_await named_temporary_file::async_create(
                          {.dir = dir_, .delete_on_close = false});
                      co_await f.async_close();
                      CHILD_CHECK(registered() == 1);  // the name lives as long as the object
                  }
                  CHILD_CHECK(registered() == 0);
                  {
                      auto f = co_await named_temporary_file::async_create({.dir = dir_});
                      fs::path nowhere = dir_ / "missing" / "x";
                      auto [ec] = co_await f.async_persist(nowhere, net::as_tuple(net::deferred));
                      CHILD_CHECK(ec);
                      CHILD_CHECK(registered() == 1);  // failed: still our temporary
                      co_await f.async_persist(dir_ / "published");
                      CHILD_CHECK(registered() == 0);
                  }
                  CHILD_CHECK(fs::exists(dir_ / "published"));
              }),
              0);
}

TEST_F(signal_registry, directories_leave_when_cleaned_kept_or_published) {
    EXPECT_EQ(
        in_child([&]() -> net::awaitable<void> {
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_});
                CHILD_CHECK(registered() == 1);
                co_await d.async_cleanup();
                CHILD_CHECK(registered() == 0);
            }
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_});
                fs::path kept = d.keep();
                CHILD_CHECK(registered() == 0);
                fs::remove(kept);
            }
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_, .keep = true});
                CHILD_CHECK(registered() == 0);
                fs::remove(d.path());
            }
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_});
                co_await d.async_persist(dir_ / "tree");
                CHILD_CHECK(registered() == 0);
            }
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_});
                auto [ec] = co_await d.async_exchange(dir_ / "tree", net::as_tuple(net::deferred));
                // Where the platform cannot exchange: refused, still ours.
                CHILD_CHECK(registered() == (ec ? 1u : 0u));
            }
            {
                auto d = co_await temporary_directory::async_create({.dir = dir_});
                CHILD_CHECK(registered() == 1);
            }  // the destructor removed it
            CHILD_CHECK(registered() == 0);
        }),
        0);
}

TEST_F(signal_registry, hidden_names_of_publishes_leave_at_commit_or_abandon) {
    EXPECT_EQ(
        in_child([&]() -> net::awaitable<void> {
            const fs::path target = dir_ / "target";
            for (bool commit : {true, false}) {
                // The fallback's hidden name (O_TMPFILE refused through the seam).
                if (tempio::has_anonymous_files()) tempio::detail::sys::arm_fault(2, EOPNOTSUPP);
                auto a = co_await tempio::atomic_file::async_create(target);
                tempio::detail::sys::disarm_fault();
                CHILD_CHECK(registered() == 1);
                co_await a.async_write("v");
                if (commit) {
                    co_await a.async_commit();
                    CHILD_CHECK(registered() == 0);
                }
            }
            CHILD_CHECK(registered() == 0);
            // An anonymous linkable file replacing a target: its transient
            // hidden link is gone from the registry after.
            auto t = co_await tempio::temporary_file::async_create({.dir = dir_, .linkable = true});
            CHILD_CHECK(registered() == 0);
            co_await t.async_persist(target);
            CHILD_CHECK(registered() == 0);
            co_await tempio::async_write_file_atomically(target, "w");
            CHILD_CHECK(registered() == 0);
        }),
        0);
}

TEST_F(signal_registry, user_owned_and_nameless_files_are_never_registered) {
    EXPECT_EQ(in_child([&]() -> net::awaitable<void> {
                  auto [fd, path] = tempio::mkstemp({.dir = dir_});
                  fs::path d = tempio::mkdtemp({.dir = dir_});
                  CHILD_CHECK(registered() == 0);
                  fs::remove(path);
                  fs::remove(d);
                  auto s = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
                  co_await s.async_write("x");
                  co_await s.async_rollover();
                  CHILD_CHECK(registered() == 0);
              }),
              0);
}

}  // namespace
