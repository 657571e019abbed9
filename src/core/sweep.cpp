#include "core/sweep.hpp"
#include "core/os_error.hpp"

#include <cerrno>
#include <ctime>

#include "core/names.hpp"
#include "core/publish.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

// O_NONBLOCK: `dir` is opened following links (the caller named it); a FIFO
// there fails at O_DIRECTORY without blocking the open.
constexpr int sweep_dir_flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK;

bool in_alphabet(char c) {
    return name_alphabet.find(c) != std::string_view::npos;
}

// What decides whether an entry may go: its identity and age.
struct seen {
    sys::device_id dev = 0;
    sys::inode_id ino = 0;
    mode_t mode = 0;
    uid_t uid = 0;
    timespec mtime{};
};

// fstatat without following a final symbolic link. 0, or the errno.
int look(int dirfd, const char* name, seen& out) {
    sys::file_stat st{};
    int res;
    do res = sys::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW);
    while (res != 0 && errno == EINTR);
    if (res != 0) return errno != 0 ? errno : EIO;
    out = {st.st_dev, st.st_ino, st.st_mode, st.st_uid, st.st_mtim};
    return 0;
}

bool same_file(const seen& a, const seen& b) {
    return a.dev == b.dev && a.ino == b.ino && a.mode == b.mode && a.uid == b.uid &&
           a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

std::chrono::nanoseconds since_epoch(const timespec& t) {
    return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

class sweeper {
  public:
    sweeper(const sweep_request& r, int dirfd)
        : r_(r), dirfd_(dirfd), uid_(::geteuid()), now_(std::chrono::system_clock::now()) {}

    void entry(const char* name);
    sweep_result& result() { return result_; }
    // The first error met, kept while the sweep goes on.
    void note(int err) {
        if (!ec_) ec_ = os_error(err);
    }
    const error_code& error() const { return ec_; }

  private:
    const sweep_request& r_;
    int dirfd_;
    uid_t uid_;
    std::chrono::system_clock::time_point now_;
    sweep_result result_;
    error_code ec_;
};

void sweeper::entry(const char* name) {
    if (!is_hidden_name(name, r_.target)) return;
    seen first;
    if (int err = look(dirfd_, name, first); err != 0) {
        if (err == ENOENT)
            ++result_.vanished;
        else
            note(err);
        return;
    }
    if (!S_ISREG(first.mode)) {
        ++result_.not_regular;
        return;
    }
    if (first.uid != uid_) {
        ++result_.not_ours;
        return;
    }
    auto age =
        now_.time_since_epoch() -
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch(first.mtime));
    if (age < r_.min_age) {
        ++result_.too_young;
        return;
    }
    // Right before the unlink: still the file that was judged (no unlink
    // of "this inode" exists; the window left is documented in sweep.hpp).
    seen again;
    if (int err = look(dirfd_, name, again); err != 0 && err != ENOENT) {
        note(err);
        return;
    } else if (err == ENOENT || !same_file(first, again)) {
        ++result_.vanished;
        return;
    }
    int res;
    do res = sys::unlinkat(dirfd_, name, 0);
    while (res != 0 && errno == EINTR);
    if (res != 0) {
        if (errno == ENOENT)
            ++result_.vanished;
        else
            note(errno);
        return;
    }
    result_.removed.emplace_back(name);
}

}  // namespace

bool is_hidden_name(std::string_view name, std::string_view target) {
    // ".", at least one byte of name, ".", name_length characters.
    if (name.size() < 3 + name_length || name.front() != '.') return false;
    std::string_view tail = name.substr(name.size() - name_length);
    for (char c : tail)
        if (!in_alphabet(c)) return false;
    std::string_view prefix = name.substr(0, name.size() - name_length);
    if (prefix.back() != '.') return false;
    if (target.empty()) return true;
    return prefix == hidden_prefix_for(target);
}

sweep_request sweep_request_of(std::string_view dir, const sweep_options& o, error_code& ec) {
    sweep_request r;
    r.dir = std::string(dir);
    r.target = std::string(o.target);
    r.min_age = o.min_age;
    ec.clear();
    if (r.dir.empty() || r.dir.find('\0') != std::string::npos) {
        ec = os_error(EINVAL);
        return r;
    }
    r.base = pin_current_directory(r.dir, ec);
    return r;
}

sweep_result sweep_stale_names(const sweep_request& r, error_code& ec) {
    ec.clear();
    if (r.dir.empty() || r.dir.find('\0') != std::string::npos) {
        ec = os_error(EINVAL);
        return {};
    }
    const int base = r.dir.front() != '/' && r.base ? r.base->get() : AT_FDCWD;
    int fd;
    do fd = sys::openat(base, r.dir.c_str(), sweep_dir_flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        ec = os_error(errno);
        return {};
    }
    sys::dir_stream* d = sys::fdopendir(fd);
    if (d == nullptr) {
        ec = os_error(errno);
        sys::close(fd);
        return {};
    }
    sweeper s(r, os::dirfd(d));
    try {
        for (;;) {
            errno = 0;
            sys::dir_entry* e = sys::readdir(d);
            if (e == nullptr) {
                if (errno != 0) s.note(errno);
                break;
            }
            s.entry(e->d_name);
        }
    } catch (...) {  // std::bad_alloc from a removed name: reported, nothing leaked
        sys::closedir(d);
        throw;
    }
    sys::closedir(d);  // opened for reading only: nothing to report
    ec = s.error();
    return std::move(s.result());
}

}  // namespace tempio::detail
