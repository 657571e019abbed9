// The tests' support on Windows: the C runtime's descriptor table for the
// leak checks, no unprivileged runs, no strace, and the POSIX calls a
// POSIX-only test names (posix_for_tests.hpp) failing with ENOSYS.
#include <io.h>
#include <windows.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "support/strace.hpp"
#include "sys/resource.h"
#include "support/test_dir.hpp"

namespace tempio::test {

// tempio's descriptors on Windows are the C runtime's, each over a handle:
// a leak is a slot still in use. The table is probed up to a bound far
// above any test's use (the runtime's own limit is 2048 by default).
std::set<std::string> all_open_fds() {
    std::set<std::string> fds;
    for (int fd = 0; fd < 2048; ++fd)
        if (::_get_osfhandle(fd) != -1) fds.insert(std::to_string(fd));
    return fds;
}

std::set<std::string> open_fds() { return all_open_fds(); }

int run_unprivileged(const std::function<int()>&) { return -1; }  // no uid to drop to

bool have_strace() { return false; }

int run_self_under_strace(const std::string&, const std::string&, const std::filesystem::path&,
                          const std::string&, const std::filesystem::path&,
                          const std::filesystem::path&) {
    return -1;
}

std::vector<std::string> read_trace(const std::filesystem::path&) { return {}; }

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace tempio::test

// The stubs of posix_for_tests.hpp: never reached (the tests that would call
// them skip first), and harmless if they were.
extern "C" {
int fork() { return errno = ENOSYS, -1; }
int waitpid(int, int*, int) { return errno = ENOSYS, -1; }
int kill(int, int) { return errno = ENOSYS, -1; }
int symlink(const char*, const char*) { return errno = ENOSYS, -1; }
int mkfifo(const char*, unsigned) { return errno = ENOSYS, -1; }
unsigned getuid() { return 0; }
int setuid(unsigned) { return errno = ENOSYS, -1; }
int setgid(unsigned) { return errno = ENOSYS, -1; }
}

extern "C" {
// Links are not followed by the C runtime's stat; the tests' own names are
// never links on Windows (no symlink(): ENOSYS).
int lstat(const char* path, struct stat* st) { return ::stat(path, st); }
}
int symlink(const wchar_t*, const wchar_t*) { return errno = ENOSYS, -1; }
int mkfifo(const wchar_t*, unsigned) { return errno = ENOSYS, -1; }
int truncate(const wchar_t* path, long long size) {
    const int fd = ::_wopen(path, _O_WRONLY | _O_BINARY);
    if (fd < 0) return -1;
    const int r = ::_chsize_s(fd, size) == 0 ? 0 : -1;
    ::_close(fd);
    return r;
}
extern "C" int getrlimit(int, struct rlimit*) { return errno = ENOSYS, -1; }
extern "C" int setrlimit(int, const struct rlimit*) { return errno = ENOSYS, -1; }
