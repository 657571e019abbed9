// The core's part of issues 16 and 11: O_TMPFILE refused by one file system
// (16.6), set_tempdir with a NUL (16.9), names after a raw fork (16.10),
// named files deleted only while their name is still theirs (16.11), errors
// in system_category() (11.2), and file_core::sync (11.6).
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/create.hpp"
#include "core/file_core.hpp"
#include "core/names.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
namespace sys = tempio::detail::sys;
using tempio::error_code;
using tempio::test::entries;
using namespace tempio::detail;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

error_code system(int e) {
    return error_code(e, boost::system::system_category());
}

auto tuple() {
    return net::as_tuple(net::deferred);
}

// Runs `body` in a forked child (state such as "O_TMPFILE refused here"
// stays there); the child's gtest failures are printed by the child and
// make its exit status non-zero.
int in_child(const std::function<void()>& body) {
    std::cout.flush();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            body();
        } catch (const std::exception& e) {
            ADD_FAILURE() << "exception in the child: " << e.what();
        }
        std::cout.flush();
        std::fflush(nullptr);
        ::_exit(::testing::Test::HasFailure() ? 1 : 0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Names drawn while installed (the generator replaced by a counter).
std::atomic<int> g_drawn{0};
void counting_source(std::string& out) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "n%07d", g_drawn.fetch_add(1) + 1);
    out += buf;
}
struct count_names {
    count_names() {
        g_drawn = 0;
        set_name_source_for_testing(counting_source);
    }
    ~count_names() { set_name_source_for_testing(nullptr); }
};

class core_hardening : public tempio::test::test_dir {
  protected:
    file_request request(file_kind kind, const std::string& dir) const {
        file_request r;
        r.kind = kind;
        r.names = {"tmp", "", dir};
        return r;
    }
    std::shared_ptr<file_core> anonymous_in(const std::string& dir, error_code& ec) const {
        return file_core::create(request(file_kind::anonymous, dir), ec);
    }
};

}  // namespace

// ---- 16.6: O_TMPFILE refused by one file system ------------------------------------

TEST_F(core_hardening, a_directory_without_o_tmpfile_reports_it_and_turns_nothing_off) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    int status = in_child([&] {
        error_code ec;
        auto f = anonymous_in("/proc", ec);  // procfs: EOPNOTSUPP, and makes no files
        EXPECT_EQ(f, nullptr);
        EXPECT_EQ(ec, system(EOPNOTSUPP)) << ec.message() << " hides EOPNOTSUPP";
        EXPECT_FALSE(tmpfile_unsupported()) << "one file system turned it off everywhere";
        count_names names;
        auto g = anonymous_in(dir_.string(), ec);
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_EQ(g_drawn.load(), 0) << "created with a name: O_TMPFILE not used";
    });
    EXPECT_EQ(status, 0);
}

TEST_F(core_hardening, through_the_async_api_too_on_either_backend) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    int status = in_child([&] {
        tempio::run([&]() -> net::awaitable<void> {
            auto [ec, f] =
                co_await tempio::temporary_file::async_create({.dir = fs::path("/proc")}, tuple());
            EXPECT_EQ(ec, system(EOPNOTSUPP)) << ec.message();
            count_names names;
            auto g = co_await tempio::temporary_file::async_create({.dir = dir_});
            EXPECT_EQ(g_drawn.load(), 0) << "O_TMPFILE turned off by /proc";
            co_await g.async_close();
        });
        EXPECT_FALSE(tmpfile_unsupported());
    });
    EXPECT_EQ(status, 0);
}

TEST_F(core_hardening, a_refusal_is_remembered_for_that_file_system_only) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    fs::path other = "/dev/shm";
    struct stat a {
    }, b{};
    if (::stat(dir_.c_str(), &a) != 0 || ::stat(other.c_str(), &b) != 0 || a.st_dev == b.st_dev)
        GTEST_SKIP() << "needs /dev/shm on another file system than " << dir_;
    int status = in_child([&] {
        error_code ec;
        {
            count_names names;
            sys::arm_fault(1, EOPNOTSUPP);  // the O_TMPFILE open: "not here"
            auto f = anonymous_in(dir_.string(), ec);
            sys::disarm_fault();
            ASSERT_FALSE(ec) << ec.message();
            EXPECT_EQ(g_drawn.load(), 1) << "created and unlinked instead";
            EXPECT_TRUE(entries(dir_).empty());
        }
        EXPECT_FALSE(tmpfile_unsupported());
        {
            // Remembered: no second O_TMPFILE attempt there (statx,
            // open a name, unlink).
            count_names names;
            sys::arm_fault(0, 0);
            auto f = anonymous_in(dir_.string(), ec);
            unsigned long calls = sys::call_count();
            sys::disarm_fault();
            ASSERT_FALSE(ec) << ec.message();
            EXPECT_EQ(g_drawn.load(), 1);
            EXPECT_EQ(calls, 3u);
        }
        {
            count_names names;
            auto f = anonymous_in(other.string(), ec);
            ASSERT_FALSE(ec) << ec.message();
            EXPECT_EQ(g_drawn.load(), 0) << "another file system keeps O_TMPFILE";
        }
    });
    EXPECT_EQ(status, 0);
}

TEST_F(core_hardening, only_eisdir_turns_o_tmpfile_off_for_the_process) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    int status = in_child([&] {
        error_code ec;
        sys::arm_fault(1, EISDIR);  // a kernel before 3.11 read O_TMPFILE as O_DIRECTORY
        auto f = anonymous_in(dir_.string(), ec);
        sys::disarm_fault();
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_TRUE(tmpfile_unsupported());
        EXPECT_TRUE(entries(dir_).empty());
    });
    EXPECT_EQ(status, 0);
}

TEST_F(core_hardening, the_fallback_never_leaves_its_file_in_an_append_only_directory) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    fs::path ao = dir_ / "append-only";
    fs::create_directory(ao);
    int fd = ::open(ao.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    int flags = 0;
    bool set = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
               (flags |= FS_APPEND_FL, ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0);
    if (!set) {
        ::close(fd);
        GTEST_SKIP() << "cannot make a directory append-only here (needs CAP_LINUX_IMMUTABLE)";
    }
    int status = in_child([&] {
        error_code ec;
        sys::arm_fault(1, EOPNOTSUPP);  // O_TMPFILE refused: the fallback must run
        auto f = anonymous_in(ao.string(), ec);
        sys::disarm_fault();
        EXPECT_EQ(f, nullptr);
        EXPECT_EQ(ec, system(EPERM)) << ec.message();
        EXPECT_TRUE(entries(ao).empty()) << "a name nobody can remove was left";
    });
    flags &= ~FS_APPEND_FL;
    ::ioctl(fd, FS_IOC_SETFLAGS, &flags);
    ::close(fd);
    EXPECT_EQ(status, 0);
    for (const auto& name : entries(ao)) fs::remove(ao / name);
}

TEST_F(core_hardening, a_fallback_unlink_that_fails_closes_and_tries_once_more) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    int status = in_child([&] {
        error_code ec;
        sys::arm_fault(1, EOPNOTSUPP);  // dir_'s file system refuses O_TMPFILE
        anonymous_in(dir_.string(), ec);
        sys::disarm_fault();
        ASSERT_FALSE(ec);
        // Now: statx, open a name, unlink (fails), close, unlink.
        sys::arm_fault(3, EIO);
        auto f = anonymous_in(dir_.string(), ec);
        sys::disarm_fault();
        EXPECT_EQ(f, nullptr);
        EXPECT_EQ(ec, system(EIO)) << ec.message();
        EXPECT_TRUE(entries(dir_).empty());
    });
    EXPECT_EQ(status, 0);
}

// ---- 16.9: set_tempdir with a NUL ----------------------------------------------------

TEST_F(core_hardening, set_tempdir_refuses_an_embedded_nul_and_changes_nothing) {
    tempio::set_tempdir(dir_);
    try {
        tempio::set_tempdir(std::string("/tmp\0/private-dir", 18));
        ADD_FAILURE() << "accepted";
    } catch (const boost::system::system_error& e) {
        EXPECT_EQ(e.code(), system(EINVAL));
        EXPECT_EQ(e.code(), net::error::invalid_argument);
        EXPECT_EQ(e.code(), std::errc::invalid_argument);
    }
    EXPECT_EQ(tempio::gettempdir(), dir_);
    // The dir option says the same.
    error_code ec;
    auto f = file_core::create(request(file_kind::named, std::string("/tmp\0/x", 7)), ec);
    EXPECT_EQ(ec, system(EINVAL));
    tempio::set_tempdir({});
}

// ---- 16.10: names after a raw fork -----------------------------------------------------

TEST_F(core_hardening, names_differ_after_a_fork_that_runs_no_atfork_handler) {
    std::string warm;
    append_random_name(warm);  // this thread's generator is seeded
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    constexpr int count = 16;
    long pid = ::syscall(SYS_fork);  // no pthread_atfork handlers
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string names;
        for (int i = 0; i < count; ++i) append_random_name(names);
        ssize_t n = ::write(pipefd[1], names.data(), names.size());
        ::_exit(n == static_cast<ssize_t>(names.size()) ? 0 : 1);
    }
    ::close(pipefd[1]);
    std::string parent;
    for (int i = 0; i < count; ++i) append_random_name(parent);
    std::string child(parent.size(), '\0');
    std::size_t got = 0;
    while (got < child.size()) {
        ssize_t n = ::read(pipefd[0], child.data() + got, child.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(pipefd[0]);
    int status = 0;
    ::waitpid(static_cast<pid_t>(pid), &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ASSERT_EQ(got, child.size());
    int same = 0;
    for (int i = 0; i < count; ++i)
        same +=
            parent.compare(i * name_length, name_length, child, i * name_length, name_length) == 0;
    EXPECT_EQ(same, 0) << "the child walks the parent's sequence";
}

// ---- 16.11: delete only what is still ours ----------------------------------------------

TEST_F(core_hardening, close_leaves_an_unrelated_file_that_took_the_name) {
    error_code ec;
    auto f = file_core::create(request(file_kind::named, dir_.string()), ec);
    ASSERT_FALSE(ec);
    fs::path name = f->path(), moved = dir_ / "moved";
    fs::rename(name, moved);
    spit(name, "unrelated");
    f->close(ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(slurp(name), "unrelated") << "deleted someone else's file";
    EXPECT_TRUE(fs::exists(moved));
    f.reset();
    EXPECT_EQ(slurp(name), "unrelated");
    fs::remove(name);
    fs::remove(moved);
}

TEST_F(core_hardening, a_symlink_under_the_name_is_not_ours_either) {
    error_code ec;
    auto f = file_core::create(request(file_kind::named, dir_.string()), ec);
    ASSERT_FALSE(ec);
    fs::path name = f->path(), moved = dir_ / "moved";
    fs::rename(name, moved);
    fs::create_symlink(moved, name);  // points at our file: still not our name
    f->close(ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(fs::is_symlink(name));
    fs::remove(name);
    fs::remove(moved);
}

TEST_F(core_hardening, async_close_and_destructor_leave_an_unrelated_file) {
    for (bool delete_on_close : {true, false}) {
        SCOPED_TRACE(delete_on_close ? "delete_on_close" : "deleted by the destructor");
        fs::path name, moved = dir_ / "moved";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::named_temporary_file::async_create(
                {.dir = dir_, .delete_on_close = delete_on_close});
            co_await f.async_write("ours");
            name = f.path();
            fs::rename(name, moved);
            spit(name, "unrelated");
            co_await f.async_close();
            EXPECT_EQ(slurp(name), "unrelated");
        });  // destroyed
        EXPECT_EQ(slurp(name), "unrelated") << "deleted someone else's file";
        EXPECT_EQ(slurp(moved), "ours");
        fs::remove(name);
        fs::remove(moved);
    }
}

TEST_F(core_hardening, a_direct_close_removes_the_name_only_if_it_is_still_the_file) {
    // A direct close (close(fd), then the name's removal as steps, on the
    // ring or the pool) checks the name's identity as close() does.
    error_code ec;
    auto f = file_core::create(request(file_kind::named, dir_.string()), ec);
    ASSERT_FALSE(ec);
    ASSERT_TRUE(f->removes_name_after_close());
    std::string unwritten;
    std::int64_t start = 0;
    int fd = f->begin_direct_close(unwritten, start);
    ASSERT_GE(fd, 0);
    ::close(fd);
    EXPECT_FALSE(f->is_open());
    // Another file takes the name between the close and the removal.
    std::string stranger = (dir_ / "stranger").string();
    spit(stranger, "not yours");
    ASSERT_EQ(::rename(stranger.c_str(), f->path().c_str()), 0);
    remove_name_steps removing = f->name_removal();
    run_steps(removing);
    EXPECT_FALSE(removing.error());
    f->note_name_removed(removing.error());
    EXPECT_EQ(slurp(f->path()), "not yours") << "someone else's file is left alone";
    std::string taken = f->path();
    f.reset();
    EXPECT_EQ(slurp(taken), "not yours");
    fs::remove(taken);

    // Still its own name: removed.
    auto g = file_core::create(request(file_kind::named, dir_.string()), ec);
    ASSERT_FALSE(ec);
    fd = g->begin_direct_close(unwritten, start);
    ASSERT_GE(fd, 0);
    ::close(fd);
    removing = g->name_removal();
    run_steps(removing);
    EXPECT_FALSE(removing.error());
    g->note_name_removed(removing.error());
    EXPECT_FALSE(fs::exists(g->path()));

    // Kept at close: nothing to remove.
    auto r = request(file_kind::named, dir_.string());
    r.delete_on_close = false;
    auto h = file_core::create(std::move(r), ec);
    ASSERT_FALSE(ec);
    EXPECT_FALSE(h->removes_name_after_close());
    fd = h->begin_direct_close(unwritten, start);
    ASSERT_GE(fd, 0);
    ::close(fd);
    EXPECT_TRUE(fs::exists(h->path()));
    h.reset();  // the destructor deletes it (checked)
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(core_hardening, an_adopted_file_is_checked_too) {
    std::string path = (dir_ / "adopted").string();
    tempio::unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    error_code ec;
    auto f = file_core::adopt(request(file_kind::named, dir_.string()), {true, true, false},
                              std::move(fd), path, ec);
    ASSERT_FALSE(ec) << ec.message();
    fs::rename(path, dir_ / "moved");
    spit(path, "unrelated");
    f->close(ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(slurp(path), "unrelated");
    fs::remove(path);
    fs::remove(dir_ / "moved");
}

TEST_F(core_hardening, an_adoption_whose_fstat_fails_leaves_nothing) {
    std::string path = (dir_ / "adopted").string();
    tempio::unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    error_code ec;
    sys::arm_fault(1, EIO);
    auto f = file_core::adopt(request(file_kind::named, dir_.string()), {true, true, false},
                              std::move(fd), path, ec);
    sys::disarm_fault();
    EXPECT_EQ(f, nullptr);
    EXPECT_EQ(ec, system(EIO));
    EXPECT_TRUE(entries(dir_).empty());  // and the test fixture checks no descriptor is left
}

TEST_F(core_hardening, a_creation_whose_fstat_fails_leaves_nothing) {
    error_code ec;
    sys::arm_fault(2, ENOMEM);  // open the name, then fstat
    auto f = file_core::create(request(file_kind::named, dir_.string()), ec);
    sys::disarm_fault();
    EXPECT_EQ(f, nullptr);
    EXPECT_EQ(ec, system(ENOMEM));
    EXPECT_TRUE(entries(dir_).empty());
}

// ---- 11.2: errors in system_category() ----------------------------------------------------

TEST_F(core_hardening, errors_compare_equal_to_asio_and_std_errc) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        auto [ec, n] = co_await f.async_write("x", tuple());
        EXPECT_EQ(ec, net::error::bad_descriptor) << ec.to_string();
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
        auto [ec2, g] =
            co_await tempio::temporary_file::async_create({.mode = "rw", .dir = dir_}, tuple());
        EXPECT_EQ(ec2, net::error::invalid_argument) << ec2.to_string();
        EXPECT_EQ(ec2, std::errc::invalid_argument);
    });
    // And straight from the core: every kind of error it makes itself.
    error_code ec;
    auto bad_mode = request(file_kind::named, dir_.string());
    bad_mode.mode = "q";
    EXPECT_EQ(file_core::create(bad_mode, ec), nullptr);
    EXPECT_EQ(ec, net::error::invalid_argument);
    auto bad_prefix = request(file_kind::spooled, dir_.string());
    bad_prefix.names.prefix = "a/b";
    EXPECT_EQ(file_core::create_spooled(bad_prefix, ec), nullptr);
    EXPECT_EQ(ec, net::error::invalid_argument);
    auto f = file_core::create_spooled(request(file_kind::spooled, dir_.string()), ec);
    f->seek(0, 7, ec);
    EXPECT_EQ(ec, net::error::invalid_argument);
    f->close(ec);
    f->rollover(ec);
    EXPECT_EQ(ec, net::error::bad_descriptor);
    f->read(1, ec);
    EXPECT_EQ(ec, net::error::bad_descriptor);
}

// ---- 11.6: sync --------------------------------------------------------------------------

TEST_F(core_hardening, sync_flushes_the_buffer_then_syncs) {
    for (bool data_only : {false, true}) {
        error_code ec;
        auto f = file_core::create(request(file_kind::named, dir_.string()), ec);
        ASSERT_FALSE(ec);
        f->write("buffered", 8, ec);
        EXPECT_EQ(slurp(f->path()), "") << "still in the user-space buffer";
        sys::arm_fault(0, 0);
        f->sync(data_only, ec);
        EXPECT_EQ(sys::call_count(), 2u) << "write, then fsync/fdatasync";
        sys::disarm_fault();
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(slurp(f->path()), "buffered");
        // Through the seam: a failing fsync is reported.
        f->write("more", 4, ec);
        sys::arm_fault(2, EIO);
        f->sync(data_only, ec);
        sys::disarm_fault();
        EXPECT_EQ(ec, system(EIO));
        f->close(ec);
        f->sync(data_only, ec);
        EXPECT_EQ(ec, net::error::bad_descriptor);
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    }
}

TEST_F(core_hardening, sync_in_memory_does_nothing) {
    error_code ec;
    auto f = file_core::create_spooled(request(file_kind::spooled, dir_.string()), ec);
    f->write("abc", 3, ec);
    sys::arm_fault(0, 0);
    f->sync(false, ec);
    EXPECT_FALSE(ec);
    f->sync(true, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(sys::call_count(), 0u);
    sys::disarm_fault();
    EXPECT_TRUE(f->in_memory());
    EXPECT_TRUE(f->sync_is_free());
}
