// Tests that check the system calls themselves: this test binary's own helper
// test (selected by a gtest filter, enabled by an environment variable)
// run under strace -f, and the trace read back (tests of DESIGN section 8's
// durability order and section 12's flush counts).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tempio::test {

bool have_strace();

// Runs this binary under `strace -f -e trace=<calls>` with
// --gtest_filter=<filter> and <env>=<work> set; strace writes `trace`, the
// binary's output goes to `log`. Returns its exit status (128 + signal).
int run_self_under_strace(const std::string& filter, const std::string& env,
                          const std::filesystem::path& work, const std::string& calls,
                          const std::filesystem::path& trace, const std::filesystem::path& log);

// strace's output, one completed system call per entry ("name(args) = r"),
// in the order the calls were entered ("<unfinished ...>" and "<...
// resumed>" joined).
std::vector<std::string> read_trace(const std::filesystem::path& file);

// A file's whole content (empty when it cannot be read).
std::string read_text(const std::filesystem::path& file);

}  // namespace tempio::test
