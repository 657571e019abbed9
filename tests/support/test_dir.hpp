// A fresh directory per test, and checks that nothing leaked from it or from
// the process's descriptor table.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tempio::test {

// Names in /proc/self/fd, pipes left out (for leak checks: tempio never
// makes a pipe, UBSan's vptr check makes short-lived ones on any thread).
std::set<std::string> open_fds();
// Every name in /proc/self/fd (for counting against RLIMIT_NOFILE).
std::set<std::string> all_open_fds();
// Entries directly inside `dir`, sorted.
std::vector<std::string> entries(const std::filesystem::path& dir);

// Everything below `dir` and `dir` itself, without following links:
// relative path -> mode and link target or file content. Comparing two
// snapshots proves a tree (e.g. outside canaries) was left untouched.
std::map<std::string, std::string> tree_snapshot(const std::filesystem::path& dir);

// Runs `body` in a forked child that dropped to uid/gid 65534; returns the
// child's exit status (0: all its checks passed). Returns -1 when the drop is
// impossible (not root), so callers can skip visibly.
int run_unprivileged(const std::function<int()>& body);

// Whether this process can give a file to another user (chown): root on
// POSIX; never on Windows (no POSIX owners).
bool can_give_files_away();

// What the platform's test environment can do; a test that needs one of
// these skips through it, saying which (Windows: docs/platforms.md).
bool can_fork();                // fork(): POSIX
bool has_posix_modes();         // permission bits that chmod sets and stat reads
bool can_trace_system_calls();  // strace (Linux; POSIX builds run on Linux here)
bool can_make_symlinks();       // std::filesystem::create_symlink works (probed once)
// A temporary_file has no name in its directory while it is open (probed
// once on Windows: the name goes at once only where deletion has POSIX
// semantics; Wine 8.0 keeps it until the handle closes).
bool anonymous_files_have_no_name();
// A rename can replace a file another handle holds open, sharing deletion
// (POSIX always; Windows with POSIX-semantics renames; Wine 8.0 refuses:
// probed once).
bool can_replace_open_files();

class test_dir : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;
    std::filesystem::path dir_;

  private:
    std::set<std::string> fds_before_;
};

}  // namespace tempio::test
