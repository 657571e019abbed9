// The platform seam with POSIX.1-2008 only: no directory can be listed from
// a signal handler (readdir may allocate), so a handler finds no entries and
// removes only empty directories (platform.hpp).
#include "platform/platform.hpp"

namespace tempio::detail::platform {

const char* signal_safe_entries::next(bool* is_dir) noexcept {
    (void)fd_;
    (void)buf_;
    (void)size_;
    (void)pos_;
    (void)end_;
    *is_dir = false;
    return nullptr;
}

}  // namespace tempio::detail::platform
