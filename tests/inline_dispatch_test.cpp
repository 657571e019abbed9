// DESIGN section 9: on a memory file system (tmpfs), creations, closes and
// an empty directory's removal make their system calls on the calling
// thread (the inline driver), and still complete through a post, never
// inside the initiating call, except that a coroutine's own handler is
// resumed there (its initiation runs after it suspended). By default only an operation with no
// other in flight does (one at a time); TEMPIO_INLINE=on: all of them. Bounded writes (buffer +
// data at most 128 KiB) run at once on a memory file system (learned per directory at creation, or
// at a spooled file's first flush after its rollover) with TEMPIO_INLINE=writes or on.
#include <linux/magic.h>
#include <sys/vfs.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include "backend/backend.hpp"
#include "backend/inline_driver.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "platform/platform.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::detail::inline_level;
using tempio::test::entries;

namespace {

bool is_tmpfs(const char* dir) {
    struct statfs st {};
    return ::statfs(dir, &st) == 0 && st.f_type == TMPFS_MAGIC;
}

// A fresh directory on /dev/shm (tmpfs) for each test; inline allowed.
class inline_dispatch : public ::testing::Test {
  protected:
    void SetUp() override {
        // Saved first: TearDown restores it even after a skip (one process
        // runs every test of this program under Wine).
        saved_ = tempio::detail::inline_dispatch_level();
        if (!is_tmpfs("/dev/shm")) GTEST_SKIP() << "/dev/shm is not tmpfs here";
        dir_ = fs::path(tempio::mkdtemp({.prefix = "inline-test", .dir = "/dev/shm"}));
        fds_ = tempio::test::open_fds();
        tempio::detail::set_inline_dispatch_for_testing(inline_level::on);
    }
    void TearDown() override {
        tempio::detail::set_inline_dispatch_for_testing(saved_);
        if (dir_.empty()) return;
        EXPECT_EQ(tempio::test::open_fds(), fds_) << "descriptors leaked";
        fs::remove_all(dir_);
    }
    bool pool() const { return std::string_view(tempio::backend_name()) == "threads"; }

    fs::path dir_;
    std::set<std::string> fds_;
    inline_level saved_ = inline_level::writes;
};

}  // namespace

TEST(memory_fs, tmpfs_is_memory_and_a_missing_directory_is_not) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    if (is_tmpfs("/dev/shm")) {
        EXPECT_TRUE(tempio::detail::on_memory_fs("/dev/shm"));
    }
    EXPECT_FALSE(tempio::detail::on_memory_fs("/no/such/directory"));
    EXPECT_FALSE(tempio::detail::on_memory_fs("/proc"));  // procfs
}

TEST_F(inline_dispatch, a_named_file_is_made_and_deleted_inside_the_calls) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    net::io_context ctx;
    auto jobs = tempio::detail::jobs_run();
    std::optional<tempio::named_temporary_file> file;
    bool done = false;
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_},
                                               [&](error_code ec, tempio::named_temporary_file f) {
                                                   ASSERT_FALSE(ec);
                                                   file.emplace(std::move(f));
                                                   done = true;
                                               });
    EXPECT_FALSE(done) << "never completes inside the initiating call";
    EXPECT_EQ(entries(dir_).size(), 1u) << "the file exists as the call returns";
    ctx.run();
    ctx.restart();
    ASSERT_TRUE(done);
    fs::path path = file->path();
    EXPECT_TRUE(fs::exists(path));
    done = false;
    file->async_close([&](error_code ec) {
        EXPECT_FALSE(ec);
        done = true;
    });
    EXPECT_FALSE(done);
    EXPECT_FALSE(fs::exists(path)) << "deleted as the call returns";
    ctx.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
}

TEST_F(inline_dispatch, every_creation_and_an_empty_cleanup_run_inline) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    auto jobs = tempio::detail::jobs_run();
    tempio::run([&]() -> net::awaitable<void> {
        auto a = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await a.async_write("anonymous");
        co_await a.async_close();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        EXPECT_TRUE(fs::is_directory(d.path()));
        co_await d.async_cleanup();
        EXPECT_FALSE(fs::exists(d.path()));
        auto [fd, path] = co_await tempio::async_mkstemp({.dir = dir_});
        EXPECT_TRUE(fd);
        fs::remove(path);
        auto p = co_await tempio::async_mkdtemp({.dir = dir_});
        fs::remove(p);
    });
    EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_dispatch, a_tree_to_clean_still_goes_to_the_pool) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        tempio::test::spit(d.path() / "inside", "x");
        co_await d.async_cleanup();  // rmdir: ENOTEMPTY, then the remover
        EXPECT_FALSE(fs::exists(d.path()));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_dispatch, an_inline_close_leaves_a_file_that_took_the_name) {
    fs::path taken;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        taken = f.path();
        tempio::test::spit(dir_ / "stranger", "not yours");
        fs::rename(dir_ / "stranger", taken);
        co_await f.async_close();
    });
    EXPECT_EQ(tempio::test::slurp(taken), "not yours");
}

TEST_F(inline_dispatch, errors_are_still_delivered_through_the_handler) {
    net::io_context ctx;
    error_code got;
    bool done = false;
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = (dir_ / "missing")},
                                               [&](error_code ec, tempio::named_temporary_file) {
                                                   got = ec;
                                                   done = true;
                                               });
    EXPECT_FALSE(done);
    ctx.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(got, std::errc::no_such_file_or_directory);
}

TEST_F(inline_dispatch, never_keeps_the_calls_off_the_calling_thread) {
    tempio::detail::set_inline_dispatch_for_testing(inline_level::never);
    auto jobs = tempio::detail::jobs_run();
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
    });
    // The pool shows it; io_uring makes the calls as ring requests instead.
    if (pool()) {
        EXPECT_GE(tempio::detail::jobs_run(), jobs + 2);
    }
    EXPECT_TRUE(entries(dir_).empty());
}

// Bounded writes (TEMPIO_INLINE=writes, and on).
namespace {
net::awaitable<std::string> read_all(tempio::named_temporary_file& f) {
    co_await f.async_seek(0);
    co_return co_await f.async_read();
}
}  // namespace

TEST_F(inline_dispatch, bounded_writes_run_at_once) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    tempio::detail::set_inline_dispatch_for_testing(inline_level::writes);
    const std::string a(65536, 'a'), b(65536, 'b');
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto jobs = tempio::detail::jobs_run();
        co_await f.async_write(a);    // fills the buffer
        co_await f.async_write("x");  // 64 KiB + 1 byte: at once
        co_await f.async_write(b);
        co_await f.async_write("y");  // 64 KiB + 1 byte: at once
        co_await f.async_write("z");
        co_await f.async_flush();  // 1 byte: at once
        EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "a bounded write went to a worker";
        EXPECT_EQ(co_await read_all(f), a + "x" + b + "yz");
        co_await f.async_close();
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_dispatch, a_write_past_the_bound_still_goes_to_a_worker) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    tempio::detail::set_inline_dispatch_for_testing(inline_level::writes);
    const std::string big(tempio::detail::file_core::at_once_write_max + 1, 'B');
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.buffering = 0, .dir = dir_});
        auto jobs = tempio::detail::jobs_run();
        co_await f.async_write("learn");  // unbuffered, bounded: at once
        co_await f.async_write("small");
        EXPECT_EQ(tempio::detail::jobs_run(), jobs);
        co_await f.async_write(big);
        // The pool's job, or with io_uring a ring request (no job).
        if (pool()) {
            EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1);
        }
        EXPECT_EQ(co_await read_all(f), "learnsmall" + big);
        co_await f.async_close();
    });
}

TEST_F(inline_dispatch, never_keeps_bounded_writes_on_workers) {
    tempio::detail::set_inline_dispatch_for_testing(inline_level::never);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.buffering = 0, .dir = dir_});
        co_await f.async_write("learn");
        auto jobs = tempio::detail::jobs_run();
        co_await f.async_write("again");
        if (pool()) {
            EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1);
        }
        EXPECT_EQ(co_await read_all(f), "learnagain");
        co_await f.async_close();
    });
}

namespace {
class bounded_writes : public tempio::test::test_dir {};  // TMPDIR or /tmp
}  // namespace

TEST_F(bounded_writes, are_off_by_default_and_a_file_on_disk_never_writes_at_once) {
    if (std::getenv("TEMPIO_INLINE") == nullptr) {
        EXPECT_EQ(tempio::detail::inline_dispatch_level(), inline_level::alone);
    }
    if (tempio::detail::on_memory_fs(dir_.string()))
        GTEST_SKIP() << "the test directory is on a memory file system here";
    auto saved = tempio::detail::inline_dispatch_level();
    tempio::detail::set_inline_dispatch_for_testing(inline_level::writes);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.buffering = 0, .dir = dir_});
        co_await f.async_write("first");
        auto jobs = tempio::detail::jobs_run();
        co_await f.async_write("second");
        if (std::string_view(tempio::backend_name()) == "threads") {
            EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1);
        }
        co_await f.async_close();
    });
    tempio::detail::set_inline_dispatch_for_testing(saved);
}

TEST(inline_level, the_default_is_alone_and_never_or_off_turns_it_off) {
    using tempio::detail::inline_level_of;
    EXPECT_EQ(inline_level_of(nullptr), inline_level::alone);
    EXPECT_EQ(inline_level_of("auto"), inline_level::alone);
    EXPECT_EQ(inline_level_of("a typo"), inline_level::alone);
    EXPECT_EQ(inline_level_of("never"), inline_level::never);
    EXPECT_EQ(inline_level_of("off"), inline_level::never);
    EXPECT_EQ(inline_level_of("writes"), inline_level::writes);
    EXPECT_EQ(inline_level_of("on"), inline_level::on);
}

// The default: inline only when no other operation is in flight.
namespace {
class inline_when_alone : public inline_dispatch {
  protected:
    void SetUp() override {
        inline_dispatch::SetUp();
        if (IsSkipped()) return;
        tempio::detail::set_inline_dispatch_for_testing(inline_level::alone);
        // A directory not known yet is learned by a creation on a worker
        // (no statfs on the calling thread): one first, to learn it.
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            co_await f.async_close();
        });
    }
    static std::size_t in_flight() { return tempio::detail::g_ops_in_flight.load(); }
    // An atomic_file's directory is learned (on a worker) by the first
    // publish there: one, then gone.
    net::awaitable<void> learn_for_atomic_files() {
        co_await tempio::async_write_file_atomically((dir_ / "learn"), "x");
        fs::remove(dir_ / "learn");
    }
};
}  // namespace

TEST_F(inline_when_alone, one_file_at_a_time_is_made_written_and_deleted_without_a_hop) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    auto jobs = tempio::detail::jobs_run();
    tempio::run([&]() -> net::awaitable<void> {
        for (int i = 0; i < 3; ++i) {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            co_await f.async_write("one at a time");
            co_await f.async_close();
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            co_await d.async_cleanup();
        }
    });
    EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_when_alone, a_creation_started_beside_another_waits_for_a_worker) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    net::io_context ctx;
    auto jobs = tempio::detail::jobs_run();
    std::vector<tempio::named_temporary_file> made;
    auto keep = [&](error_code ec, tempio::named_temporary_file f) {
        EXPECT_FALSE(ec);
        made.push_back(std::move(f));
    };
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_}, keep);
    EXPECT_EQ(entries(dir_).size(), 1u) << "alone: made as the call returns";
    EXPECT_EQ(in_flight(), 1u) << "in flight until its completion runs";
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_}, keep);
    ctx.run();
    ASSERT_EQ(made.size(), 2u);
    EXPECT_EQ(in_flight(), 0u);
    // The pool shows it; io_uring makes the second as ring requests instead.
    if (pool()) {
        EXPECT_EQ(tempio::detail::jobs_run(), jobs + 1);
    }
}

TEST_F(inline_when_alone, of_many_started_at_once_most_go_to_the_workers) {
    auto jobs = tempio::detail::jobs_run();
    int finished = 0;
    net::io_context ctx;
    auto churn = [&]() -> net::awaitable<void> {
        for (int i = 0; i < 20; ++i) {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            co_await f.async_close();
        }
        ++finished;
    };
    for (int i = 0; i < 16; ++i) net::co_spawn(ctx, churn(), net::detached);
    ctx.run();
    EXPECT_EQ(finished, 16);
    // 16 tasks x 20 x (create + close) = 640 operations. The first task runs
    // alone and is resumed inside each call, for inline_resumption::limit
    // (16) in a row; its next completion is posted, the others start, and
    // while they churn together few find themselves alone (some of the last,
    // as tasks finish). Here: 17-21 of 640 inline.
    if (pool()) {
        EXPECT_GE(tempio::detail::jobs_run() - jobs, 540u);
    }
    EXPECT_EQ(in_flight(), 0u);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_when_alone, a_completion_never_run_leaves_nothing_in_flight_and_no_file) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    {
        net::io_context ctx;
        tempio::named_temporary_file::async_create(
            ctx.get_executor(), {.dir = dir_},
            [](error_code, tempio::named_temporary_file) { ADD_FAILURE() << "never runs"; });
        EXPECT_EQ(entries(dir_).size(), 1u) << "made inline";
        EXPECT_EQ(in_flight(), 1u);
    }  // destroyed with the completion (and the file) undelivered
    EXPECT_EQ(in_flight(), 0u);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_when_alone, an_atomic_file_is_made_and_committed_without_a_hop) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    const fs::path target = dir_ / "state.json";
    tempio::run([&]() -> net::awaitable<void> {
        // The first learns that the directory is on tmpfs (on a worker).
        co_await tempio::async_write_file_atomically(target, "zero", {.durable = false});
        auto jobs = tempio::detail::jobs_run();
        auto f = co_await tempio::atomic_file::async_create(target, {.durable = false});
        co_await f.async_write("one");
        co_await f.async_commit();
        EXPECT_EQ(tempio::test::slurp(target), "one");
        co_await tempio::async_write_file_atomically(target, "two", {.durable = false});
        auto g = co_await tempio::atomic_file::async_create(target);
        co_await g.async_write("abandoned");
        co_await g.async_abandon();
        EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
    });
    EXPECT_EQ(tempio::test::slurp(target), "two");
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"state.json"}) << "nothing else left";
}

TEST_F(inline_when_alone, an_inline_commit_that_fails_reports_it_and_leaves_nothing) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    const fs::path target = dir_ / "taken";
    tempio::test::spit(target, "first");
    tempio::run([&]() -> net::awaitable<void> {
        co_await learn_for_atomic_files();
        auto jobs = tempio::detail::jobs_run();
        auto f = co_await tempio::atomic_file::async_create(target, {.replace = false});
        co_await f.async_write("second");
        auto [ec] = co_await f.async_commit(net::as_tuple(net::deferred));
        EXPECT_EQ(ec, std::errc::file_exists);
        auto [ec2] = co_await tempio::async_write_file_atomically(
            target, "third", {.replace = false}, net::as_tuple(net::deferred));
        EXPECT_EQ(ec2, std::errc::file_exists);
        EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
    });
    EXPECT_EQ(tempio::test::slurp(target), "first");
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"taken"}) << "no temporary left";
}

TEST_F(inline_when_alone, a_blocking_job_in_flight_keeps_a_creation_on_a_worker) {
    net::io_context ctx;
    auto jobs = tempio::detail::jobs_run();
    std::atomic<bool> release{false};
    bool ran = false;
    tempio::async_run_blocking(
        [&] {
            while (!release.load()) std::this_thread::yield();
        },
        net::bind_executor(ctx, [&](std::exception_ptr) { ran = true; }));
    std::optional<tempio::named_temporary_file> file;
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_},
                                               [&](error_code ec, tempio::named_temporary_file f) {
                                                   EXPECT_FALSE(ec);
                                                   file.emplace(std::move(f));
                                                   release = true;
                                               });
    EXPECT_GE(in_flight(), 2u) << "the held job and the creation";
    ctx.run();
    EXPECT_TRUE(ran);
    ASSERT_TRUE(file);
    EXPECT_EQ(in_flight(), 0u);
    // Not made inside the call: a worker made it (the pool's bound is at
    // least 2: the held job leaves one free), or the ring.
    if (pool()) {
        EXPECT_EQ(tempio::detail::jobs_run(), jobs + 2);
    }
}

TEST_F(inline_when_alone, a_coroutine_resumes_inside_each_inline_operation) {
    if (!tempio::detail::asio_handler_detection)
        GTEST_SKIP() << "the Asio fallback posts every completion (detail/asio_compat.hpp)";
    tempio::run([&]() -> net::awaitable<void> {
        const fs::path target = dir_ / "published";
        co_await tempio::async_write_file_atomically(target, "learn the directory");
        auto ex = co_await net::this_coro::executor;
        bool other_ran = false;
        net::post(ex, [&] { other_ran = true; });
        auto jobs = tempio::detail::jobs_run();
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        co_await d.async_cleanup();
        auto a = co_await tempio::atomic_file::async_create(target, {.durable = false});
        co_await a.async_write("at once");
        co_await a.async_commit();
        EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "all inline";
        EXPECT_FALSE(other_ran) << "resumed inside each call, not through the scheduler";
        co_await net::post(ex, net::deferred);
        EXPECT_TRUE(other_ran);
        EXPECT_EQ(tempio::test::slurp(target), "at once");
    });
}

TEST_F(inline_when_alone, an_atomic_file_destroyed_right_after_an_inline_commit_fails_is_gone) {
    const fs::path target = dir_ / "taken";
    tempio::test::spit(target, "first");
    tempio::run([&]() -> net::awaitable<void> {
        co_await learn_for_atomic_files();
        auto fds = tempio::test::open_fds();
        {
            auto f = co_await tempio::atomic_file::async_create(target, {.replace = false});
            co_await f.async_write("second");
            try {  // the coroutine's own handler (as_tuple's would be posted)
                co_await f.async_commit();
                ADD_FAILURE() << "the target exists";
            } catch (const boost::system::system_error& e) {
                EXPECT_EQ(e.code(), std::errc::file_exists);
            }
        }  // resumed inside the commit: nothing else may still hold the file
        EXPECT_EQ(tempio::test::open_fds(), fds) << "its descriptor is closed";
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"taken"}) << "the temporary is gone";
    });
}

TEST_F(inline_when_alone, a_task_that_throws_after_resuming_at_once_throws_from_run) {
    if (!tempio::detail::platform::memory_fs_probe)
        GTEST_SKIP() << "no memory-file-system test on this platform: nothing runs inline";
    auto jobs = tempio::detail::jobs_run();
    net::io_context ctx;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            co_await f.async_close();
            auto g = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            // Resumed inside the creation: the exception leaves the
            // coroutine there, and reaches run() through co_spawn's handler.
            throw std::runtime_error("the task's own error");
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    EXPECT_THROW(ctx.run(), std::runtime_error);
    EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "all inline";
    EXPECT_TRUE(entries(dir_).empty());
}
