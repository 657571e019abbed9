// The platform seam on Linux: a directory listed from a signal handler
// (platform.hpp). getdents64 fills the caller's buffer: no allocation, no lock.
#include <dirent.h>

#include <cstring>

#include "platform/platform.hpp"

namespace tempio::detail::platform {

const char* signal_safe_entries::next(bool* is_dir) noexcept {
    for (;;) {
        if (pos_ >= end_) {
            ssize_t n = ::getdents64(fd_, buf_, size_);
            if (n <= 0) return nullptr;  // the end, or an error: nothing more
            pos_ = 0;
            end_ = static_cast<std::size_t>(n);
        }
        // The kernel aligns each record; the buffer is the caller's, aligned too.
        auto* d = reinterpret_cast<struct dirent64*>(buf_ + pos_);
        pos_ += d->d_reclen;
        const char* name = d->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        *is_dir = d->d_type == DT_DIR;
        return name;
    }
}

}  // namespace tempio::detail::platform
