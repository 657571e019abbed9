#include "core/sync_tree.hpp"
#include "core/os_error.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::error_code;
using boost::system::system_category;

// O_NONBLOCK: an entry swapped for a FIFO after it was listed opens without
// waiting for a writer. O_NOFOLLOW: one swapped for a symbolic link fails
// (ELOOP) instead of being followed.
constexpr int file_flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;

error_code last_errno() {
    return os_error(errno != 0 ? errno : EIO);
}

int fsync_fd(int fd) {
    int res;
    do res = sys::fsync(fd);
    while (res != 0 && errno == EINTR);
    return res;
}

int open_at(int dirfd, const char* name, int flags) {
    int fd;
    do fd = sys::openat(dirfd, name, flags);
    while (fd < 0 && errno == EINTR);
    return fd;
}

enum class kind { file, directory, other };

// What an entry is, from the listing when the file system says (d_type),
// else from fstatat (not following a link).
bool kind_of(int dirfd, const sys::dir_entry& e, kind& out, error_code& ec) {
    unsigned char type = e.d_type;
    if (type == DT_UNKNOWN) {
        sys::file_stat st{};
        int res;
        do res = sys::fstatat(dirfd, e.d_name, &st, AT_SYMLINK_NOFOLLOW);
        while (res != 0 && errno == EINTR);
        if (res != 0) {
            ec = last_errno();
            return false;
        }
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_LNK;
    }
    out = type == DT_REG ? kind::file : type == DT_DIR ? kind::directory : kind::other;
    return true;
}

// An open regular file `name` in `dirfd`, flushed and closed.
error_code sync_file(int dirfd, const char* name) {
    int fd = open_at(dirfd, name, file_flags);
    if (fd < 0) return last_errno();
    error_code ec;
    if (fsync_fd(fd) != 0) ec = last_errno();
    sys::close(fd);  // opened for reading only: nothing to report
    return ec;
}

}  // namespace

error_code sync_tree(int fd) {
    sys::dir_stream* root = sys::fdopendir(fd);
    if (root == nullptr) {
        error_code ec = last_errno();
        sys::close(fd);
        return ec;
    }
    std::vector<sys::dir_stream*> stack;
    error_code ec;
    try {
        stack.push_back(root);
    } catch (...) {
        sys::closedir(root);
        return os_error(ENOMEM);
    }
    try {
        while (!stack.empty() && !ec) {
            // Room for one more level, before anything is opened: the
            // push_back below never throws.
            if (stack.size() == stack.capacity()) stack.reserve(stack.size() * 2);
            sys::dir_stream* top = stack.back();
            const int topfd = os::dirfd(top);
            errno = 0;
            sys::dir_entry* e = sys::readdir(top);
            if (e == nullptr) {
                if (errno != 0) {
                    ec = last_errno();
                    break;
                }
                // Every entry flushed: the directory itself.
                if (fsync_fd(topfd) != 0) {
                    ec = last_errno();
                    break;
                }
                stack.pop_back();
                sys::closedir(top);
                continue;
            }
            if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
            kind k{};
            if (!kind_of(topfd, *e, k, ec)) break;
            if (k == kind::file) {
                ec = sync_file(topfd, e->d_name);
            } else if (k == kind::directory) {
                int sub = open_at(topfd, e->d_name, dir_flags);
                if (sub < 0) {
                    ec = last_errno();
                    break;
                }
                sys::dir_stream* d = sys::fdopendir(sub);
                if (d == nullptr) {
                    ec = last_errno();
                    sys::close(sub);
                    break;
                }
                stack.push_back(d);  // reserved above
            }
        }
    } catch (...) {  // std::bad_alloc from reserve
        ec = os_error(ENOMEM);
    }
    for (sys::dir_stream* d : stack) sys::closedir(d);
    return ec;
}

}  // namespace tempio::detail
