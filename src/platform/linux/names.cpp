// The platform seam on Linux: names (platform.hpp). renameat2 for the three
// kinds of rename, linkat of an O_TMPFILE, statx for identities and the
// append-only attribute, O_PATH descriptors and /proc/self/fd for a
// directory we cannot read.
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "core/sys.hpp"
#include "platform/linux/sys_linux.hpp"
#include "platform/platform.hpp"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace tempio::detail::platform {

int rename_at(int fromdir, const char* from, int todir, const char* to, rename_how how) noexcept {
    unsigned flags = how == rename_how::noclobber  ? RENAME_NOREPLACE
                     : how == rename_how::exchange ? RENAME_EXCHANGE
                                                   : 0;
    return sys::renameat2(fromdir, from, todir, to, flags);
}

int link_open_file(int fd, int dirfd, const char* name) noexcept {
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels;
    // /proc/self/fd/N with AT_SYMLINK_FOLLOW does not.
    if (sys::linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT && errno != EPERM && errno != EINVAL) return -1;
    char proc[32];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return sys::linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW);
}

std::string path_of_directory(int fd) {
    char proc[32];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    std::string out(256, '\0');
    for (;;) {
        ssize_t n = ::readlink(proc, out.data(), out.size());
        if (n < 0) return {};
        if (static_cast<std::size_t>(n) < out.size()) {
            out.resize(static_cast<std::size_t>(n));
            break;
        }
        out.resize(out.size() * 2);
    }
    if (out.empty() || out[0] != '/' || out.ends_with(" (deleted)")) return {};
    return out;
}

int stat_name(int dirfd, const char* path, name_stat* st) noexcept {
    return sys::statx(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_INO, st);
}
dev_t device_of(const name_stat& st) noexcept {
    return makedev(st.stx_dev_major, st.stx_dev_minor);
}
ino_t inode_of(const name_stat& st) noexcept {
    return st.stx_ino;
}

bool facts_of_directory(const std::string& dir, directory_facts& out, error_code& ec) {
    struct statx stx {};
    if (sys::statx(AT_FDCWD, dir.c_str(), 0, STATX_TYPE, &stx) == 0) {
        out.dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
        out.dev_known = true;
        out.append_only = (stx.stx_attributes_mask & stx.stx_attributes & STATX_ATTR_APPEND) != 0;
        return true;
    }
    if (errno != ENOSYS) {  // ENOSYS: a kernel before 4.11; nothing else to learn
        ec.assign(errno, boost::system::system_category());
        return false;
    }
    return true;
}

int make_held_directory_ours(int fd) noexcept {
    // An O_PATH descriptor refuses fchmod with EBADF; /proc/self/fd/N then
    // names exactly the inode we hold, not a path someone could swap.
    if (sys::fchmod(fd, 0700) == 0) return 0;
    if (errno != EBADF) return -1;
    char proc[40];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return sys::chmod(proc, 0700);
}

int make_directory_ours(int dirfd, const char* name) noexcept {
    int fd = sys::openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st {};
    int r = sys::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && make_held_directory_ours(fd) == 0
                ? 0
                : -2;
    sys::close(fd);
    return r;
}

}  // namespace tempio::detail::platform
