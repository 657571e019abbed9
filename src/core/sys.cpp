#include "core/sys.hpp"

#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace tempio::detail::sys {

#if TEMPIO_TEST_SEAM
fault_state& faults() noexcept {
    static fault_state state;
    return state;
}

void arm_fault(unsigned long nth_call, int err, bool sticky) noexcept {
    auto& f = faults();
    f.fail_errno = err;
    f.sticky = sticky;
    f.kind = fault_kind::error;
    f.then_errno = 0;
    f.calls = 0;
    f.fail_at = nth_call;
}

void arm_short(unsigned long nth_call, fault_kind kind, int err) noexcept {
    auto& f = faults();
    f.fail_errno = err;
    f.sticky = false;
    f.kind = kind;
    f.then_errno = 0;
    f.calls = 0;
    f.fail_at = nth_call;
}

void disarm_fault() noexcept {
    faults().fail_at = 0;
    faults().then_errno = 0;
}

unsigned long call_count() noexcept {
    return faults().calls.load();
}

namespace {
enum class hit : unsigned char { none, fail, partial };

// Counts the call; what the armed fault makes of it (fail: errno set).
// `io`: a read or a write, which can be made short.
hit take(bool io) noexcept {
    constexpr auto relaxed = std::memory_order_relaxed;
    auto& f = faults();
    unsigned long n = f.calls.fetch_add(1, relaxed) + 1;
    if (io) {
        if (int err = f.then_errno.exchange(0, relaxed); err != 0) {  // part of one injection
            errno = err;
            return hit::fail;
        }
    }
    unsigned long at = f.fail_at.load(relaxed);
    if (at == 0 || (n != at && !(n > at && f.sticky.load(relaxed)))) return hit::none;
    if (f.kind.load(relaxed) != fault_kind::error) return io ? hit::partial : hit::none;
    f.injected.fetch_add(1, relaxed);
    errno = f.fail_errno.load(relaxed);
    return hit::fail;
}

// True when this call must fail (errno already set).
inline bool inject() noexcept {
    return take(false) == hit::fail;
}

// Where a short call writes or reads when it leaves the position alone; -1:
// it moves it (read, writev).
off_t in_place_offset(int fd) noexcept {
    if (faults().kind.load(std::memory_order_relaxed) == fault_kind::short_moving) return -1;
    return os::lseek(fd, 0, SEEK_CUR);  // not counted: the seam's own
}

// A short result was made (count, of `asked`): counted, and the error that
// follows it armed.
ssize_t made_short(ssize_t count, std::size_t asked) noexcept {
    auto& f = faults();
    if (count <= 0 || static_cast<std::size_t>(count) >= asked) return count;  // not short
    f.injected.fetch_add(1, std::memory_order_relaxed);
    if (f.kind.load(std::memory_order_relaxed) == fault_kind::short_then_error)
        f.then_errno.store(f.fail_errno.load(std::memory_order_relaxed));
    return count;
}
}  // namespace

driver_fault driver_call_fault(bool read_or_write) noexcept {
    switch (take(read_or_write)) {
        case hit::fail:
            return {.err = errno};
        case hit::partial:
            return {.partial = true};
        case hit::none:
            break;
    }
    return {};
}

ssize_t partial_writev(int fd, const iovec* iov, int iovcnt) noexcept {
    std::size_t total = 0;
    for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
    constexpr int max_parts = 8;
    iovec part[max_parts];
    int count = 0;
    std::size_t want = total / 2;
    for (int i = 0; i < iovcnt && want != 0 && count < max_parts; ++i) {
        std::size_t len = std::min(iov[i].iov_len, want);
        if (len == 0) continue;
        part[count++] = {iov[i].iov_base, len};
        want -= len;
    }
    if (count == 0) return os::writev(fd, iov, iovcnt);  // under 2 bytes: cannot be cut
    off_t at = in_place_offset(fd);
    // On an O_APPEND file pwritev appends too (Linux), leaving the position.
    ssize_t r = at >= 0 ? os::pwritev(fd, part, count, at) : os::writev(fd, part, count);
    return made_short(r, total);
}

ssize_t partial_read(int fd, void* buf, std::size_t n) noexcept {
    if (n < 2) return os::read(fd, buf, n);
    off_t at = in_place_offset(fd);
    ssize_t r = at >= 0 ? os::pread(fd, buf, n / 2, at) : os::read(fd, buf, n / 2);
    return made_short(r, n);
}

namespace {
ssize_t partial_write(int fd, const void* buf, std::size_t n) noexcept {
    iovec one{const_cast<void*>(buf), n};
    return partial_writev(fd, &one, 1);
}
ssize_t partial_pread(int fd, void* buf, std::size_t n, off_t off) noexcept {
    if (n < 2) return os::pread(fd, buf, n, off);
    return made_short(os::pread(fd, buf, n / 2, off), n);  // never moves the position
}
}  // namespace

#else
namespace {
constexpr bool inject() noexcept {
    return false;
}
}  // namespace
#endif

#define TEMPIO_SYSCALL(fail_value, expr) \
    do {                                 \
        if (inject()) return fail_value; \
        return expr;                     \
    } while (0)

#if TEMPIO_TEST_SEAM
bool counted_call_fails() noexcept {
    return inject();
}
#endif

int openat(int dirfd, const char* path, int flags, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, os::openat(dirfd, path, flags, mode));
}
int mkdirat(int dirfd, const char* path, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, os::mkdirat(dirfd, path, mode));
}
int unlinkat(int dirfd, const char* path, int flags) noexcept {
    TEMPIO_SYSCALL(-1, os::unlinkat(dirfd, path, flags));
}
int close(int fd) noexcept {
    // An injected close failure still closes: Linux releases the fd even when
    // close() reports an error, and the seam must not invent leaks.
    if (inject()) {
        int err = errno;
        os::close(fd);
        errno = err;
        return -1;
    }
    return os::close(fd);
}
// Reads and writes: also made short when armed so (fault_kind).
#if TEMPIO_TEST_SEAM
#define TEMPIO_IO_CALL(short_form, expr) \
    do {                                 \
        switch (take(true)) {            \
            case hit::fail:              \
                return -1;               \
            case hit::partial:           \
                return short_form;       \
            case hit::none:              \
                break;                   \
        }                                \
        return expr;                     \
    } while (0)
#else
#define TEMPIO_IO_CALL(short_form, expr) return expr
#endif

ssize_t read(int fd, void* buf, std::size_t n) noexcept {
    TEMPIO_IO_CALL(partial_read(fd, buf, n), os::read(fd, buf, n));
}
ssize_t pread(int fd, void* buf, std::size_t n, off_t off) noexcept {
    TEMPIO_IO_CALL(partial_pread(fd, buf, n, off), os::pread(fd, buf, n, off));
}
ssize_t write(int fd, const void* buf, std::size_t n) noexcept {
    TEMPIO_IO_CALL(partial_write(fd, buf, n), os::write(fd, buf, n));
}
ssize_t writev(int fd, const iovec* iov, int iovcnt) noexcept {
    TEMPIO_IO_CALL(partial_writev(fd, iov, iovcnt), os::writev(fd, iov, iovcnt));
}
off_t lseek(int fd, off_t off, int whence) noexcept {
    TEMPIO_SYSCALL(-1, os::lseek(fd, off, whence));
}
int ftruncate(int fd, off_t size) noexcept {
    TEMPIO_SYSCALL(-1, os::ftruncate(fd, size));
}
#if defined(__APPLE__)
// macOS's fsync leaves the data in the drive's cache; F_FULLFSYNC flushes it
// (refused by some file systems: fsync then). No fdatasync there.
int fsync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fcntl(fd, F_FULLFSYNC) == 0 ? 0 : os::fsync(fd));
}
int fdatasync(int fd) noexcept {
    return fsync(fd);
}
#elif TEMPIO_PLATFORM_WINDOWS
// FlushFileBuffers: data and metadata alike (Windows has no fdatasync).
int fsync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, os::fsync(fd));
}
int fdatasync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, os::fsync(fd));
}
#else
int fsync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, os::fsync(fd));
}
int fdatasync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fdatasync(fd));
}
#endif
int renameat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath) noexcept {
    TEMPIO_SYSCALL(-1, os::renameat(olddirfd, oldpath, newdirfd, newpath));
}
int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept {
    TEMPIO_SYSCALL(-1, os::linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}
int fstat(int fd, file_stat* st) noexcept {
    TEMPIO_SYSCALL(-1, os::fstat(fd, st));
}
int fstatat(int dirfd, const char* path, file_stat* st, int flags) noexcept {
    TEMPIO_SYSCALL(-1, os::fstatat(dirfd, path, st, flags));
}
int fchmod(int fd, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, os::fchmod(fd, mode));
}
#if TEMPIO_PLATFORM_WINDOWS
// No POSIX owner on Windows (its owner is a security descriptor's SID).
int fchown(int, uid_t, gid_t) noexcept {
    if (inject()) return -1;
    errno = EOPNOTSUPP;
    return -1;
}
int dup(int fd) noexcept {
    TEMPIO_SYSCALL(-1, os::dup(fd));
}
#else
int fchown(int fd, uid_t owner, gid_t group) noexcept {
    TEMPIO_SYSCALL(-1, ::fchown(fd, owner, group));
}
int dup(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}
#endif
dir_stream* fdopendir(int fd) noexcept {
    TEMPIO_SYSCALL(nullptr, os::fdopendir(fd));
}
int closedir(dir_stream* d) noexcept {
    if (inject()) {
        int err = errno;
        os::closedir(d);
        errno = err;
        return -1;
    }
    return os::closedir(d);
}
dir_entry* readdir(dir_stream* d) noexcept {
    TEMPIO_SYSCALL(nullptr, os::readdir(d));
}
int chmod(const char* path, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, os::chmod(path, mode));
}
int fchmodat(int dirfd, const char* path, mode_t mode, int flags) noexcept {
    TEMPIO_SYSCALL(-1, os::fchmodat(dirfd, path, mode, flags));
}
bool getcwd(std::string& out) noexcept {
    if (inject()) return false;
#if TEMPIO_PLATFORM_WINDOWS
    return os::getcwd(out);
#else
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr) return false;
    try {
        out.assign(buf);
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
    return true;
#endif
}

#undef TEMPIO_SYSCALL
#undef TEMPIO_IO_CALL

}  // namespace tempio::detail::sys
