#include "platform/linux/sys_linux.hpp"

#include <sys/random.h>
#include <sys/sysinfo.h>

#include "core/sys.hpp"

namespace tempio::detail::sys {

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) noexcept {
    if (counted_call_fails()) return -1;
    return ::renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
}
int statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st) noexcept {
    if (counted_call_fails()) return -1;
    return ::statx(dirfd, path, flags, mask, st);
}
ssize_t getrandom(void* buf, std::size_t n, unsigned flags) noexcept {
    if (counted_call_fails()) return -1;
    return ::getrandom(buf, n, flags);
}
bool sysinfo_memory(std::uint64_t& bytes) noexcept {
    if (counted_call_fails()) return false;
    struct sysinfo info {};
    if (::sysinfo(&info) != 0) return false;
    bytes = (std::uint64_t(info.totalram) + info.totalswap) * info.mem_unit;
    return true;
}

}  // namespace tempio::detail::sys
