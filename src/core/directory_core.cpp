#include "core/directory_core.hpp"
#include "core/os_error.hpp"

#include <atomic>
#include <cerrno>
#include <new>
#include <string_view>

#include "core/fork_generation.hpp"
#include "core/remove_tree.hpp"
#include "core/sync_tree.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {

directory_core::directory_core(settings s)
    : settings_(std::move(s)), generation_(fork_generation()) {}

std::shared_ptr<directory_core> directory_core::create(settings s, error_code& ec) {
    std::shared_ptr<directory_core> core(new directory_core(std::move(s)));
    std::string path;
    if (!create_unique_directory(core->settings_.names, path, ec)) {
        core->cleaned_ = true;
        return nullptr;
    }
    core->set_path(std::move(path));
    return core;
}

#if TEMPIO_TEST_SEAM
namespace {
std::atomic<bool> g_fail_next_adopt{false};
}
void fail_next_directory_core() noexcept {
    g_fail_next_adopt.store(true);
}
#endif

std::shared_ptr<directory_core> directory_core::adopt(settings s, std::string path) {
#if TEMPIO_TEST_SEAM
    if (g_fail_next_adopt.exchange(false)) throw std::bad_alloc();
#endif
    std::shared_ptr<directory_core> core(new directory_core(std::move(s)));
    core->set_path(std::move(path));
    return core;
}

void directory_core::set_path(std::string path) {
    path_ = std::move(path);
    if (!settings_.keep && !published_)
        name_watch_.watch(path_.native(), signal_cleanup::name_kind::directory);
}

namespace {

// The directory before it is renamed: its mode, and with `durable` the
// whole tree (core/sync_tree.hpp: every file and subdirectory, then the
// directory itself), in the same job.
bool prepare_directory(const std::string& path, const publish_request& r, error_code& ec) {
    if (!r.mode && !r.durable) return true;
    int fd;
    do fd = sys::openat(AT_FDCWD, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        ec = os_error(errno);
        return false;
    }
    if (r.mode) {
        int res;
        do res = sys::fchmod(fd, *r.mode);
        while (res != 0 && errno == EINTR);
        if (res != 0) {
            ec = os_error(errno);
            sys::close(fd);
            return false;
        }
    }
    if (!r.durable) {
        sys::close(fd);
        return true;
    }
    ec = sync_tree(fd);  // takes fd
    return !ec;
}

}  // namespace

namespace {
// 0 when `path` is a directory (not followed), else the errno to report.
int directory_type_error(const std::string& path) {
    sys::file_stat st{};
    int res;
    do res = sys::fstatat(AT_FDCWD, path.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    while (res != 0 && errno == EINTR);
    if (res != 0) return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}
}  // namespace

void directory_core::publish(const publish_request& r, error_code& ec) {
    ec.clear();
    if (cleaned_) {
        ec = os_error(ENOENT);  // removed already
        return;
    }
    target_place target;
    if (!open_target(r, true, target, ec)) return;
    if (!prepare_directory(path_.native(), r, ec)) return;
    if ((ec = rename_into_place(path_.native(), target, r.how, true))) return;
    if (r.how == publish_mode::exchange) {
        // RENAME_EXCHANGE swaps any two entries. Unless what came back is a
        // directory (not a file, not a symlink; or its type cannot be
        // learned), swap back and refuse, rather than remove it.
        if (int err = directory_type_error(path_.native()); err != 0) {
            error_code back =
                rename_into_place(path_.native(), target, publish_mode::exchange, true);
            ec = back ? back : os_error(err);
            return;
        }
    }
    std::string old_place = path_.native();
    if (r.how != publish_mode::exchange) name_watch_.reset();  // the target's name now
    settings_.keep = true;
    published_ = true;  // no temporary of ours left: cleanup has nothing to do
    set_path(target.path());
    if (r.how == publish_mode::exchange) {
        // The replaced tree now sits at our old name: the secure cleanup.
        remove_tree_error removed{};
        try {
            removed = remove_tree(old_place);
        } catch (const std::bad_alloc&) {
            removed.ec = os_error(ENOMEM);
        }
        if (removed.ec) {
            ec = removed.ec;
            where_ = old_place + ": " + removed.where;
        }
        name_watch_.reset();  // the replaced tree, at our old name: gone (or not ours)
    }
    if (r.durable) {
        error_code synced = sync_directory(target);
        if (!ec) ec = synced;
    }
}

namespace {

bool single_component(const std::string& name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of(std::string_view("/\0", 2)) == std::string::npos;
}

// All of `data` to `fd`; 0, or the errno.
int write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = sys::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno != 0 ? errno : EIO;
        }
        if (n == 0) return EIO;  // no progress: never loop forever
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

}  // namespace

void directory_core::write_file(const std::string& name, const std::string& data, error_code& ec) {
    ec.clear();
    auto fail = [&](int err) { ec = os_error(err); };
    if (!single_component(name)) return fail(EINVAL);
    if (cleaned_) return fail(ENOENT);  // removed already
    int dir;
    do dir = sys::openat(AT_FDCWD, path_.native().c_str(), platform::dir_handle_flags | O_NOFOLLOW);
    while (dir < 0 && errno == EINTR);
    if (dir < 0) return fail(errno);
    int fd;
    do
        fd = sys::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0666);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        fail(errno);
        sys::close(dir);
        return;
    }
    int err = write_all(fd, data);
    // A close that reports an error (EIO, ENOSPC, EDQUOT on NFS) may have
    // lost the data: a failure too. EINTR: closed (Linux).
    if (sys::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) {
        fail(err);
        sys::unlinkat(dir, name.c_str(), 0);  // our own name, in our 0700 directory
    }
    sys::close(dir);
}

directory_core::~directory_core() {
    if (cleaned_ || settings_.keep || fork_generation() != generation_) return;
    try {
        remove_tree(path_.native());
    } catch (...) {
    }
}

void directory_core::cleanup(error_code& ec) {
    cleanup_after_rmdir(0, ec);
}

void directory_core::cleanup_after_rmdir(int rmdir_errno, error_code& ec) {
    ec.clear();
    if (cleaned_ || published_) return;
    auto result = rmdir_errno == 0 ? remove_tree(path_.native())
                                   : remove_tree_after_rmdir(path_.native(), rmdir_errno);
    // A failed cleanup may be retried (as CPython's): by a later cleanup
    // call, else by the destructor.
    cleaned_ = !result.ec;
    if (cleaned_) name_watch_.reset();
    if (!settings_.ignore_cleanup_errors) {
        ec = result.ec;
        where_ = std::move(result.where);
    }
}

void directory_core::discard() noexcept {
    if (cleaned_) return;
    cleaned_ = true;
    try {
        remove_tree(path_.native());
    } catch (...) {
    }
    name_watch_.reset();
}

}  // namespace tempio::detail
