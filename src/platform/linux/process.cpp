// The platform seam on Linux: the process and its file systems
// (platform.hpp). /proc/self/status for the umask, getrandom, sysinfo,
// MADV_WIPEONFORK, statfs magic numbers.
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <new>
#include <string>

#include "platform/linux/sys_linux.hpp"
#include "platform/platform.hpp"

namespace tempio::detail::platform {
namespace {

bool is_memory(const struct statfs& st) noexcept {
    return st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
}

}  // namespace

bool read_umask(mode_t& out) noexcept {
    try {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("Umask:", 0) == 0) {
                out = static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
                return true;
            }
        }
    } catch (...) {
    }
    return false;
}

bool random_bytes(void* buf, std::size_t n) noexcept {
    return sys::getrandom(buf, n, 0) == static_cast<ssize_t>(n);
}

bool total_memory(std::uint64_t& bytes) noexcept {
    return sys::sysinfo_memory(bytes);
}

std::atomic<unsigned>* flag_cleared_on_fork() noexcept {
    // pthread_atfork handlers do not run for syscall(SYS_fork) or clone(): a
    // page the kernel zeroes in every child (Linux 4.14) sees those too.
    long size = ::sysconf(_SC_PAGESIZE);
    if (size <= 0) return nullptr;
    void* page = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return nullptr;
    if (::madvise(page, static_cast<std::size_t>(size), MADV_WIPEONFORK) != 0) {
        ::munmap(page, static_cast<std::size_t>(size));
        return nullptr;
    }
    return new (page) std::atomic<unsigned>(1);  // mapped for the life of the process
}

// Probes, not through the system-call seam: a failure only means "not known
// to be memory", no part of any operation's outcome.
bool directory_on_memory_fs(const char* dir) noexcept {
    struct statfs st {};
    return ::statfs(dir, &st) == 0 && is_memory(st);
}
bool descriptor_on_memory_fs(int fd) noexcept {
    struct statfs st {};
    return ::fstatfs(fd, &st) == 0 && is_memory(st);
}

}  // namespace tempio::detail::platform
