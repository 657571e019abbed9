// The platform seam with POSIX.1-2008 only: names (platform.hpp). rename(2)
// replaces; there is no one-call no-clobber rename (EINVAL: the core links
// and unlinks, as Rust's tempfile does where renameat2 is missing), no
// exchange and no anonymous file to link.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail::platform {

int rename_at(int fromdir, const char* from, int todir, const char* to, rename_how how) noexcept {
    switch (how) {
        case rename_how::replace:
            return sys::renameat(fromdir, from, todir, to);
        case rename_how::noclobber:
            errno = EINVAL;  // "no such flag here": the caller's link + unlink
            return -1;
        case rename_how::exchange:
            break;
    }
    errno = EOPNOTSUPP;
    return -1;
}

int link_open_file(int, int, const char*) noexcept {
    errno = EOPNOTSUPP;  // no anonymous files to link
    return -1;
}

std::string path_of_directory(int fd) {
#if defined(F_GETPATH)  // macOS and some BSDs
    char buf[PATH_MAX];
    if (::fcntl(fd, F_GETPATH, buf) == 0 && buf[0] == '/') return buf;
#else
    (void)fd;
#endif
    return {};
}

int stat_name(int dirfd, const char* path, name_stat* st) noexcept {
    return sys::fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW);
}
sys::device_id device_of(const name_stat& st) noexcept {
    return st.st_dev;
}
sys::inode_id inode_of(const name_stat& st) noexcept {
    return st.st_ino;
}

bool facts_of_directory(const std::string& dir, directory_facts& out, error_code& ec) {
    struct stat st {};
    if (sys::fstatat(AT_FDCWD, dir.c_str(), &st, 0) != 0) {
        ec = os_error(errno);
        return false;
    }
    out.dev = st.st_dev;
    out.dev_known = true;
    return true;  // append-only (BSD's uappnd) not learned: the unlink says it
}

int make_held_directory_ours(int fd) noexcept {
    return sys::fchmod(fd, 0700);
}

int make_directory_ours(int dirfd, const char* name) noexcept {
    struct stat st {};
    if (sys::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) return -2;
    // Never through a link: one swapped in after the fstatat is refused.
    return sys::fchmodat(dirfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -2;
}

}  // namespace tempio::detail::platform
