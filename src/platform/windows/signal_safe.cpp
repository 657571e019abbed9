// The platform seam on Windows: no listing from a handler is needed (a
// console control handler runs on its own thread), and none is made: a
// directory is removed from there only when it is empty (platform.hpp).
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
