// The system-call seam. Every system call the compiled core makes goes
// through one of these wrappers, so tests can count calls and make the N-th
// call fail with a chosen errno (tests/support/fault_injection.hpp).
#pragma once

#if TEMPIO_PLATFORM_WINDOWS
#include "platform/windows/posix_api.hpp"
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#endif

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

// The calls themselves, unwrapped: POSIX's, or their Win32 forms
// (platform/windows/posix_api.hpp). Only the wrappers below and code that
// must not be counted (a signal handler's) call them.
#if !TEMPIO_PLATFORM_WINDOWS
namespace tempio::detail::os {
using ::chmod;
using ::close;
using ::closedir;
using ::dirfd;
using ::fchmod;
using ::fchmodat;
using ::fdopendir;
using ::fstat;
using ::fstatat;
using ::fsync;
using ::ftruncate;
using ::linkat;
using ::lseek;
using ::mkdirat;
using ::openat;
using ::pread;
using ::pwritev;
using ::read;
using ::readdir;
using ::renameat;
using ::unlinkat;
using ::write;
using ::writev;
}  // namespace tempio::detail::os
#endif

namespace tempio::detail::sys {

// What fstat says, and a directory listing: the platform's (POSIX's own
// types; on Windows, platform/windows/posix_api.hpp's, whose identity is a
// volume serial number and a 64-bit file index).
#if TEMPIO_PLATFORM_WINDOWS
using file_stat = os::file_stat;
using device_id = std::uint64_t;  // the volume's serial number
using inode_id = std::uint64_t;   // the 64-bit file index
using dir_stream = os::dir_stream;
using dir_entry = os::dir_entry;
#else
using file_stat = struct ::stat;
using device_id = dev_t;
using inode_id = ino_t;
using dir_stream = DIR;
using dir_entry = dirent;
#endif

// ---- fault injection (test builds only) -----------------------------------
// Compiled only with TEMPIO_TEST_SEAM (the tempio-testable library the tests
// link): a release libtempio has none of it and pays no atomic per call.
#if TEMPIO_TEST_SEAM
// What the armed call does instead of its work. Only a read or a write
// (read, pread, write, writev, and the drivers' own) can be made short: a
// short kind armed at another call injects nothing.
enum class fault_kind : unsigned char {
    error,           // fails with fail_errno, never reaching the kernel
    short_moving,    // does about half of what it was asked, for real; the
                     // position moves by that, as read(2) and write(2) do
    short_in_place,  // the same, the position left where it was: io_uring at
                     // offset -1 when the kernel's retry of the rest failed
    // short_in_place, then the next read or write fails with fail_errno (a
    // disk that filled up during the write)
    short_then_error,
};

// Counts every wrapped call; when armed, the call numbered `fail_at` (1-based,
// counted from arming) fails with `fail_errno` instead of reaching the kernel,
// or (a short kind) is made short.
struct fault_state {
    std::atomic<unsigned long> calls{0};
    std::atomic<unsigned long> fail_at{0};  // 0 = never
    std::atomic<bool> sticky{false};        // fail every call from fail_at on
    std::atomic<int> fail_errno{0};
    std::atomic<fault_kind> kind{fault_kind::error};
    std::atomic<int> then_errno{0};  // short_then_error: for the next read or write
    // Errors injected, and short results that really were short (a read at
    // the end of the file, or of fewer than 2 bytes, cannot be).
    std::atomic<unsigned long> injected{0};
};
fault_state& faults() noexcept;
void arm_fault(unsigned long nth_call, int err,
               bool sticky = false) noexcept;  // resets the counter
// The call numbered nth_call, a read or a write, is made short; `err`:
// short_then_error's error.
void arm_short(unsigned long nth_call, fault_kind kind, int err = 0) noexcept;
void disarm_fault() noexcept;
unsigned long call_count() noexcept;

// A system call a driver makes itself (core/steps/syscall.hpp) instead of
// through a wrapper below: counted like one (`read_or_write`: one that can be
// made short). err: the errno it must fail with (the call then never
// reaches the kernel: the driver reports -errno); partial: the driver makes
// it with partial_writev or partial_read instead.
struct driver_fault {
    int err = 0;
    bool partial = false;
};
driver_fault driver_call_fault(bool read_or_write) noexcept;
// The short forms of writev and read(2) the armed kind asks for: about half
// of what was asked (at least a byte), made for real.
ssize_t partial_writev(int fd, const iovec* iov, int iovcnt) noexcept;
ssize_t partial_read(int fd, void* buf, std::size_t n) noexcept;
#endif

// A call made outside this file (the platform's own, platform/<name>/):
// counted like the wrapped ones, and true (errno set) when it must fail.
// A test hook like the others: the release has no such function.
#if TEMPIO_TEST_SEAM
bool counted_call_fails() noexcept;
#endif

// ---- the wrapped calls (same contracts as the libc functions) --------------
int openat(int dirfd, const char* path, int flags, mode_t mode = 0) noexcept;
int mkdirat(int dirfd, const char* path, mode_t mode) noexcept;
int unlinkat(int dirfd, const char* path, int flags) noexcept;
int close(int fd) noexcept;
ssize_t read(int fd, void* buf, std::size_t n) noexcept;
ssize_t pread(int fd, void* buf, std::size_t n, off_t off) noexcept;
ssize_t write(int fd, const void* buf, std::size_t n) noexcept;
ssize_t writev(int fd, const iovec* iov, int iovcnt) noexcept;
off_t lseek(int fd, off_t off, int whence) noexcept;
int ftruncate(int fd, off_t size) noexcept;
int fsync(int fd) noexcept;
int fdatasync(int fd) noexcept;
// Publishing (core/publish.hpp); the platform's own calls (renameat2 on
// Linux) are in platform/<name>/.
int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) noexcept;
int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept;
int fstat(int fd, file_stat* st) noexcept;
int fstatat(int dirfd, const char* path, file_stat* st, int flags) noexcept;
int fchmod(int fd, mode_t mode) noexcept;
int fchown(int fd, uid_t owner, gid_t group) noexcept;
int dup(int fd) noexcept;
dir_stream* fdopendir(int fd) noexcept;  // takes ownership of fd on success
int closedir(dir_stream* d) noexcept;
dir_entry* readdir(dir_stream* d) noexcept;  // null with errno 0 at the end, errno set on error
// By path: only for /proc/self/fd/N, to chmod a held O_PATH descriptor.
int chmod(const char* path, mode_t mode) noexcept;
int fchmodat(int dirfd, const char* path, mode_t mode, int flags) noexcept;
// getcwd into a std::string; returns false with errno set on failure.
bool getcwd(std::string& out) noexcept;

}  // namespace tempio::detail::sys
