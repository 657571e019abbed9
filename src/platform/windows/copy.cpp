// The platform seam on Windows: copies (platform.hpp). No clone call is
// used (ReFS block cloning is untested here): the caller reads and writes.
// No extended attributes are copied (NTFS EAs and ACLs are not POSIX's).
#include <cerrno>

#include "core/os_error.hpp"
#include "platform/platform.hpp"

namespace tempio::detail::platform {

int copy_by_file_system(int, int) noexcept {
    return 0;
}

bool copy_extended_attributes(int, const char*, int, bool strict, error_code& ec) {
    if (strict) {
        ec = os_error(ENOTSUP);
        return false;
    }
    return true;
}

}  // namespace tempio::detail::platform
