// The system-call seam's Linux-only calls (core/sys.hpp has the POSIX ones):
// counted and made to fail like them, used only by platform/linux/.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace tempio::detail::sys {

int renameat2(int olddirfd, const char* oldpath, int newdirfd, const char* newpath,
              unsigned flags) noexcept;
int statx(int dirfd, const char* path, int flags, unsigned mask, struct statx* st) noexcept;
ssize_t getrandom(void* buf, std::size_t n, unsigned flags) noexcept;
bool sysinfo_memory(std::uint64_t& bytes) noexcept;

}  // namespace tempio::detail::sys
