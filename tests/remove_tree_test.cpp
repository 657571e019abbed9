// The tree remover behind temporary_directory cleanup (src/core/remove_tree):
// hostile trees, huge trees, and errors. docs/security.md maps each guarantee
// to these tests; the race is in remove_tree_race_concurrency_test.cpp.
#include "core/remove_tree.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "core/sys.hpp"
#include "support/test_dir.hpp"

namespace fs = std::filesystem;
using tempio::detail::remove_tree;
namespace sys = tempio::detail::sys;

namespace {

class remove_tree_test : public tempio::test::test_dir {};

// In a forked child (already checked to be unprivileged): report and fail.
#define CHILD_CHECK(cond)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            std::fprintf(stderr, "%s:%d: child check failed: %s\n", __FILE__, __LINE__, #cond); \
            return 1;                                                                           \
        }                                                                                       \
    } while (0)

// Permission tests mean nothing as root: run `body` as uid 65534 in a child
// (or in-process when the tests already run unprivileged) inside `home`,
// a directory that uid owns. Returns the body's status (0 = passed).
int as_unprivileged(const fs::path& home, const std::function<int()>& body) {
    fs::create_directories(home);
    if (::geteuid() != 0) return body();
    if (::chown(home.c_str(), 65534, 65534) != 0) return 2;
    return tempio::test::run_unprivileged([&] { return ::geteuid() == 0 ? 3 : body(); });
}

void write_file(const fs::path& p, const std::string& text, mode_t mode = 0600) {
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
    return tempio::test::tree_snapshot(dir);
}

// A chain of `depth` directories named `name` below `root`, built fd-relative
// (the full path may exceed PATH_MAX); a file at the bottom.
void make_chain(const fs::path& root, int depth, const std::string& name) {
    fs::create_directory(root);
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    for (int i = 0; i < depth; ++i) {
        ASSERT_EQ(::mkdirat(fd, name.c_str(), 0700), 0) << "level " << i;
        int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        ASSERT_GE(next, 0);
        fd = next;
    }
    int f = ::openat(fd, "bottom.txt", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    ASSERT_GE(f, 0);
    ::close(f);
    ::close(fd);
}

}  // namespace

TEST_F(remove_tree_test, removes_files_nested_and_empty_directories) {
    fs::path root = dir_ / "root";
    fs::create_directories(root / "a" / "b" / "c");
    fs::create_directories(root / "empty");
    write_file(root / "top.txt", "x");
    write_file(root / "a" / "b" / "deep.txt", "y");
    auto r = remove_tree(root);
    EXPECT_FALSE(r.ec) << r.ec.message() << " at " << r.where;
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
    EXPECT_TRUE(fs::exists(dir_)) << "the parent must stay";
}

// CPython's test_modes: files and directories at every mode 000..700, three
// levels deep, root included, removed by an unprivileged owner.
TEST_F(remove_tree_test, every_mode_000_to_700_three_levels_deep_unprivileged) {
    int status = as_unprivileged(dir_ / "home", [&] {
        for (mode_t mode = 0; mode <= 0700; mode += 0100) {
            fs::path root = dir_ / "home" / "root";
            fs::path level = root;
            std::vector<fs::path> dirs{root};
            for (int depth = 0; depth < 3; ++depth) {
                fs::create_directories(level / "sub");
                fs::create_directories(level / "sibling");
                write_file(level / "file0", "0");
                write_file(level / "file1", "1");
                level /= "sub";
                dirs.push_back(level);
            }
            for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
                for (const auto& e : fs::directory_iterator(*it))
                    CHILD_CHECK(::chmod(e.path().c_str(), mode) == 0);
                CHILD_CHECK(::chmod(it->c_str(), mode) == 0);
            }
            auto r = remove_tree(root);
            if (r.ec)
                std::fprintf(stderr, "mode %03o: %s at '%s'\n", mode, r.ec.message().c_str(),
                             r.where.c_str());
            CHILD_CHECK(!r.ec);
            CHILD_CHECK(!fs::exists(fs::symlink_status(root)));
        }
        return 0;
    });
    EXPECT_EQ(status, 0) << "-1: could not drop to uid 65534";
}

// CPython's test_cleanup_with_symlink_modes (gh-91133): links to an outside
// file and directory and dangling links, root at every mode; the targets'
// modes must not change.
TEST_F(remove_tree_test, symlink_targets_keep_their_modes_unprivileged) {
    int status = as_unprivileged(dir_ / "home", [&] {
        fs::path outside = dir_ / "home" / "outside";
        fs::create_directories(outside / "dir1");
        write_file(outside / "file1", "keep me");
        for (mode_t mode = 0; mode <= 0700; mode += 0100) {
            for (const char* target : {"file1", "dir1", "nonexisting"}) {
                fs::path root = dir_ / "home" / "root";
                fs::create_directory(root);
                fs::path t = outside / target;
                ::chmod(t.c_str(), mode);  // fails for the dangling one: fine
                auto before =
                    fs::exists(t) ? snapshot(outside) : std::map<std::string, std::string>{};
                CHILD_CHECK(::symlink(t.c_str(), (root / "symlink").c_str()) == 0);
                CHILD_CHECK(::chmod(root.c_str(), mode) == 0);
                auto r = remove_tree(root);
                CHILD_CHECK(!r.ec);
                CHILD_CHECK(!fs::exists(fs::symlink_status(root)));
                if (!before.empty()) CHILD_CHECK(snapshot(outside) == before);
                ::chmod(t.c_str(), 0700);
            }
        }
        return 0;
    });
    EXPECT_EQ(status, 0) << "-1: could not drop to uid 65534";
}

// CPython's test_cleanup_with_symlink_to_a_directory, with read-only
// directories in the tree and outside, so permission repair is exercised.
TEST_F(remove_tree_test, symlink_to_a_directory_is_not_followed_unprivileged) {
    int status = as_unprivileged(dir_ / "home", [&] {
        fs::path outside = dir_ / "home" / "outside";
        fs::create_directories(outside / "inner");
        write_file(outside / "test0.txt", "canary", 0400);
        write_file(outside / "inner" / "deep.txt", "canary", 0400);
        ::chmod((outside / "inner").c_str(), 0500);
        ::chmod(outside.c_str(), 0500);
        fs::path root = dir_ / "home" / "root";
        fs::create_directories(root / "ro");
        CHILD_CHECK(::symlink(outside.c_str(), (root / "foo").c_str()) == 0);
        CHILD_CHECK(::symlink(outside.c_str(), (root / "ro" / "foo").c_str()) == 0);
        CHILD_CHECK(::symlink((outside / "test0.txt").c_str(), (root / "ro" / "f").c_str()) == 0);
        ::chmod((root / "ro").c_str(), 0500);
        ::chmod(root.c_str(), 0500);
        auto before = snapshot(outside);
        auto r = remove_tree(root);
        CHILD_CHECK(!r.ec);
        CHILD_CHECK(!fs::exists(fs::symlink_status(root)));
        CHILD_CHECK(snapshot(outside) == before);
        return 0;
    });
    EXPECT_EQ(status, 0) << "-1: could not drop to uid 65534";
}

TEST_F(remove_tree_test, dangling_and_looping_symlinks_are_unlinked) {
    fs::path root = dir_ / "root";
    fs::create_directories(root / "d");
    fs::create_symlink("nowhere", root / "dangling");
    fs::create_symlink("loop", root / "loop");
    fs::create_directory_symlink("../d", root / "d" / "up");
    auto r = remove_tree(root);
    EXPECT_FALSE(r.ec) << r.ec.message() << " at " << r.where;
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
}

// A root swapped for a symlink: the link is removed, its target untouched.
TEST_F(remove_tree_test, root_that_is_a_symlink_is_never_followed) {
    fs::create_directories(dir_ / "outside" / "sub");
    write_file(dir_ / "outside" / "canary", "c");
    auto before = snapshot(dir_ / "outside");
    fs::create_directory_symlink(dir_ / "outside", dir_ / "root");
    auto r = remove_tree(dir_ / "root");
    EXPECT_FALSE(r.ec);
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "root")));
    EXPECT_EQ(snapshot(dir_ / "outside"), before);
}

// Special files are unlinked, never opened (opening the FIFO would block).
TEST_F(remove_tree_test, fifo_socket_device_and_read_only_file) {
    fs::path root = dir_ / "root";
    fs::create_directories(root / "sub");
    ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0600), 0);
    ASSERT_EQ(::mkfifo((root / "sub" / "fifo").c_str(), 0000), 0);
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string sock = (root / "sock").string();
    ASSERT_LT(sock.size(), sizeof addr.sun_path);
    sock.copy(addr.sun_path, sock.size());
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(s, 1), 0);  // a live listener: opening it would fail
    write_file(root / "sub" / "readonly", "r", 0400);
    if (::geteuid() == 0) {  // a device node (like /dev/null) needs root
        ASSERT_EQ(::mknod((root / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)), 0);
    }
    auto r = remove_tree(root);
    ::close(s);
    EXPECT_FALSE(r.ec) << r.ec.message() << " at " << r.where;
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
}

// 10,000 levels: no recursion, and the descriptor bound really holds. The
// removal runs in a child whose RLIMIT_NOFILE leaves room for exactly the
// documented bound; one descriptor more would fail with EMFILE.
TEST_F(remove_tree_test, ten_thousand_levels_deep_with_bounded_descriptors) {
    fs::path root = dir_ / "root";
    make_chain(root, 10000, "d");
    pid_t pid = ::fork();
    if (pid == 0) {
        rlim_t in_use = tempio::test::all_open_fds().size() - 1;  // minus the listing's own
        rlim_t limit = in_use + 1 /* parent */ + tempio::detail::max_open_dirs + 2;
        rlimit rl{limit, limit};
        if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(2);
        auto r = remove_tree(root);
        if (r.ec) std::fprintf(stderr, "%s at %.60s\n", r.ec.message().c_str(), r.where.c_str());
        ::_exit(r.ec ? 1 : 0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
}

TEST_F(remove_tree_test, paths_longer_than_path_max) {
    fs::path root = dir_ / "root";
    std::string name(200, 'n');
    make_chain(root, 40, name);  // 40 * 201 bytes > PATH_MAX
    ASSERT_GT(40 * (name.size() + 1), std::size_t{PATH_MAX});
    auto r = remove_tree(root);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
}

// Half hard links to one file, half dangling symlinks: the same work for the
// remover as 100,000 files, at a fraction of the set-up cost.
TEST_F(remove_tree_test, hundred_thousand_entries_in_one_directory) {
    fs::path root = dir_ / "root";
    fs::create_directory(root);
    write_file(root / "file", "f");
    int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    for (int i = 1; i < 100000; ++i) {
        std::string name = std::to_string(i);
        int rc = i % 2 ? ::linkat(fd, "file", fd, name.c_str(), 0)
                       : ::symlinkat("../nowhere", fd, name.c_str());
        ASSERT_EQ(rc, 0) << i;
    }
    ::close(fd);
    auto r = remove_tree(root);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_FALSE(fs::exists(fs::symlink_status(root)));
}

TEST_F(remove_tree_test, twice_and_root_already_gone_are_no_error) {
    fs::path root = dir_ / "root";
    fs::create_directories(root / "a");
    EXPECT_FALSE(remove_tree(root).ec);
    EXPECT_FALSE(remove_tree(root).ec);
    EXPECT_FALSE(remove_tree(dir_ / "missing" / "root").ec);
}

// Fault injection at every system call of a small tree: each failure is
// reported with a path inside the tree (or "" for the root), nothing leaks,
// nothing outside changes, and a second pass removes everything. The failure
// of one file's unlinkat leaves exactly that file behind.
TEST_F(remove_tree_test, every_injected_failure_is_reported_with_its_relative_path) {
    fs::path root = dir_ / "root";
    fs::create_directories(dir_ / "outside");
    write_file(dir_ / "outside" / "canary", "c");
    auto outside = snapshot(dir_ / "outside");
    const std::set<std::string> valid{"", "x", "x/y", "x/y/victim", "x/y/other", "z", "z/f", "top"};
    bool saw_victim = false;
    auto fds = tempio::test::open_fds();
    unsigned long n = 1;
    for (;; ++n) {
        ASSERT_LT(n, 500u) << "the injection never stopped failing";
        fs::create_directories(root / "x" / "y");
        fs::create_directories(root / "z");
        write_file(root / "x" / "y" / "victim", "v");
        write_file(root / "x" / "y" / "other", "o");
        write_file(root / "z" / "f", "f");
        fs::create_directory_symlink(dir_ / "outside", root / "top");
        sys::arm_fault(n, EIO);
        auto r = remove_tree(root);
        bool injected = sys::call_count() >= n;
        sys::disarm_fault();
        EXPECT_EQ(tempio::test::open_fds(), fds) << "call " << n;
        EXPECT_EQ(snapshot(dir_ / "outside"), outside) << "call " << n;
        if (!injected) {
            EXPECT_FALSE(r.ec);
            break;  // n is past the last call: the sweep is complete
        }
        if (r.ec) {
            EXPECT_EQ(r.ec, std::errc::io_error) << "call " << n << " at " << r.where;
            EXPECT_TRUE(valid.count(r.where)) << "call " << n << ": '" << r.where << "'";
        }
        if (r.where == "x/y/victim") {
            saw_victim = true;  // everything else it could remove is gone
            EXPECT_EQ(tempio::test::entries(root), std::vector<std::string>{"x"});
            EXPECT_EQ(tempio::test::entries(root / "x" / "y"), std::vector<std::string>{"victim"});
        }
        auto again = remove_tree(root);
        EXPECT_FALSE(again.ec) << "call " << n << ": " << again.ec.message();
        ASSERT_FALSE(fs::exists(fs::symlink_status(root))) << "call " << n;
    }
    EXPECT_TRUE(saw_victim);
    EXPECT_GT(n, 20u);
}

// The same sweep on a tree deeper than the descriptor bound, so evicting,
// reopening through ".." and its fallback all meet failures.
TEST_F(remove_tree_test, injected_failures_in_a_deep_tree_leak_nothing) {
    fs::path root = dir_ / "root";
    auto fds = tempio::test::open_fds();
    unsigned long n = 1;
    for (;; n += 3) {
        ASSERT_LT(n, 5000u);
        make_chain(root, tempio::detail::max_open_dirs + 4, "d");
        sys::arm_fault(n, EIO);
        auto r = remove_tree(root);
        bool injected = sys::call_count() >= n;
        sys::disarm_fault();
        EXPECT_EQ(tempio::test::open_fds(), fds) << "call " << n;
        if (!injected) break;
        if (r.ec) {
            EXPECT_EQ(r.ec, std::errc::io_error) << "call " << n;
        }
        auto again = remove_tree(root);
        EXPECT_FALSE(again.ec) << "call " << n;
        ASSERT_FALSE(fs::exists(fs::symlink_status(root))) << "call " << n;
    }
    EXPECT_GT(n, 150u);
}
