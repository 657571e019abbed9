// mkstemp / mkdtemp: CPython's TestMkstemp, TestMkstempInner, TestMkdtemp,
// plus the bad-input and collision cases of the contract.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "core/names.hpp"
#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/mkstemp.hpp"
#include "tempio/tempdir.hpp"

namespace fs = std::filesystem;
using tempio::error_code;
using tempio::test::entries;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

class mkstemp : public tempio::test::test_dir {};
class mkdtemp : public tempio::test::test_dir {};

// A name source that yields "aaaaaaaa" twice, then "bbbbbbbb".
int g_calls = 0;
void colliding_source(std::string& out) {
    out += (g_calls++ < 2) ? "aaaaaaaa" : "bbbbbbbb";
}
struct scoped_source {
    explicit scoped_source(tempio::detail::name_source s) {
        g_calls = 0;
        tempio::detail::set_name_source_for_testing(s);
    }
    ~scoped_source() { tempio::detail::set_name_source_for_testing(nullptr); }
};

}  // namespace

TEST_F(mkstemp, creates_prefix_random_suffix_in_dir) {
    auto [fd, path] = tempio::mkstemp({.suffix = ".dat", .prefix = "pre-", .dir = dir_});
    ASSERT_TRUE(fd);
    EXPECT_TRUE(path.is_absolute());
    EXPECT_EQ(path.parent_path(), dir_);
    EXPECT_TRUE(std::regex_match(path.filename().string(), std::regex("^pre-[a-z0-9_]{8}\\.dat$")));
    EXPECT_TRUE(fs::is_regular_file(path));
    fs::remove(path);
}

TEST_F(mkstemp, prefix_suffix_combinations) {
    struct {
        const char* prefix;
        const char* suffix;
    } cases[] = {{"", ""}, {"aa", ""}, {"", "bb"}, {"aa", "bb"}, {"tmp", ".txt"}};
    for (auto c : cases) {
        auto [fd, path] = tempio::mkstemp({.suffix = c.suffix, .prefix = c.prefix, .dir = dir_});
        std::string name = path.filename().string();
        EXPECT_EQ(name.size(), std::string(c.prefix).size() + 8 + std::string(c.suffix).size());
        EXPECT_EQ(name.rfind(c.prefix, 0), 0u);
        EXPECT_TRUE(name.ends_with(c.suffix));
        fs::remove(path);
    }
}

TEST_F(mkstemp, default_dir_is_gettempdir) {
    auto [fd, path] = tempio::mkstemp();
    EXPECT_EQ(path.parent_path(), tempio::gettempdir());
    EXPECT_TRUE(path.filename().string().starts_with("tmp"));
    fs::remove(path);
}

TEST_F(mkstemp, relative_dir_gives_an_absolute_path) {
    auto cwd = fs::current_path();
    fs::current_path(dir_);
    auto [fd, path] = tempio::mkstemp({.dir = "."});
    fs::current_path(cwd);
    EXPECT_TRUE(path.is_absolute());
    EXPECT_EQ(path.parent_path(), dir_);
}

// A thread reuses the names it resolved last (core/create.cpp), but never
// for a relative dir: the working directory may have changed.
TEST_F(mkstemp, a_relative_dir_follows_the_working_directory) {
    fs::create_directories(dir_ / "one" / "sub");
    fs::create_directories(dir_ / "two" / "sub");
    auto cwd = fs::current_path();
    fs::current_path(dir_ / "one");
    auto [fd1, first] = tempio::mkstemp({.dir = "sub"});
    fs::current_path(dir_ / "two");
    auto [fd2, second] = tempio::mkstemp({.dir = "sub"});
    fs::current_path(cwd);
    EXPECT_EQ(first.parent_path(), dir_ / "one" / "sub");
    EXPECT_EQ(second.parent_path(), dir_ / "two" / "sub");
    fd1.reset();  // closed first: on Windows an open file's name stays until it closes
    fd2.reset();
    fs::remove_all(dir_ / "one");
    fs::remove_all(dir_ / "two");
}

// Nor is a request checked less for following one that succeeded.
TEST_F(mkstemp, each_creation_uses_and_checks_its_own_affixes) {
    auto [fd1, plain] = tempio::mkstemp({.suffix = ".s", .prefix = "p", .dir = dir_});
    auto [fd2, other] = tempio::mkstemp({.suffix = ".t", .prefix = "q", .dir = dir_});
    EXPECT_TRUE(plain.filename().string().starts_with("p"));
    EXPECT_TRUE(plain.filename().string().ends_with(".s"));
    EXPECT_TRUE(other.filename().string().starts_with("q"));
    EXPECT_TRUE(other.filename().string().ends_with(".t"));
    tempio::error_code ec;
    tempio::mkstemp({.suffix = ".s", .prefix = "p/", .dir = dir_}, ec);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    tempio::mkstemp({.suffix = "/.s", .prefix = "p", .dir = dir_}, ec);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    fd1.reset();  // closed first: on Windows an open file's name stays until it closes
    fd2.reset();
    fs::remove(plain);
    fs::remove(other);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(mkstemp, mode_0600_cloexec_and_read_write) {
    auto [fd, path] = tempio::mkstemp({.dir = dir_});
    if (tempio::test::has_posix_modes()) {
        EXPECT_EQ(mode_of(path), 0600u);
    }
    EXPECT_TRUE(::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC);
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_ACCMODE, O_RDWR);
    ASSERT_EQ(::write(fd.get(), "blat", 4), 4);
    ASSERT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    char buf[4];
    ASSERT_EQ(::read(fd.get(), buf, 4), 4);
    EXPECT_EQ(std::string(buf, 4), "blat");
}

TEST_F(mkstemp, text_mode_round_trips_too) {
    auto [fd, path] = tempio::mkstemp({.dir = dir_, .text = true});
    ASSERT_EQ(::write(fd.get(), "line\n", 5), 5);
    char buf[5];
    ASSERT_EQ(::pread(fd.get(), buf, 5, 0), 5);
    EXPECT_EQ(std::string(buf, 5), "line\n");
}

TEST_F(mkstemp, hundred_at_once_are_distinct) {
    std::set<std::string> names;
    std::vector<tempio::mkstemp_result> open;
    for (int i = 0; i < 100; ++i) {
        open.push_back(tempio::mkstemp({.dir = dir_}));
        EXPECT_TRUE(names.insert(open.back().path.string()).second);
    }
    EXPECT_EQ(entries(dir_).size(), 100u);
}

TEST_F(mkstemp, collision_with_a_file_takes_the_next_name) {
    { std::ofstream(dir_ / "tmpaaaaaaaa") << "existing"; }
    scoped_source s(colliding_source);
    auto [fd, path] = tempio::mkstemp({.dir = dir_});
    EXPECT_EQ(path.filename(), "tmpbbbbbbbb");
    EXPECT_EQ(fs::file_size(dir_ / "tmpaaaaaaaa"), 8u) << "existing file untouched";
}

TEST_F(mkstemp, collision_with_a_directory_takes_the_next_name) {
    fs::create_directory(dir_ / "tmpaaaaaaaa");
    scoped_source s(colliding_source);
    auto [fd, path] = tempio::mkstemp({.dir = dir_});
    EXPECT_EQ(path.filename(), "tmpbbbbbbbb");
}

TEST_F(mkstemp, collision_with_a_symlink_is_never_followed) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    fs::create_symlink(dir_ / "target", dir_ / "tmpaaaaaaaa");
    scoped_source s(colliding_source);
    auto [fd, path] = tempio::mkstemp({.dir = dir_});
    EXPECT_EQ(path.filename(), "tmpbbbbbbbb");
    EXPECT_FALSE(fs::exists(dir_ / "target"));
}

TEST_F(mkstemp, gives_up_with_eexist_after_tmp_max_tries) {
    { std::ofstream(dir_ / "tmpaaaaaaaa"); }
    scoped_source s([](std::string& out) { out += "aaaaaaaa"; });
    error_code ec;
    auto r = tempio::mkstemp({.dir = dir_}, ec);
    EXPECT_EQ(ec, std::errc::file_exists);
    EXPECT_FALSE(r.fd);
    EXPECT_EQ(entries(dir_).size(), 1u);
}

TEST_F(mkstemp, bad_prefix_or_suffix_is_invalid_argument_and_creates_nothing) {
    using namespace std::string_view_literals;
    for (auto bad : {"a/b"sv, "../x"sv, "/"sv, "nul\0byte"sv}) {
        error_code ec;
        tempio::mkstemp({.prefix = bad, .dir = dir_}, ec);
        EXPECT_EQ(ec, boost::system::errc::invalid_argument);
        tempio::mkstemp({.suffix = bad, .dir = dir_}, ec);
        EXPECT_EQ(ec, boost::system::errc::invalid_argument);
        tempio::mkdtemp({.prefix = bad, .dir = dir_}, ec);
        EXPECT_EQ(ec, boost::system::errc::invalid_argument);
    }
    EXPECT_THROW(tempio::mkstemp({.prefix = "a/b", .dir = dir_}), tempio::system_error);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(mkstemp, missing_dir_is_enoent) {
    error_code ec;
    tempio::mkstemp({.dir = dir_ / "missing"}, ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    tempio::mkdtemp({.dir = dir_ / "missing"}, ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(mkstemp, dir_that_is_a_file_is_enotdir) {
    { std::ofstream(dir_ / "file"); }
    error_code ec;
#ifdef _WIN32
    // Windows says a path through a file is not found (CPython there too).
    const auto not_a_directory = std::errc::no_such_file_or_directory;
#else
    const auto not_a_directory = std::errc::not_a_directory;
#endif
    tempio::mkstemp({.dir = dir_ / "file"}, ec);
    EXPECT_EQ(ec, not_a_directory);
    tempio::mkdtemp({.dir = dir_ / "file"}, ec);
    EXPECT_EQ(ec, not_a_directory);
    EXPECT_EQ(entries(dir_).size(), 1u);
}

TEST_F(mkstemp, read_only_dir_is_eacces_for_an_unprivileged_user) {
    fs::path ro = dir_ / "ro";
    fs::create_directory(ro);
    fs::permissions(dir_, fs::perms::all);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                            fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
    int status = tempio::test::run_unprivileged([&] {
        error_code e1, e2;
        tempio::mkstemp({.dir = ro}, e1);
        tempio::mkdtemp({.dir = ro}, e2);
        if (e1.value() != EACCES) return 1;
        if (e2.value() != EACCES) return 2;
        return 0;
    });
    if (status == -1) GTEST_SKIP() << "not root: cannot drop to uid 65534";
    EXPECT_EQ(status, 0) << "1/2: mkstemp/mkdtemp did not fail with EACCES; 98/99: setuid failed";
    EXPECT_TRUE(entries(ro).empty());
}

TEST_F(mkdtemp, creates_a_0700_directory) {
    fs::path d = tempio::mkdtemp({.suffix = "-s", .prefix = "p-", .dir = dir_});
    EXPECT_TRUE(fs::is_directory(d));
    EXPECT_TRUE(d.is_absolute());
    if (tempio::test::has_posix_modes()) {
        EXPECT_EQ(mode_of(d), 0700u);
    }
    EXPECT_TRUE(std::regex_match(d.filename().string(), std::regex("^p-[a-z0-9_]{8}-s$")));
}

TEST_F(mkdtemp, collision_with_a_file_or_directory_takes_the_next_name) {
    { std::ofstream(dir_ / "tmpaaaaaaaa"); }
    scoped_source s(colliding_source);
    EXPECT_EQ(tempio::mkdtemp({.dir = dir_}).filename(), "tmpbbbbbbbb");
    fs::remove(dir_ / "tmpbbbbbbbb");
    fs::remove(dir_ / "tmpaaaaaaaa");
    fs::create_directory(dir_ / "tmpaaaaaaaa");
    scoped_source s2(colliding_source);
    EXPECT_EQ(tempio::mkdtemp({.dir = dir_}).filename(), "tmpbbbbbbbb");
}

TEST_F(mkdtemp, hundred_at_once_are_distinct) {
    std::set<fs::path> made;
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(made.insert(tempio::mkdtemp({.dir = dir_})).second);
    EXPECT_EQ(entries(dir_).size(), 100u);
}

TEST_F(mkstemp, injected_open_failure_is_reported_and_creates_nothing) {
    namespace sys = tempio::detail::sys;
    std::string warm;
    tempio::detail::append_random_name(warm);  // this thread's generator is seeded
    for (int err : {EIO, ENOSPC, EMFILE, EACCES}) {
        sys::arm_fault(1, err);
        error_code ec;
        auto r = tempio::mkstemp({.dir = dir_}, ec);
        sys::disarm_fault();
        EXPECT_EQ(ec, tempio::detail::os_error(err));
        EXPECT_FALSE(r.fd);
        EXPECT_TRUE(r.path.empty());
    }
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(mkstemp, eintr_is_retried) {
    namespace sys = tempio::detail::sys;
    std::string warm;
    tempio::detail::append_random_name(warm);  // this thread's generator is seeded
    sys::arm_fault(1, EINTR);                  // dir is absolute: call 1 is the openat
    error_code ec;
    auto r = tempio::mkstemp({.dir = dir_}, ec);
    sys::disarm_fault();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(r.fd);
}
