#include "tempio/unique_fd.hpp"

#include "core/sys.hpp"

namespace tempio {

void unique_fd::reset(int fd) noexcept {
    int old = std::exchange(fd_, fd);
    // No EINTR retry: on Linux the descriptor is released even then.
    if (old >= 0) detail::sys::close(old);
}

}  // namespace tempio
