// The platform seam on Linux: copies by the file system (FICLONE,
// copy_file_range) and extended attributes (platform.hpp). The attributes
// are read through /proc/self/fd of an O_PATH descriptor, so a target this
// process may not read still gives its ACL and label.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "core/sys.hpp"
#include "platform/linux/sys_linux.hpp"
#include "platform/platform.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail::platform {
namespace {

// Errors that say "not this way here", not "the copy failed".
bool means_unsupported(int err) noexcept {
    return err == EXDEV || err == EINVAL || err == EOPNOTSUPP || err == ENOTTY || err == ENOSYS ||
           err == EBADF || err == EPERM;
}

// Errors that say "this process or file system cannot carry the
// attribute", skipped unless strict.
bool means_refused(int err) noexcept {
    return err == EPERM || err == EACCES || err == ENOTSUP || err == EINVAL || err == ERANGE;
}

error_code from_errno() {
    return {errno != 0 ? errno : EIO, boost::system::system_category()};
}

}  // namespace

int copy_by_file_system(int from, int to) noexcept {
    if (sys::ficlone(to, from) == 0) return 1;
    if (!means_unsupported(errno)) return -1;
    off_t in = 0, out = 0;
    for (bool first = true;; first = false) {
        ssize_t n = sys::copy_file_range(from, &in, to, &out, std::size_t(1) << 30);
        if (n == 0) return 1;
        if (n > 0) continue;
        if (errno == EINTR) continue;
        return first && means_unsupported(errno) ? 0 : -1;
    }
}

bool copy_extended_attributes(int dirfd, const char* name, int to, bool strict, error_code& ec) {
    unique_fd held(sys::openat(dirfd, name, O_PATH | O_CLOEXEC));
    if (!held) {
        if (errno == ENOENT || errno == ELOOP) return true;  // no target: nothing to keep
        ec = from_errno();
        return false;
    }
    const std::string path = "/proc/self/fd/" + std::to_string(held.get());
    try {
        std::vector<char> names;
        for (int tries = 0;; ++tries) {
            ssize_t size = sys::listxattr(path.c_str(), nullptr, 0);
            if (size >= 0) {
                names.resize(static_cast<std::size_t>(size));
                size = size == 0 ? 0 : sys::listxattr(path.c_str(), names.data(), names.size());
            }
            if (size >= 0) {
                names.resize(static_cast<std::size_t>(size));
                break;
            }
            if (errno == ERANGE && tries < 3) continue;  // grew meanwhile
            if (errno == ENOTSUP && !strict) return true;
            ec = from_errno();
            return false;
        }
        std::vector<char> value;
        for (std::size_t at = 0; at < names.size();) {
            const char* attr = names.data() + at;
            at += std::char_traits<char>::length(attr) + 1;
            ssize_t size = sys::getxattr(path.c_str(), attr, nullptr, 0);
            if (size > 0) {
                value.resize(static_cast<std::size_t>(size));
                size = sys::getxattr(path.c_str(), attr, value.data(), value.size());
            }
            if (size < 0) {
                if (errno == ENODATA) continue;  // removed meanwhile
                if (!strict && means_refused(errno)) continue;
                ec = from_errno();
                return false;
            }
            if (sys::fsetxattr(to, attr, value.data(), static_cast<std::size_t>(size)) != 0) {
                if (!strict && means_refused(errno)) continue;
                ec = from_errno();
                return false;
            }
        }
    } catch (const std::bad_alloc&) {
        ec.assign(ENOMEM, boost::system::system_category());
        return false;
    }
    return true;
}

}  // namespace tempio::detail::platform
