#include "core/remove_tree.hpp"
#include "core/os_error.hpp"

#include <cerrno>
#include <cstdio>
#include <set>
#include <utility>
#include <vector>

#include "core/sys.hpp"
#include "platform/platform.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

// O_NOFOLLOW: a symlink fails (ELOOP) instead of being followed. O_DIRECTORY:
// a FIFO or device fails (ENOTDIR) before it is opened. O_NONBLOCK: belt and
// braces for the same. Names are always a single component.
constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
constexpr int parent_index = -1;  // stands for the caller's parent descriptor

// An entry that keeps changing type under us (an attacker swapping a directory
// and a symlink) is retried this many times, then reported.
constexpr int max_attempts = 16;

// One directory being emptied. `dir` is null while the frame is evicted to
// bound the descriptors; it is reopened when the walk climbs back to it.
struct frame {
    sys::dir_stream* dir = nullptr;
    sys::device_id dev = 0;
    sys::inode_id ino = 0;
    std::string name;       // relative to the parent frame
    bool repaired = false;  // already chmod-ed 0700 through a held fd
};

class tree_remover {
  public:
    explicit tree_remover(int parent_fd) : parent_fd_(parent_fd) {}
    remove_tree_error run(const std::string& name);

  private:
    int fd_of(int index) const {
        return index == parent_index ? parent_fd_ : os::dirfd(stack_[index].dir);
    }
    int top() const { return static_cast<int>(stack_.size()) - 1; }
    void note(int err, const char* name_in_top);
    void handle_entry(int index, const char* name, unsigned char type);
    int open_dir(int index, const char* name);
    bool push(int index, const char* name, const sys::file_stat* listed);
    void pop();
    bool reopen(int index, int child_fd);
    void evict_if_full();
    bool repair(int index);
    bool chmod_held(int fd);
    int unlink_in(int index, const char* name, int flags);
    void close_all();

    int parent_fd_;
    std::vector<frame> stack_;  // stack_[0] is the root; never evicted
    std::size_t open_ = 0;      // frames with an open stream
    std::set<std::pair<sys::device_id, sys::inode_id>> failed_;  // directories not removable
    remove_tree_error result_;
};

void tree_remover::note(int err, const char* name_in_top) {
    if (result_.ec) return;
    result_.ec = os_error(err);
    std::string path;
    for (std::size_t i = 1; i < stack_.size(); ++i) path.append(stack_[i].name).push_back('/');
    path += name_in_top;
    if (!path.empty() && path.back() == '/') path.pop_back();
    result_.where = std::move(path);
}

// chmod 0700 on a descriptor we hold (an O_PATH one included: the platform
// knows how).
bool tree_remover::chmod_held(int fd) {
    return platform::make_held_directory_ours(fd) == 0;
}

// Makes frame `index` readable, searchable and writable, once. The caller's
// parent is not ours: it is never repaired.
bool tree_remover::repair(int index) {
    if (index == parent_index || stack_[index].repaired) return false;
    stack_[index].repaired = true;
    return chmod_held(os::dirfd(stack_[index].dir));
}

int tree_remover::unlink_in(int index, const char* name, int flags) {
    for (;;) {
        if (sys::unlinkat(fd_of(index), name, flags) == 0) return 0;
        if (errno == EINTR) continue;
        if ((errno == EACCES || errno == EPERM) && repair(index)) continue;
        return -1;
    }
}

// Opens directory `name` in frame `index`. An unreadable directory is made
// 0700 through an O_PATH|O_NOFOLLOW descriptor; an unsearchable parent is
// repaired through its held stream.
int tree_remover::open_dir(int index, const char* name) {
    for (int round = 0; round < 2; ++round) {
        int fd = sys::openat(fd_of(index), name, dir_flags);
        if (fd >= 0 || errno != EACCES) return fd;
        // Never following a link there; at most one more descriptor, closed
        // before the next open (keeps the bound).
        int made = platform::make_directory_ours(fd_of(index), name);
        if (made == 0) return sys::openat(fd_of(index), name, dir_flags);
        if (made == -2) return errno = EACCES, -1;
        if (errno != EACCES || !repair(index)) return errno = EACCES, -1;
    }
    return errno = EACCES, -1;
}

// Closes the shallowest evictable stream when the bound is reached. Open
// frames are always the root plus a suffix of the stack, so it is found
// without a scan.
void tree_remover::evict_if_full() {
    if (open_ < max_open_dirs) return;
    std::size_t k = stack_.size() - (max_open_dirs - 1);
    if (k < 1 || k >= stack_.size() || stack_[k].dir == nullptr) return;
    sys::closedir(stack_[k].dir);
    stack_[k].dir = nullptr;
    --open_;
}

// Descends into `name`. False with errno set when it could not; false with
// errno 0 when it is a directory already known to be unremovable.
bool tree_remover::push(int index, const char* name, const sys::file_stat* listed) {
    evict_if_full();
    unique_fd fd(open_dir(index, name));
    if (!fd) return false;
    sys::file_stat st;
    if (sys::fstat(fd.get(), &st) != 0) return false;
    if (listed != nullptr && (st.st_dev != listed->st_dev || st.st_ino != listed->st_ino))
        return errno = EAGAIN, false;  // replaced since we looked: look again
    if (!failed_.empty() && failed_.count({st.st_dev, st.st_ino}) != 0) return errno = 0, false;
    sys::dir_stream* dir = sys::fdopendir(fd.get());
    if (dir == nullptr) return false;
    fd.release();
    stack_.push_back(frame{dir, st.st_dev, st.st_ino, name, false});
    ++open_;
    return true;
}

// Deals with one listed entry of frame `index`: unlinks a non-directory,
// descends into a directory. Types are re-checked when the entry changes
// under us; nothing is ever opened that is not a directory.
void tree_remover::handle_entry(int index, const char* name, unsigned char type) {
    const char* shown = index == parent_index ? "" : name;
    sys::file_stat st;
    bool have_stat = false;
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
        if (type == DT_UNKNOWN) {
            if (sys::fstatat(fd_of(index), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                if (errno != ENOENT) note(errno, shown);
                return;
            }
            type = IFTODT(st.st_mode);
            have_stat = true;
        }
        if (type != DT_DIR) {
            if (unlink_in(index, name, 0) == 0 || errno == ENOENT) return;
            if (errno != EISDIR) return note(errno, shown);
        } else {
            if (push(index, name, have_stat ? &st : nullptr)) return;
            if (errno == 0 || errno == ENOENT) return;
            if (errno != ENOTDIR && errno != ELOOP && errno != EAGAIN) return note(errno, shown);
        }
        type = DT_UNKNOWN;  // it changed type under us: look again
        have_stat = false;
    }
    note(EAGAIN, shown);
}

// Reopens evicted frame `index` as ".." of its child, accepted only if it is
// the same directory (dev/ino). Failing that, walks down from the nearest open
// ancestor by name, each step O_NOFOLLOW and dev/ino checked.
bool tree_remover::reopen(int index, int child_fd) {
    auto same = [this](int fd, int i) {
        sys::file_stat st;
        if (sys::fstat(fd, &st) != 0) return false;
        if (st.st_dev == stack_[i].dev && st.st_ino == stack_[i].ino) return true;
        return errno = ESTALE, false;
    };
    unique_fd fd(sys::openat(child_fd, "..", dir_flags));
    if (!fd || !same(fd.get(), index)) {
        int a = index - 1;
        while (stack_[a].dir == nullptr) --a;  // the root is always open
        fd.reset();
        for (int i = a + 1; i <= index; ++i) {
            int from = i == a + 1 ? fd_of(a) : fd.get();
            unique_fd next(sys::openat(from, stack_[i].name.c_str(), dir_flags));
            if (!next || !same(next.get(), i)) return false;
            fd = std::move(next);
        }
    }
    stack_[index].dir = sys::fdopendir(fd.get());
    if (stack_[index].dir == nullptr) return false;
    fd.release();
    ++open_;
    return true;
}

// The top directory is listed to the end: remove it from its parent.
void tree_remover::pop() {
    frame done = std::move(stack_.back());
    stack_.pop_back();
    int p = top();
    if (p >= 0 && stack_[p].dir == nullptr && !reopen(p, os::dirfd(done.dir))) {
        // Our ancestors moved away under us (or the reopen failed): what is
        // now outside the tree is not ours to remove. Report it, and resume
        // at the nearest ancestor still held.
        note(errno, "");
        sys::closedir(done.dir);
        --open_;
        while (stack_.back().dir == nullptr) {  // and never go back in there
            failed_.insert({stack_.back().dev, stack_.back().ino});
            stack_.pop_back();
        }
        return;
    }
    sys::closedir(done.dir);
    --open_;
    // The parent's listing restarts after a reopen: removed entries are gone,
    // directories that failed are skipped through failed_, so this ends.
    if (unlink_in(p, done.name.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT) return;
    note(errno, p == parent_index ? "" : done.name.c_str());
    failed_.insert({done.dev, done.ino});
}

void tree_remover::close_all() {
    for (frame& f : stack_)
        if (f.dir != nullptr) sys::closedir(f.dir);
    stack_.clear();
    open_ = 0;
}

remove_tree_error tree_remover::run(const std::string& name) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
        result_.ec = os_error(EINVAL);
        return result_;
    }
    handle_entry(parent_index, name.c_str(), DT_UNKNOWN);
    while (!stack_.empty()) {
        errno = 0;
        sys::dir_entry* entry = sys::readdir(stack_.back().dir);
        if (entry == nullptr) {
            if (errno != 0) note(errno, "");  // a broken listing: give this directory up
            pop();
            continue;
        }
        const char* n = entry->d_name;
        if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
        handle_entry(top(), n, entry->d_type);
    }
    close_all();
    return result_;
}

}  // namespace

remove_tree_error remove_tree_at(int parent_fd, const std::string& name) {
    return tree_remover(parent_fd).run(name);
}

namespace {

// The root's parent and name ("." and ".." as names get no rmdir).
struct split_path {
    std::string path, parent, name;  // path: the root without trailing '/'s
    bool rmdir_allowed() const { return !name.empty() && name != "." && name != ".."; }
};

split_path split(const std::string& root) {
    std::string path = root;
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto slash = path.find_last_of('/');
    split_path s;
    s.path = path;
    s.parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    s.name = slash == std::string::npos ? path : path.substr(slash + 1);
    return s;
}

// The walk, after rmdir(root) failed with `rmdir_errno` (0: not tried).
remove_tree_error walk_after_rmdir(const split_path& root, int rmdir_errno) {
    error_code fast_error;
    switch (rmdir_errno) {
        case 0:
        case ENOTEMPTY:
        case EEXIST:
        case ENOTDIR:
        case EACCES:
        case EPERM:
        case EINTR:
            break;  // the walk below handles these cases
        default:    // reported, but the walk still removes what it can
            fast_error = os_error(rmdir_errno);
    }
    // O_PATH (Linux): the parent need not be readable, only searchable and
    // writable; elsewhere it must be readable too.
    unique_fd pfd(sys::openat(AT_FDCWD, root.parent.c_str(), platform::dir_handle_flags));
    if (!pfd) {
        remove_tree_error r;
        if (errno != ENOENT) r.ec = os_error(errno);
        return r;
    }
    remove_tree_error result = remove_tree_at(pfd.get(), root.name);
    if (fast_error && !result.ec) result.ec = fast_error;  // where: "" (the root)
    return result;
}

}  // namespace

remove_tree_error remove_tree(const std::string& root) {
    split_path s = split(root);
    // Fast path: an empty root goes with one rmdir, as `rm -rf` would do it.
    // rmdir never follows a final symlink and removes nothing but an empty
    // directory, so it cannot reach outside the tree.
    int rmdir_errno = 0;
    if (s.rmdir_allowed()) {
        if (sys::unlinkat(AT_FDCWD, s.path.c_str(), AT_REMOVEDIR) == 0 || errno == ENOENT)
            return {};
        rmdir_errno = errno;
    }
    return walk_after_rmdir(s, rmdir_errno);
}

remove_tree_error remove_tree_after_rmdir(const std::string& root, int rmdir_errno) {
    if (rmdir_errno == ENOENT) return {};
    return walk_after_rmdir(split(root), rmdir_errno);
}

}  // namespace tempio::detail
