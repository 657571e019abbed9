#include "core/remove_tree.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "tempio/unique_fd.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

constexpr int dir_open_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;

// One directory being emptied. `dir` is null while the frame is evicted to
// bound the number of open descriptors; it is reopened through "..".
struct frame {
    DIR* dir = nullptr;
    dev_t dev = 0;
    ino_t ino = 0;
    std::string name;  // relative to the parent frame
    bool repaired = false;
};

class tree_remover {
public:
    remove_tree_error run(int parent_fd, const std::string& name);

private:
    void note(int err, const std::string& name_in_top);
    std::string relative(const std::string& name_in_top) const;
    bool push(int parent_fd, const std::string& name);
    bool reopen_parent(std::size_t index, int child_fd);
    bool repair(frame& f);
    bool chmod_held(int fd, mode_t mode);
    void unlink_entry(frame& top, const char* name, bool is_dir_hint);
    int top_fd() const { return dirfd(stack_.back().dir); }

    std::vector<frame> stack_;
    remove_tree_error result_;
};

void tree_remover::note(int err, const std::string& name_in_top) {
    if (result_.ec) return;
    result_.ec.assign(err, system_category());
    result_.where = relative(name_in_top);
}

std::string tree_remover::relative(const std::string& name_in_top) const {
    std::string path;
    for (std::size_t i = 1; i < stack_.size(); ++i) {
        path += stack_[i].name;
        path += '/';
    }
    path += name_in_top;
    if (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

// fchmod on a descriptor we hold. For an O_PATH descriptor (a directory we
// cannot open for reading) go through /proc/self/fd, which names exactly the
// inode we hold, never a path that could have been swapped.
bool tree_remover::chmod_held(int fd, mode_t mode) {
    if (sys::fchmod(fd, mode) == 0) return true;
    if (errno != EBADF) return false;
    char proc[64];
    std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return ::chmod(proc, mode) == 0;
}

// Opens directory `name` below `parent_fd` and pushes it; repairs an
// unreadable or unsearchable directory through an O_PATH descriptor first.
bool tree_remover::push(int parent_fd, const std::string& name) {
    int fd = sys::openat(parent_fd, name.c_str(), dir_open_flags);
    bool repaired = false;
    if (fd < 0 && errno == EACCES) {
        unique_fd handle(sys::openat(parent_fd, name.c_str(),
                                     O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st;
        if (handle && sys::fstat(handle.get(), &st) == 0 && S_ISDIR(st.st_mode) &&
            chmod_held(handle.get(), 0700)) {
            repaired = true;
            fd = sys::openat(parent_fd, name.c_str(), dir_open_flags);
        } else {
            errno = EACCES;
        }
    }
    if (fd < 0) return false;
    struct stat st;
    if (sys::fstat(fd, &st) != 0) {
        int err = errno;
        sys::close(fd);
        errno = err;
        return false;
    }
    DIR* dir = sys::fdopendir(fd);
    if (dir == nullptr) {
        int err = errno;
        sys::close(fd);
        errno = err;
        return false;
    }
    stack_.push_back(frame{dir, st.st_dev, st.st_ino, name, repaired});
    // Bound the open descriptors: evict the deepest-but-far-enough ancestor.
    if (stack_.size() > max_open_dirs) {
        frame& old = stack_[stack_.size() - 1 - max_open_dirs];
        if (old.dir != nullptr) {
            sys::closedir(old.dir);
            old.dir = nullptr;
        }
    }
    return true;
}

// Reopens evicted frame `index` as ".." of its child, checking it is the same
// directory (dev/ino) so a moved tree is never followed out of the root.
bool tree_remover::reopen_parent(std::size_t index, int child_fd) {
    frame& f = stack_[index];
    int fd = sys::openat(child_fd, "..", dir_open_flags);
    if (fd < 0) return false;
    struct stat st;
    if (sys::fstat(fd, &st) != 0 || st.st_dev != f.dev || st.st_ino != f.ino) {
        sys::close(fd);
        errno = EBUSY;
        return false;
    }
    f.dir = sys::fdopendir(fd);
    if (f.dir == nullptr) {
        int err = errno;
        sys::close(fd);
        errno = err;
        return false;
    }
    return true;
}

bool tree_remover::repair(frame& f) {
    if (f.repaired) return false;
    f.repaired = true;
    return chmod_held(dirfd(f.dir), 0700);
}

void tree_remover::unlink_entry(frame& top, const char* name, bool is_dir) {
    for (;;) {
        int r = sys::unlinkat(dirfd(top.dir), name, is_dir ? AT_REMOVEDIR : 0);
        if (r == 0 || errno == ENOENT) return;
        if (errno == EINTR) continue;
        if ((errno == EACCES || errno == EPERM) && repair(top)) continue;
        note(errno, name);
        return;
    }
}

remove_tree_error tree_remover::run(int parent_fd, const std::string& name) {
    struct stat st;
    if (sys::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno != ENOENT) note(errno, "");
        return result_;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (sys::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) note(errno, "");
        return result_;
    }
    // The root's parent stays held (not owned) as frame 0's descriptor.
    int parent_dup = sys::dup(parent_fd);
    DIR* parent_dir = parent_dup >= 0 ? sys::fdopendir(parent_dup) : nullptr;
    if (parent_dir == nullptr) {
        int err = errno;
        if (parent_dup >= 0) sys::close(parent_dup);
        note(err, "");
        return result_;
    }
    stack_.push_back(frame{parent_dir, 0, 0, {}, true});
    if (!push(parent_fd, name)) {
        if (errno != ENOENT) note(errno, "");
        sys::closedir(parent_dir);
        return result_;
    }
    while (stack_.size() > 1) {
        frame& top = stack_.back();
        errno = 0;
        dirent* entry = ::readdir(top.dir);
        if (entry != nullptr) {
            const char* n = entry->d_name;
            if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
            bool is_dir = entry->d_type == DT_DIR;
            if (entry->d_type == DT_UNKNOWN) {
                struct stat est;
                if (sys::fstatat(top_fd(), n, &est, AT_SYMLINK_NOFOLLOW) != 0) {
                    if (errno != ENOENT) note(errno, n);
                    continue;
                }
                is_dir = S_ISDIR(est.st_mode);
            }
            if (!is_dir) {
                unlink_entry(top, n, false);
                continue;
            }
            std::string child(n);
            if (push(top_fd(), child)) continue;
            int err = errno;
            if (err == ELOOP || err == ENOTDIR) {
                // Replaced by a non-directory meanwhile: unlink the new entry
                // itself, never what it points to.
                unlink_entry(top, child.c_str(), false);
            } else if (err == EACCES && repair(top)) {
                // The parent was unsearchable; it is now 0700: try once more.
                if (!push(top_fd(), child) && errno != ENOENT) note(errno, child);
            } else if (err != ENOENT) {
                note(err, child);
            }
            continue;
        }
        if (errno != 0) note(errno, "");
        // Directory listed to the end: remove it from its parent.
        frame done = std::move(stack_.back());
        stack_.pop_back();
        frame& parent = stack_.back();
        if (parent.dir == nullptr && !reopen_parent(stack_.size() - 1, dirfd(done.dir))) {
            note(errno, done.name);
            sys::closedir(done.dir);
            break;  // cannot reach the parent safely: stop here
        }
        sys::closedir(done.dir);
        unlink_entry(parent, done.name.c_str(), true);
        // After an eviction the parent's listing restarts: entries already
        // removed are gone, the rest are seen again.
    }
    for (frame& f : stack_)
        if (f.dir != nullptr) sys::closedir(f.dir);
    stack_.clear();
    return result_;
}

}  // namespace

remove_tree_error remove_tree_at(int parent_fd, const std::string& name) {
    return tree_remover{}.run(parent_fd, name);
}

remove_tree_error remove_tree(const std::string& root) {
    std::string parent = root, name = root;
    auto slash = root.find_last_of('/');
    if (slash == std::string::npos) {
        parent = ".";
    } else {
        parent = slash == 0 ? "/" : root.substr(0, slash);
        name = root.substr(slash + 1);
    }
    unique_fd pfd(sys::openat(AT_FDCWD, parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pfd) {
        remove_tree_error r;
        if (errno != ENOENT) r.ec.assign(errno, system_category());
        return r;
    }
    return remove_tree_at(pfd.get(), name);
}

}  // namespace tempio::detail
