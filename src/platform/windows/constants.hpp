// Windows' answers to the platform seam's compile-time questions
// (platform.hpp): no anonymous file that can be named later (a file is
// created, then its name deleted with POSIX semantics), a rename that never
// replaces in one call (FILE_RENAME_INFO without ReplaceIfExists), no
// exchange, no memory file system to tell, no extended attributes copied.
#pragma once

#include "platform/windows/posix_api.hpp"

namespace tempio::detail::platform {

using name_stat = os::file_stat;

namespace constants {
inline constexpr bool anonymous_files = false;
inline constexpr bool exchange = false;
inline constexpr bool native_noclobber = true;
inline constexpr bool memory_fs_probe = false;
inline constexpr bool signal_safe_listing = false;
inline constexpr bool extended_attributes = false;
inline constexpr int dir_handle_flags = O_RDONLY | O_DIRECTORY;
inline constexpr int anonymous_file_flags = 0;  // never used
}  // namespace constants

}  // namespace tempio::detail::platform
