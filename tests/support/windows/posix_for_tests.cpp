// The tests' support on Windows: the C runtime's descriptor table for the
// leak checks, no unprivileged runs, no strace, and the POSIX calls a
// POSIX-only test names (posix_for_tests.hpp) failing with ENOSYS.
#include <io.h>
#include <windows.h>
#include <winternl.h>

#include <cerrno>
#include <cstdlib>
#include <cwchar>
#include <fstream>
#include <iterator>

#include "support/strace.hpp"
#include "support/test_dir.hpp"
#include "sys/resource.h"

// The library's own open (every share mode, errors as errno), given the
// name as UTF-8: what a POSIX open(2) would do here.
int open(const wchar_t* p, int flags, int mode) {
    std::string utf8;
    if (!tempio::detail::os::narrow(p, std::wcslen(p), utf8)) {
        errno = EILSEQ;
        return -1;
    }
    return tempio::detail::os::openat(AT_FDCWD, utf8.c_str(), flags, static_cast<unsigned>(mode));
}

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

std::set<std::string> open_fds() {
    return all_open_fds();
}

int run_unprivileged(const std::function<int()>&) {
    return -1;
}  // no uid to drop to

bool can_give_files_away() {
    return false;
}
bool can_fork() {
    return false;
}
bool has_posix_modes() {
    return false;
}
bool can_trace_system_calls() {
    return false;
}

// MinGW-w64's libstdc++ makes no symbolic link (ENOSYS); a later one might,
// and Windows allows them only with a privilege or developer mode: probed.
bool can_make_symlinks() {
    static const bool can = [] {
        namespace fs = std::filesystem;
        const fs::path base = fs::temp_directory_path() /
                              ("tempio-symlink-probe-" + std::to_string(::GetCurrentProcessId()));
        std::error_code ec;
        fs::create_symlink("target", base, ec);
        const bool made = !ec;
        fs::remove(base, ec);
        return made;
    }();
    return can;
}

bool have_strace() {
    return false;
}

int run_self_under_strace(const std::string&, const std::string&, const std::filesystem::path&,
                          const std::string&, const std::filesystem::path&,
                          const std::filesystem::path&) {
    return -1;
}

std::vector<std::string> read_trace(const std::filesystem::path&) {
    return {};
}

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace tempio::test

// The stubs of posix_for_tests.hpp: never reached (the tests that would call
// them skip first), and harmless if they were.
extern "C" {
int fork() {
    return errno = ENOSYS, -1;
}
int waitpid(int, int*, int) {
    return errno = ENOSYS, -1;
}
int kill(int, int) {
    return errno = ENOSYS, -1;
}
int symlink(const char*, const char*) {
    return errno = ENOSYS, -1;
}
int mkfifo(const char*, unsigned) {
    return errno = ENOSYS, -1;
}
unsigned getuid() {
    return 0;
}
int setuid(unsigned) {
    return errno = ENOSYS, -1;
}
int lchown(const wchar_t*, unsigned, unsigned) {
    return errno = ENOSYS, -1;
}
int setgid(unsigned) {
    return errno = ENOSYS, -1;
}
}

extern "C" {
// Links are not followed by the C runtime's stat; the tests' own names are
// never links on Windows (no symlink(): ENOSYS).
int lstat(const char* path, struct stat* st) {
    return ::stat(path, st);
}
}
int symlink(const wchar_t*, const wchar_t*) {
    return errno = ENOSYS, -1;
}
int mkfifo(const wchar_t*, unsigned) {
    return errno = ENOSYS, -1;
}
int truncate(const wchar_t* path, long long size) {
    const int fd = ::_wopen(path, _O_WRONLY | _O_BINARY);
    if (fd < 0) return -1;
    const int r = ::_chsize_s(fd, size) == 0 ? 0 : -1;
    ::_close(fd);
    return r;
}
extern "C" int getrlimit(int, struct rlimit*) {
    return errno = ENOSYS, -1;
}
extern "C" int setrlimit(int, const struct rlimit*) {
    return errno = ENOSYS, -1;
}
extern "C" int statfs(const char*, struct statfs*) {
    return errno = ENOSYS, -1;
}
extern "C" int renameat2(int, const char*, int, const char*, unsigned) {
    return errno = ENOSYS, -1;
}

namespace {
// NtQueryInformationFile's FileAccessInformation: the rights a handle holds.
struct file_access_information {
    ACCESS_MASK access_flags;
};
constexpr auto file_access_information_class = static_cast<FILE_INFORMATION_CLASS>(8);
}  // namespace

int fcntl(int fd, int cmd, ...) {
    const intptr_t os = ::_get_osfhandle(fd);
    if (os == -1) return errno = EBADF, -1;
    const auto h = reinterpret_cast<HANDLE>(os);
    if (cmd == F_GETFD) {
        DWORD flags = 0;
        if (!::GetHandleInformation(h, &flags)) return errno = EBADF, -1;
        return (flags & HANDLE_FLAG_INHERIT) ? 0 : FD_CLOEXEC;
    }
    if (cmd == F_GETFL) {
        IO_STATUS_BLOCK io{};
        file_access_information info{};
        if (NtQueryInformationFile(h, &io, &info, sizeof info, file_access_information_class) != 0)
            return errno = EBADF, -1;
        const bool r = info.access_flags & FILE_READ_DATA, w = info.access_flags & FILE_WRITE_DATA;
        return r && w ? O_RDWR : w ? O_WRONLY : O_RDONLY;
    }
    return errno = EINVAL, -1;
}

int utimensat(int dirfd, const wchar_t* path, const struct timespec times[2], int flags) {
    if (dirfd != AT_FDCWD) return errno = EINVAL, -1;
    const DWORD open_flags = FILE_FLAG_BACKUP_SEMANTICS |
                             ((flags & AT_SYMLINK_NOFOLLOW) ? FILE_FLAG_OPEN_REPARSE_POINT : 0);
    HANDLE h = ::CreateFileW(path, FILE_WRITE_ATTRIBUTES,
                             FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                             OPEN_EXISTING, open_flags, nullptr);
    if (h == INVALID_HANDLE_VALUE) return errno = ENOENT, -1;
    auto filetime = [](const timespec& t) {
        // 100 ns ticks since 1601-01-01.
        const unsigned long long ticks = static_cast<unsigned long long>(t.tv_sec) * 10000000ULL +
                                         static_cast<unsigned long long>(t.tv_nsec) / 100 +
                                         116444736000000000ULL;
        return FILETIME{static_cast<DWORD>(ticks), static_cast<DWORD>(ticks >> 32)};
    };
    const FILETIME access = filetime(times[0]), modified = filetime(times[1]);
    const bool ok = ::SetFileTime(h, nullptr, &access, &modified);
    ::CloseHandle(h);
    return ok ? 0 : (errno = EACCES, -1);
}
