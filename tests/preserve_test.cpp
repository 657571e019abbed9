// atomic_file::options::preserve (DESIGN section 12): the commit keeps the
// replaced target's mode (the default), and on request its owner and its
// extended attributes (user attributes, POSIX ACLs). Attributes are tested
// where the test directory's file system takes them (ext4 /tmp; tmpfs since
// Linux 6.6 for user attributes), else skipped.
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

class preserve : public tempio::test::test_dir {};

auto tup() {
    return net::as_tuple(net::deferred);
}

std::string xattr_of(const fs::path& p, const char* name) {
    char buf[4096];
    ssize_t n = ::getxattr(p.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string("<none>") : std::string(buf, static_cast<std::size_t>(n));
}

mode_t new_file_mode() {
    mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

}  // namespace

TEST_F(preserve, the_mode_by_default_and_not_when_told) {
    tempio::run([&]() -> net::awaitable<void> {
        spit(dir_ / "kept", "old");
        fs::permissions(dir_ / "kept", fs::perms(0640));
        co_await tempio::async_write_file_atomically(dir_ / "kept", "new");
        EXPECT_EQ(mode_of(dir_ / "kept") & 07777, 0640u);
        tempio::atomic_file::options fresh{.preserve = {.mode = false}};
        co_await tempio::async_write_file_atomically(dir_ / "kept", "newer", fresh);
        EXPECT_EQ(mode_of(dir_ / "kept") & 07777, new_file_mode());
        EXPECT_EQ(slurp(dir_ / "kept"), "newer");
    });
}

TEST_F(preserve, user_attributes_and_the_acl_are_kept_when_asked) {
    if (!tempio::can_copy_extended_attributes())
        GTEST_SKIP() << "no extended attributes to copy on " << tempio::platform_name();
    spit(dir_ / "config", "old");
    if (::setxattr((dir_ / "config").c_str(), "user.origin", "tempio", 6, 0) != 0)
        GTEST_SKIP() << "no user attributes on " << dir_ << ": " << std::strerror(errno);
    const bool acl =
        std::system(
            ("setfacl -m u:65534:r " + (dir_ / "config").native() + " 2>/dev/null").c_str()) == 0;
    const std::string acl_before = xattr_of(dir_ / "config", "system.posix_acl_access");
    const mode_t mode_before = mode_of(dir_ / "config") & 07777;
    tempio::run([&]() -> net::awaitable<void> {
        tempio::atomic_file::options keep{.preserve = {.xattrs = true}};
        co_await tempio::async_write_file_atomically(dir_ / "config", "new", keep);
    });
    EXPECT_EQ(slurp(dir_ / "config"), "new");
    EXPECT_EQ(xattr_of(dir_ / "config", "user.origin"), "tempio");
    if (acl) {
        EXPECT_EQ(xattr_of(dir_ / "config", "system.posix_acl_access"), acl_before);
        EXPECT_NE(acl_before, "<none>");
    } else {
        std::cout << "[preserve] " << dir_ << " takes no ACL: only the attributes are checked\n";
    }
    EXPECT_EQ(mode_of(dir_ / "config") & 07777, mode_before);
    // Not asked: a new file carries none of them.
    tempio::run([&]() -> net::awaitable<void> {
        co_await tempio::async_write_file_atomically(dir_ / "config", "newer");
    });
    EXPECT_EQ(xattr_of(dir_ / "config", "user.origin"), "<none>");
    EXPECT_EQ(xattr_of(dir_ / "config", "system.posix_acl_access"), "<none>");
}

TEST_F(preserve, the_owner_when_privileged) {
    if (::geteuid() != 0) GTEST_SKIP() << "giving a file away needs root";
    spit(dir_ / "owned", "old");
    ASSERT_EQ(::chown((dir_ / "owned").c_str(), 4321, 4322), 0);
    ASSERT_EQ(::chmod((dir_ / "owned").c_str(), 06755), 0);  // set-id bits survive the chown
    tempio::run([&]() -> net::awaitable<void> {
        tempio::atomic_file::options keep{.preserve = {.owner = true}};
        co_await tempio::async_write_file_atomically(dir_ / "owned", "new", keep);
    });
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 4322u);
    EXPECT_EQ(st.st_mode & 07777, 06755u);
    EXPECT_EQ(slurp(dir_ / "owned"), "new");
}

// Unprivileged, the owner cannot be kept: ignored, or (strict) the commit
// fails and the target keeps its old content.
TEST_F(preserve, the_owner_unprivileged_is_skipped_or_strictly_refused) {
    spit(dir_ / "roots", "old");
    ASSERT_EQ(::chmod((dir_ / "roots").c_str(), 0666), 0);
    ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
    int status = tempio::test::run_unprivileged([&] {
        int failures = 0;
        tempio::run([&]() -> net::awaitable<void> {
            tempio::atomic_file::options strict{.preserve = {.owner = true, .strict = true}};
            auto [ec] = co_await tempio::async_write_file_atomically(dir_ / "roots", "strict",
                                                                     strict, tup());
            if (ec != std::errc::operation_not_permitted) ++failures;
            if (slurp(dir_ / "roots") != "old") ++failures;
            tempio::atomic_file::options lenient{.preserve = {.owner = true}};
            auto [ec2] = co_await tempio::async_write_file_atomically(dir_ / "roots", "lenient",
                                                                      lenient, tup());
            if (ec2) ++failures;
            if (slurp(dir_ / "roots") != "lenient") ++failures;
        });
        return failures;
    });
    if (status == -1) GTEST_SKIP() << "needs root to drop to another uid";
    EXPECT_EQ(status, 0);
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "roots").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u);  // the unprivileged writer's, not root's
}
