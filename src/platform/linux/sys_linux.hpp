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
// Copies (platform/linux/copy.cpp).
int ficlone(int to, int from) noexcept;
ssize_t copy_file_range(int from, off_t* from_off, int to, off_t* to_off, std::size_t n) noexcept;
ssize_t listxattr(const char* path, char* list, std::size_t size) noexcept;
ssize_t getxattr(const char* path, const char* name, void* value, std::size_t size) noexcept;
int fsetxattr(int fd, const char* name, const void* value, std::size_t size) noexcept;

}  // namespace tempio::detail::sys
