// The platform seam with POSIX.1-2008 only: the process and its file systems
// (platform.hpp). No way to read the umask without setting it, getentropy
// for randomness, sysconf for memory, no fork-cleared page (getpid is
// compared), no memory-file-system test (so no inline dispatch).
#include <unistd.h>

#include <climits>

#include "platform/platform.hpp"

namespace tempio::detail::platform {

bool read_umask(mode_t&) noexcept {
    return false;
}

bool random_bytes(void* buf, std::size_t n) noexcept {
    auto* p = static_cast<unsigned char*>(buf);
    while (n != 0) {
        std::size_t part = n < 256 ? n : 256;  // getentropy's limit
        if (::getentropy(p, part) != 0) return false;
        p += part;
        n -= part;
    }
    return true;
}

bool total_memory(std::uint64_t& bytes) noexcept {
    long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return false;
    bytes = std::uint64_t(pages) * std::uint64_t(size);
    return true;
}

std::atomic<unsigned>* flag_cleared_on_fork() noexcept {
    return nullptr;
}

bool directory_on_memory_fs(const char*) noexcept {
    return false;
}
bool descriptor_on_memory_fs(int) noexcept {
    return false;
}

}  // namespace tempio::detail::platform
