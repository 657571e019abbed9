#include "platform/linux/sys_linux.hpp"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "core/sys.hpp"

namespace tempio::detail::sys {

// Counted, and failed when the seam says so (test builds only).
#if TEMPIO_TEST_SEAM
#define TEMPIO_SEAM_CALL(fail_value) \
    if (counted_call_fails()) return fail_value
#else
#define TEMPIO_SEAM_CALL(fail_value) (void)0
#endif

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}
int statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::statx(dirfd, path, flags, mask, st);
}
ssize_t getrandom(void* buf, std::size_t n, unsigned flags) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::getrandom(buf, n, flags);
}
bool sysinfo_memory(std::uint64_t& bytes) noexcept {
    TEMPIO_SEAM_CALL(false);
    struct sysinfo info {};
    if (::sysinfo(&info) != 0) return false;
    bytes = (std::uint64_t(info.totalram) + info.totalswap) * info.mem_unit;
    return true;
}

int ficlone(int to, int from) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::ioctl(to, FICLONE, from);
}
ssize_t copy_file_range(int from, off_t* from_off, int to, off_t* to_off, std::size_t n) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::copy_file_range(from, from_off, to, to_off, n, 0);
}
ssize_t listxattr(const char* path, char* list, std::size_t size) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::listxattr(path, list, size);
}
ssize_t getxattr(const char* path, const char* name, void* value, std::size_t size) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::getxattr(path, name, value, size);
}
int fsetxattr(int fd, const char* name, const void* value, std::size_t size) noexcept {
    TEMPIO_SEAM_CALL(-1);
    return ::fsetxattr(fd, name, value, size, 0);
}

#undef TEMPIO_SEAM_CALL

}  // namespace tempio::detail::sys
