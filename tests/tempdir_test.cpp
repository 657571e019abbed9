// gettempdir: CPython's TestCandidateTempdirList, TestGetDefaultTempdir and
// TestGetTempDir.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/sys.hpp"
#include "core/tempdir.hpp"
#include "support/test_dir.hpp"
#include "tempio/mkstemp.hpp"
#include "tempio/tempdir.hpp"

namespace fs = std::filesystem;
using tempio::test::entries;

namespace {

// Sets an environment variable for one scope.
// A path as gettempdirb gives it: UTF-8 bytes.
std::string bytes_of(const fs::path& p) {
    const std::u8string u = p.u8string();
    return {u.begin(), u.end()};
}

class scoped_env {
  public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old, had_ = true;
        value ? ::setenv(name, value, 1) : ::unsetenv(name);
    }
    ~scoped_env() { had_ ? ::setenv(name_, old_.c_str(), 1) : ::unsetenv(name_); }

  private:
    const char* name_;
    std::string old_;
    bool had_ = false;
};

class tempdir : public tempio::test::test_dir {
  protected:
    void TearDown() override {
        tempio::set_tempdir({});
        test_dir::TearDown();
    }
};

}  // namespace

TEST_F(tempdir, candidates_contain_the_environment_and_the_cwd) {
    scoped_env a("TMPDIR", "/envtmpdir"), b("TEMP", "/envtemp"), c("TMP", "");
    auto list = tempio::detail::candidate_tempdirs();
    auto has = [&](const std::string& d) {
        return std::find(list.begin(), list.end(), d) != list.end();
    };
    EXPECT_TRUE(has("/envtmpdir"));
    EXPECT_TRUE(has("/envtemp"));
    EXPECT_FALSE(has("")) << "empty variables are skipped";
#ifdef _WIN32  // CPython's list on Windows
    for (const char* d : {"c:\\temp", "c:\\tmp", "\\temp", "\\tmp"}) EXPECT_TRUE(has(d)) << d;
#else
    EXPECT_TRUE(has("/tmp"));
    EXPECT_TRUE(has("/var/tmp"));
    EXPECT_TRUE(has("/usr/tmp"));
#endif
    EXPECT_TRUE(has(fs::current_path().string()));
    EXPECT_EQ(list.front(), "/envtmpdir");
}

TEST_F(tempdir, probe_leaves_nothing_behind) {
    tempio::detail::error_code ec;
    EXPECT_TRUE(tempio::detail::probe_tempdir(dir_.string(), ec)) << ec.message();
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(tempdir, probe_leaves_nothing_behind_when_its_write_fails) {
    namespace sys = tempio::detail::sys;
    sys::arm_fault(2, ENOSPC);  // call 1: openat, call 2: write
    tempio::detail::error_code ec;
    bool ok = tempio::detail::probe_tempdir(dir_.string(), ec);
    sys::disarm_fault();
    EXPECT_FALSE(ok);
    EXPECT_EQ(ec, std::errc::no_space_on_device);
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(tempdir, is_an_absolute_writable_directory_and_stable) {
    fs::path d = tempio::gettempdir();
    EXPECT_TRUE(d.is_absolute());
    EXPECT_TRUE(fs::is_directory(d));
    EXPECT_EQ(::access(d.c_str(), W_OK), 0);
    EXPECT_EQ(tempio::gettempdir(), d);
    EXPECT_EQ(tempio::gettempdirb(), bytes_of(d));
}

TEST_F(tempdir, environment_changes_are_seen_only_after_reset) {
    tempio::set_tempdir({});
    fs::path first = tempio::gettempdir();
    scoped_env env("TMPDIR", dir_.string().c_str());
    EXPECT_EQ(tempio::gettempdir(), first) << "cached";
    tempio::set_tempdir({});
    EXPECT_EQ(tempio::gettempdir(), dir_);
}

TEST_F(tempdir, set_tempdir_overrides_and_is_made_absolute) {
    tempio::set_tempdir(dir_);
    EXPECT_EQ(tempio::gettempdir(), dir_);
    EXPECT_EQ(tempio::gettempdirb(), bytes_of(dir_));
}

// A thread reuses the names it resolved last (core/create.cpp): a change of
// gettempdir(), by set_tempdir or by a new search, still reaches the very
// next creation.
TEST_F(tempdir, the_next_creation_follows_a_changed_tempdir) {
    fs::create_directory(dir_ / "a");
    fs::create_directory(dir_ / "b");
    tempio::set_tempdir(dir_ / "a");
    auto [fd1, in_a] = tempio::mkstemp();
    tempio::set_tempdir(dir_ / "b");
    auto [fd2, in_b] = tempio::mkstemp();
    scoped_env env("TMPDIR", (dir_ / "a").string().c_str());
    tempio::set_tempdir({});  // the next creation searches again
    auto [fd3, in_a_again] = tempio::mkstemp();
    EXPECT_EQ(in_a.parent_path(), dir_ / "a");
    EXPECT_EQ(in_b.parent_path(), dir_ / "b");
    EXPECT_EQ(in_a_again.parent_path(), dir_ / "a");
    fd1.reset();  // closed first: on Windows an open file's name stays until it closes
    fd2.reset();
    fd3.reset();
    for (const auto& p : {in_a, in_b, in_a_again}) fs::remove(p);
    fs::remove(dir_ / "a");
    fs::remove(dir_ / "b");
}

TEST_F(tempdir, unusable_candidates_are_skipped) {
    fs::path not_a_dir = dir_ / "file";
    { std::ofstream(not_a_dir) << "x"; }
    scoped_env a("TMPDIR", not_a_dir.string().c_str()),
        b("TEMP", (dir_ / "missing").string().c_str()), c("TMP", dir_.string().c_str());
    tempio::set_tempdir({});
    EXPECT_EQ(tempio::gettempdir(), dir_);
}

TEST_F(tempdir, no_usable_candidate_is_enoent_naming_them) {
    namespace sys = tempio::detail::sys;
    scoped_env env("TMPDIR", "/no/such/candidate");
    tempio::set_tempdir({});
    sys::arm_fault(1, EACCES, /*sticky=*/true);  // every system call fails
    tempio::detail::error_code ec;
    auto result = tempio::gettempdir(ec);
    std::string message;
    try {
        tempio::gettempdir();
    } catch (const tempio::system_error& e) {
        message = e.what();
    }
    sys::disarm_fault();
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    EXPECT_TRUE(result.empty());
    EXPECT_NE(message.find("/no/such/candidate"), std::string::npos) << message;
#ifdef _WIN32
    EXPECT_NE(message.find("c:\\tmp"), std::string::npos) << message;
#else
    EXPECT_NE(message.find("/var/tmp"), std::string::npos) << message;
#endif
    EXPECT_TRUE(entries(dir_).empty());
}
