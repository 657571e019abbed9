// Force-included into every test on Windows (tests/CMakeLists.txt): the POSIX
// headers MinGW-w64 has, the library's own POSIX subset (its macros:
// S_ISLNK, O_NOFOLLOW, AT_*), declarations of the calls MinGW lacks that a
// test of a POSIX-only feature names, and overloads taking a
// std::filesystem::path's native string (UTF-16 here). The tests that need
// a call Windows lacks skip through a query (tempio/platform.hpp,
// support/platform_queries.hpp) before it runs; each such call fails with
// ENOSYS (support/windows/posix_for_tests.cpp).
#pragma once

#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "platform/windows/posix_api.hpp"

#ifndef WNOHANG
#define WNOHANG 1
#define WIFEXITED(s) (((s)&0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s)&0x7f) != 0)
#define WTERMSIG(s) ((s)&0x7f)
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGSTOP
#define SIGSTOP 19
#define SIGCONT 18
#endif

extern "C" {
int fork();
int waitpid(int pid, int* status, int options);
int kill(int pid, int sig);
int symlink(const char* target, const char* link);
int mkfifo(const char* path, unsigned mode);
unsigned getuid();
int setuid(unsigned uid);
int lchown(const wchar_t* path, unsigned uid, unsigned gid);
int setgid(unsigned gid);
int lstat(const char* path, struct stat* st);
}

inline int setenv(const char* name, const char* value, int) {
    return ::_putenv_s(name, value);
}
inline int unsetenv(const char* name) {
    return ::_putenv_s(name, "");
}

// A path's c_str() is a wchar_t* here: the same calls on UTF-16 names.
inline int chmod(const wchar_t* p, int mode) {
    return ::_wchmod(p, mode);
}
// Opened sharing read, write and deletion, as a POSIX descriptor behaves
// (the C runtime's _wopen does not share deletion, so a file a test holds
// could then be neither renamed over nor deleted): posix_for_tests.cpp.
int open(const wchar_t* p, int flags, int mode = 0);
inline int chdir(const wchar_t* p) {
    return ::_wchdir(p);
}
inline int unlink(const wchar_t* p) {
    return ::_wunlink(p);
}
inline int rmdir(const wchar_t* p) {
    return ::_wrmdir(p);
}
inline int mkdir(const wchar_t* p, int) {
    return ::_wmkdir(p);
}
inline int stat(const wchar_t* p, struct stat* st) {
    const std::wstring w(p);
    std::string narrow(w.begin(), w.end());  // the tests' names are ASCII
    return ::stat(narrow.c_str(), st);
}
inline int lstat(const wchar_t* p, struct stat* st) {
    return stat(p, st);
}
int symlink(const wchar_t* target, const wchar_t* link);
int mkfifo(const wchar_t* path, unsigned mode);
int truncate(const wchar_t* path, long long size);
inline int access(const wchar_t* p, int mode) {
    return ::_waccess(p, mode);
}
inline int setenv(const char* name, const wchar_t* value, int) {
    const std::wstring wide_name(name, name + std::char_traits<char>::length(name));
    return ::_wputenv_s(wide_name.c_str(), value);
}

// The calls the core's Windows subset already has (platform/windows/).
inline long long pread(int fd, void* buf, std::size_t n, long long off) {
    return tempio::detail::os::pread(fd, buf, n, off);
}
inline int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath, int flags) {
    return tempio::detail::os::linkat(olddirfd, oldpath, newdirfd, newpath, flags);
}
inline int pipe(int fds[2]) {
    return ::_pipe(fds, 4096, O_BINARY | O_NOINHERIT);
}

// fcntl: what a test asks of a descriptor, answered from its handle.
#ifndef F_GETFD
#define F_GETFD 1
#define F_GETFL 3
#define FD_CLOEXEC 1
#endif
#ifndef O_ACCMODE
#define O_ACCMODE (O_RDONLY | O_WRONLY | O_RDWR)
#endif
int fcntl(int fd, int cmd, ...);

// Linux-only names a test tells apart by query before it calls them.
#ifndef O_TMPFILE
#define O_TMPFILE 0x00410000
#define AT_EMPTY_PATH 0x1000
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define TMPFS_MAGIC 0x01021994
#define RLIMIT_NPROC 6
#define RLIMIT_CORE 4
#endif
struct statfs {
    long f_type;
};
extern "C" int statfs(const char* path, struct statfs* st);
extern "C" int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
                         unsigned flags);
#ifndef SIGXFSZ
#define SIGXFSZ 25
#endif
#include <ctime>
// Sets a name's access and modification times (`dirfd`: AT_FDCWD only).
int utimensat(int dirfd, const wchar_t* path, const struct timespec times[2], int flags);
