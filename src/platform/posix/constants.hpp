// POSIX.1-2008's answers to the platform seam's compile-time questions
// (platform.hpp): no anonymous files, no exchange, no one-call no-clobber
// rename, no O_PATH.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

namespace tempio::detail::platform {

using name_stat = struct stat;

namespace constants {
inline constexpr bool anonymous_files = false;
inline constexpr bool exchange = false;
inline constexpr bool native_noclobber = false;
inline constexpr bool memory_fs_probe = false;
inline constexpr bool signal_safe_listing = false;
inline constexpr bool extended_attributes = false;
inline constexpr int dir_handle_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
inline constexpr int anonymous_file_flags = 0;  // never used
}  // namespace constants

}  // namespace tempio::detail::platform
