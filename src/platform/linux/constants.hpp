// Linux's answers to the platform seam's compile-time questions (platform.hpp).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

namespace tempio::detail::platform {

using name_stat = struct statx;

namespace constants {
inline constexpr bool anonymous_files = true;
inline constexpr bool exchange = true;
inline constexpr bool native_noclobber = true;
inline constexpr bool memory_fs_probe = true;
inline constexpr bool signal_safe_listing = true;
inline constexpr bool extended_attributes = true;
inline constexpr int dir_handle_flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
inline constexpr int anonymous_file_flags = O_RDWR | O_TMPFILE | O_EXCL | O_CLOEXEC;
}  // namespace constants

}  // namespace tempio::detail::platform
