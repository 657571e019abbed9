#include "core/publish.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

#include "core/names.hpp"
#include "core/paths.hpp"
#include "core/sys.hpp"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace tempio::detail {
namespace {

using boost::system::system_category;

error_code last_errno() {
    return error_code(errno != 0 ? errno : EIO, system_category());
}

// EINVAL from renameat2's flags: the file system does not support them.
bool flags_refused(int err) {
    return err == EINVAL || err == ENOSYS;
}

int retry_eintr(auto call) {
    int r;
    do r = call();
    while (r != 0 && errno == EINTR);
    return r;
}

// link(2) of `fd`'s inode to `to`: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH
// on older kernels; /proc/self/fd/N with AT_SYMLINK_FOLLOW does not.
int link_fd(int fd, const std::string& to) {
    if (retry_eintr([&] { return sys::linkat(fd, "", AT_FDCWD, to.c_str(), AT_EMPTY_PATH); }) == 0)
        return 0;
    if (errno != ENOENT && errno != EPERM && errno != EINVAL) return -1;
    char proc[32];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return retry_eintr(
        [&] { return sys::linkat(AT_FDCWD, proc, AT_FDCWD, to.c_str(), AT_SYMLINK_FOLLOW); });
}

}  // namespace

bool resolve_target(const std::string& target, std::string& abs, std::string& dir, error_code& ec) {
    if (target.empty() || target.find('\0') != std::string::npos) {
        ec.assign(EINVAL, system_category());
        return false;
    }
    abs = absolute_normal(target);
    if (abs.empty()) {
        ec = last_errno();
        return false;
    }
    auto slash = abs.rfind('/');
    if (abs == "/" || slash == std::string::npos) {
        ec.assign(EINVAL, system_category());  // "/" cannot be a target
        return false;
    }
    dir = slash == 0 ? std::string("/") : abs.substr(0, slash);
    return true;
}

bool resolve_target(publish_request& r, error_code& ec) {
    if (!r.dir.empty()) return true;
    std::string abs, dir;
    if (!resolve_target(r.target, abs, dir, ec)) return false;
    r.target = std::move(abs);
    r.dir = std::move(dir);
    return true;
}

error_code rename_into_place(const std::string& from, const std::string& to, publish_mode how,
                             bool is_directory) {
    unsigned flags = how == publish_mode::noclobber  ? RENAME_NOREPLACE
                     : how == publish_mode::exchange ? RENAME_EXCHANGE
                                                     : 0;
    auto rename = [&] {
        return sys::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags);
    };
    if (retry_eintr(rename) == 0) return {};
    if (!(flags == RENAME_NOREPLACE && flags_refused(errno) && !is_directory)) return last_errno();
    // The file system cannot rename without replacing: link (which never
    // replaces), then remove the old name.
    if (retry_eintr([&] { return sys::linkat(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), 0); }) !=
        0)
        return last_errno();
    if (retry_eintr([&] { return sys::unlinkat(AT_FDCWD, from.c_str(), 0); }) != 0 &&
        errno != ENOENT) {
        error_code ec = last_errno();
        // Published under both names: take the new one back, report.
        sys::unlinkat(AT_FDCWD, to.c_str(), 0);
        return ec;
    }
    return {};
}

error_code link_into_place(int fd, const std::string& to, publish_mode how, std::string* kept) {
    if (how == publish_mode::noclobber) return link_fd(fd, to) == 0 ? error_code() : last_errno();
    // Replace: link under a fresh hidden name, then rename it over the target.
    std::string hidden;
    for (unsigned long i = 0;; ++i) {
        hidden = hidden_name_for(to);
        if (link_fd(fd, hidden) == 0) break;
        if (errno != EEXIST || i + 1 >= tmp_max) return last_errno();
    }
    if (retry_eintr([&] {
            return sys::renameat2(AT_FDCWD, hidden.c_str(), AT_FDCWD, to.c_str(), 0);
        }) != 0) {
        error_code ec = last_errno();
        if (kept != nullptr)
            *kept = std::move(hidden);
        else
            sys::unlinkat(AT_FDCWD, hidden.c_str(), 0);
        return ec;
    }
    return {};
}

error_code sync_directory(const std::string& dir) {
    int fd;
    do fd = sys::openat(AT_FDCWD, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return last_errno();
    error_code ec;
    if (retry_eintr([&] { return sys::fsync(fd); }) != 0) ec = last_errno();
    sys::close(fd);
    return ec;
}

std::string hidden_name_for(const std::string& target_abs) {
    auto slash = target_abs.rfind('/');
    std::string out = target_abs.substr(0, slash + 1);
    out += '.';
    out += std::string_view(target_abs).substr(slash + 1);
    out += '.';
    append_random_name(out);
    return out;
}

mode_t default_new_file_mode() noexcept {
    mode_t mask = 022;
    try {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line)) {
            if (line.rfind("Umask:", 0) == 0) {
                mask = static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
                break;
            }
        }
    } catch (...) {  // no /proc: the common default
    }
    return 0666 & ~mask;
}

}  // namespace tempio::detail
