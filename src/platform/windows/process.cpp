// The platform seam on Windows: the process and its file systems
// (platform.hpp). No umask (a new file's mode is its ACL's business), the
// system's random generator, the physical memory, no fork (so nothing to
// notice), no memory file system to tell (no inline dispatch).
#include <windows.h>

// After windows.h, which defines the types it uses.
#include <ntsecapi.h>

#include "core/atomic_wait.hpp"
#include "platform/platform.hpp"

namespace tempio::detail::platform {

bool read_umask(mode_t&) noexcept {
    return false;
}

bool random_bytes(void* buf, std::size_t n) noexcept {
    auto* p = static_cast<unsigned char*>(buf);
    while (n != 0) {
        ULONG part = n < 256 ? static_cast<ULONG>(n) : 256;
        if (!RtlGenRandom(p, part)) return false;  // advapi32's SystemFunction036
        p += part;
        n -= part;
    }
    return true;
}

bool total_memory(std::uint64_t& bytes) noexcept {
    MEMORYSTATUSEX status{};
    status.dwLength = sizeof status;
    if (!GlobalMemoryStatusEx(&status)) return false;
    bytes = status.ullTotalPhys;
    return true;
}

std::atomic<unsigned>* flag_cleared_on_fork() noexcept {
    return nullptr;  // no fork on Windows; getpid() never changes
}

bool directory_on_memory_fs(const char*) noexcept {
    return false;
}
bool descriptor_on_memory_fs(int) noexcept {
    return false;
}

}  // namespace tempio::detail::platform

namespace tempio::detail::os {

void wait_on_address(const volatile void* address, const void* old, std::size_t size) noexcept {
    WaitOnAddress(const_cast<volatile void*>(address), const_cast<void*>(old), size, INFINITE);
}

void wake_all_on_address(const volatile void* address) noexcept {
    WakeByAddressAll(const_cast<void*>(address));
}

}  // namespace tempio::detail::os
