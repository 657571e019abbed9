// DESIGN section 9: on a memory file system (tmpfs), creations, closes and
// an empty directory's removal make their system calls on the calling
// thread (the inline driver), and still complete through a post, never
// inside the initiating call. Off unless TEMPIO_INLINE=on.
#include <linux/magic.h>
#include <sys/vfs.h>

#include <string_view>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "backend/backend.hpp"
#include "backend/inline_driver.hpp"
#include "core/memory_fs.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
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
        if (!is_tmpfs("/dev/shm")) GTEST_SKIP() << "/dev/shm is not tmpfs here";
        dir_ = fs::path(tempio::mkdtemp({.prefix = "inline-test", .dir = "/dev/shm"}));
        fds_ = tempio::test::open_fds();
        tempio::detail::set_inline_dispatch_for_testing(true);
    }
    void TearDown() override {
        tempio::detail::set_inline_dispatch_for_testing(false);
        if (dir_.empty()) return;
        EXPECT_EQ(tempio::test::open_fds(), fds_) << "descriptors leaked";
        fs::remove_all(dir_);
    }
    bool pool() const { return std::string_view(tempio::backend_name()) == "threads"; }

    fs::path dir_;
    std::set<std::string> fds_;
};

}  // namespace

TEST(memory_fs, tmpfs_is_memory_and_a_missing_directory_is_not) {
    if (is_tmpfs("/dev/shm")) {
        EXPECT_TRUE(tempio::detail::on_memory_fs("/dev/shm"));
    }
    EXPECT_FALSE(tempio::detail::on_memory_fs("/no/such/directory"));
    EXPECT_FALSE(tempio::detail::on_memory_fs("/proc"));  // procfs
}

TEST_F(inline_dispatch, a_named_file_is_made_and_deleted_inside_the_calls) {
    net::io_context ctx;
    auto jobs = tempio::detail::jobs_run();
    std::optional<tempio::named_temporary_file> file;
    bool done = false;
    tempio::named_temporary_file::async_create(ctx.get_executor(), {.dir = dir_.native()},
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
    auto jobs = tempio::detail::jobs_run();
    tempio::run([&]() -> net::awaitable<void> {
        auto a = co_await tempio::temporary_file::async_create({.dir = dir_.native()});
        co_await a.async_write("anonymous");
        co_await a.async_close();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_.native()});
        EXPECT_TRUE(fs::is_directory(d.path()));
        co_await d.async_cleanup();
        EXPECT_FALSE(fs::exists(d.path()));
        auto [fd, path] = co_await tempio::async_mkstemp({.dir = dir_.native()});
        EXPECT_TRUE(fd);
        fs::remove(path);
        auto p = co_await tempio::async_mkdtemp({.dir = dir_.native()});
        fs::remove(p);
    });
    EXPECT_EQ(tempio::detail::jobs_run(), jobs) << "no worker hop";
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_dispatch, a_tree_to_clean_still_goes_to_the_pool) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_.native()});
        tempio::test::spit(d.path() / "inside", "x");
        co_await d.async_cleanup();  // rmdir: ENOTEMPTY, then the remover
        EXPECT_FALSE(fs::exists(d.path()));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(inline_dispatch, an_inline_close_leaves_a_file_that_took_the_name) {
    fs::path taken;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_.native()});
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
    tempio::named_temporary_file::async_create(ctx.get_executor(),
                                               {.dir = (dir_ / "missing").native()},
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
    tempio::detail::set_inline_dispatch_for_testing(false);
    auto jobs = tempio::detail::jobs_run();
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_.native()});
        co_await f.async_close();
    });
    // The pool shows it; io_uring makes the calls as ring requests instead.
    if (pool()) {
        EXPECT_GE(tempio::detail::jobs_run(), jobs + 2);
    }
    EXPECT_TRUE(entries(dir_).empty());
}
