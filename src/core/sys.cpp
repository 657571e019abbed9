#include "core/sys.hpp"

#include <stdio.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <unistd.h>

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
    f.calls = 0;
    f.fail_at = nth_call;
}

void disarm_fault() noexcept {
    faults().fail_at = 0;
}

unsigned long call_count() noexcept {
    return faults().calls.load();
}

namespace {
// True when this call must fail (errno already set).
inline bool inject() noexcept {
    auto& f = faults();
    unsigned long n = f.calls.fetch_add(1, std::memory_order_relaxed) + 1;
    unsigned long at = f.fail_at.load(std::memory_order_relaxed);
    if (at != 0 && (n == at || (n > at && f.sticky.load(std::memory_order_relaxed)))) {
        f.injected.fetch_add(1, std::memory_order_relaxed);
        errno = f.fail_errno.load(std::memory_order_relaxed);
        return true;
    }
    return false;
}
}  // namespace

int driver_call_fault() noexcept {
    return inject() ? errno : 0;
}

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

int openat(int dirfd, const char* path, int flags, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, ::openat(dirfd, path, flags, mode));
}
int mkdirat(int dirfd, const char* path, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, ::mkdirat(dirfd, path, mode));
}
int unlinkat(int dirfd, const char* path, int flags) noexcept {
    TEMPIO_SYSCALL(-1, ::unlinkat(dirfd, path, flags));
}
int close(int fd) noexcept {
    // An injected close failure still closes: Linux releases the fd even when
    // close() reports an error, and the seam must not invent leaks.
    if (inject()) {
        int err = errno;
        ::close(fd);
        errno = err;
        return -1;
    }
    return ::close(fd);
}
ssize_t read(int fd, void* buf, std::size_t n) noexcept {
    TEMPIO_SYSCALL(-1, ::read(fd, buf, n));
}
ssize_t pread(int fd, void* buf, std::size_t n, off_t off) noexcept {
    TEMPIO_SYSCALL(-1, ::pread(fd, buf, n, off));
}
ssize_t write(int fd, const void* buf, std::size_t n) noexcept {
    TEMPIO_SYSCALL(-1, ::write(fd, buf, n));
}
ssize_t writev(int fd, const iovec* iov, int iovcnt) noexcept {
    TEMPIO_SYSCALL(-1, ::writev(fd, iov, iovcnt));
}
off_t lseek(int fd, off_t off, int whence) noexcept {
    TEMPIO_SYSCALL(-1, ::lseek(fd, off, whence));
}
int ftruncate(int fd, off_t size) noexcept {
    TEMPIO_SYSCALL(-1, ::ftruncate(fd, size));
}
int fsync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fsync(fd));
}
int fdatasync(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fdatasync(fd));
}
int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) noexcept {
    TEMPIO_SYSCALL(-1, ::renameat2(olddirfd, oldpath, newdirfd, newpath, flags));
}
int linkat(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
           int flags) noexcept {
    TEMPIO_SYSCALL(-1, ::linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}
int fstat(int fd, struct stat* st) noexcept {
    TEMPIO_SYSCALL(-1, ::fstat(fd, st));
}
int fstatat(int dirfd, const char* path, struct stat* st, int flags) noexcept {
    TEMPIO_SYSCALL(-1, ::fstatat(dirfd, path, st, flags));
}
int statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st) noexcept {
    TEMPIO_SYSCALL(-1, ::statx(dirfd, path, flags, mask, st));
}
int fchmod(int fd, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, ::fchmod(fd, mode));
}
int dup(int fd) noexcept {
    TEMPIO_SYSCALL(-1, ::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}
DIR* fdopendir(int fd) noexcept {
    TEMPIO_SYSCALL(nullptr, ::fdopendir(fd));
}
int closedir(DIR* d) noexcept {
    if (inject()) {
        int err = errno;
        ::closedir(d);
        errno = err;
        return -1;
    }
    return ::closedir(d);
}
dirent* readdir(DIR* d) noexcept {
    TEMPIO_SYSCALL(nullptr, ::readdir(d));
}
int chmod(const char* path, mode_t mode) noexcept {
    TEMPIO_SYSCALL(-1, ::chmod(path, mode));
}
ssize_t getrandom(void* buf, std::size_t n, unsigned flags) noexcept {
    TEMPIO_SYSCALL(-1, ::getrandom(buf, n, flags));
}
bool total_memory(std::uint64_t& bytes) noexcept {
    if (inject()) return false;
    struct sysinfo info {};
    if (::sysinfo(&info) != 0) return false;
    bytes = (std::uint64_t(info.totalram) + info.totalswap) * info.mem_unit;
    return true;
}
bool getcwd(std::string& out) noexcept {
    if (inject()) return false;
    char buf[PATH_MAX];
    if (::getcwd(buf, sizeof buf) == nullptr) return false;
    try {
        out.assign(buf);
    } catch (...) {
        errno = ENOMEM;
        return false;
    }
    return true;
}

#undef TEMPIO_SYSCALL

}  // namespace tempio::detail::sys
