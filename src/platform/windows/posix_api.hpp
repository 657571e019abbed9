// The POSIX subset the core is written against, on Win32 (docs/platforms.md,
// "Windows"): the core keeps its one algorithm per operation, and this folder
// says how each call is made on Windows. Descriptors are the C runtime's
// (`_open_osfhandle`: what CPython's os.open and mkstemp return on Windows
// too); each holds a HANDLE opened with FILE_SHARE_READ|WRITE|DELETE, never
// inheritable. Calls relative to a directory descriptor are relative to its
// handle (NtCreateFile's RootDirectory, FILE_RENAME_INFO's RootDirectory): no
// path is rebuilt, as openat(2) promises. Names are UTF-8; UTF-16 inside.
//
// Only the core and this folder include this header (through core/sys.hpp
// and platform/platform.hpp); the public headers never do.
#pragma once

#include <fcntl.h>
#include <io.h>
#include <process.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>  // MinGW's: getpid, and the C runtime's descriptor calls

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>

// ---- what POSIX has and MinGW's C runtime lacks -----------------------------
struct iovec {
    void* iov_base;
    std::size_t iov_len;
};
using uid_t = unsigned;
using gid_t = unsigned;
// No POSIX owners: every file is the process's own (file_stat's st_uid).
inline uid_t geteuid() noexcept {
    return 0;
}
inline gid_t getegid() noexcept {
    return 0;
}

// Handles are never inheritable here: O_CLOEXEC is the only behaviour.
#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
// Bits the C runtime leaves free; understood by tempio::detail::os::openat only.
#define O_DIRECTORY 0x00200000
#define O_NOFOLLOW 0x00400000
#define O_NONBLOCK 0  // no FIFO is opened by name here
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#ifndef S_IFLNK
#define S_IFLNK 0120000
#endif
#ifndef S_ISLNK
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096  // UTF-8 bytes of a long (\\?\) path tempio accepts
#endif
#ifndef ESTALE
#define ESTALE 116
#endif
#ifndef EDQUOT
#define EDQUOT 122  // Linux's value; Win32's ERROR_DISK_QUOTA_EXCEEDED
#endif
#define IFTODT(mode) (((mode)&S_IFMT) >> 12)
#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8
#define DT_LNK 10

namespace tempio::detail::os {

// What fstat and fstatat tell: the file's identity is its volume's serial
// number and its 64-bit file index (the C runtime's stat has a 16-bit inode
// that is always 0). A reparse point (junction, symbolic link) is S_IFLNK when
// not followed; a read-only file has no write bits.
struct file_stat {
    std::uint64_t st_dev = 0;
    std::uint64_t st_ino = 0;
    unsigned st_mode = 0;
    unsigned st_nlink = 0;
    uid_t st_uid = 0;
    gid_t st_gid = 0;
    std::int64_t st_size = 0;
    timespec st_mtim{};
    unsigned attributes = 0;  // FILE_ATTRIBUTE_*
};

struct dir_entry {
    unsigned char d_type = DT_UNKNOWN;
    char d_name[1024];  // UTF-8 of a name of at most 255 UTF-16 units
};
struct dir_stream;

int openat(int dirfd, const char* path, int flags, unsigned mode = 0) noexcept;
int mkdirat(int dirfd, const char* path, unsigned mode) noexcept;
int unlinkat(int dirfd, const char* path, int flags) noexcept;
int close(int fd) noexcept;
long long read(int fd, void* buf, std::size_t n) noexcept;
long long pread(int fd, void* buf, std::size_t n, std::int64_t off) noexcept;
long long write(int fd, const void* buf, std::size_t n) noexcept;
long long writev(int fd, const iovec* iov, int iovcnt) noexcept;
long long pwritev(int fd, const iovec* iov, int iovcnt, std::int64_t off) noexcept;
std::int64_t lseek(int fd, std::int64_t off, int whence) noexcept;
int ftruncate(int fd, std::int64_t size) noexcept;
int fsync(int fd) noexcept;
// rename: replace (POSIX semantics where the file system has them), or never
// replace (ReplaceIfExists false: one call, atomic).
int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
             bool replace = true) noexcept;
int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept;
int fstat(int fd, file_stat* st) noexcept;
int fstatat(int dirfd, const char* path, file_stat* st, int flags) noexcept;
// Only the write bits mean something: none sets FILE_ATTRIBUTE_READONLY.
int fchmod(int fd, unsigned mode) noexcept;
int fchmodat(int dirfd, const char* path, unsigned mode, int flags) noexcept;
int chmod(const char* path, unsigned mode) noexcept;
int dup(int fd) noexcept;
dir_stream* fdopendir(int fd) noexcept;  // takes ownership of fd on success
int dirfd(dir_stream* d) noexcept;
dir_entry* readdir(dir_stream* d) noexcept;
int closedir(dir_stream* d) noexcept;
bool getcwd(std::string& out) noexcept;

// The HANDLE behind a descriptor (INVALID_HANDLE_VALUE, errno EBADF, if none).
void* handle_of(int fd) noexcept;
// errno from GetLastError() / an NTSTATUS; the Win32 code an errno stands for
// (error codes are Win32's in system_category on Windows, as Asio's).
int errno_of_win32(unsigned long code) noexcept;
int errno_of_status(long status) noexcept;
unsigned long win32_of_errno(int err) noexcept;
bool asio_named_errno(int err) noexcept;  // net::error names it: always its Win32 code
// UTF-8 <-> UTF-16; false (errno EILSEQ) for ill-formed input.
bool widen(const char* utf8, std::size_t n, std::wstring& out) noexcept;
bool narrow(const wchar_t* utf16, std::size_t n, std::string& out) noexcept;

}  // namespace tempio::detail::os
