// The platform seam on POSIX: no clone, no copy_file_range, no extended
// attributes (platform.hpp). The caller copies by reading and writing.
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
