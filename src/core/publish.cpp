#include "core/publish.hpp"
#include "core/os_error.hpp"
#include "tempio/detail/path_text.hpp"

#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "core/names.hpp"
#include "core/paths.hpp"
#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

error_code last_errno() {
    return os_error(errno != 0 ? errno : EIO);
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

int link_fd(int fd, int dirfd, const char* name) {
    return retry_eintr([&] { return platform::link_open_file(fd, dirfd, name); });
}

bool has_dotdot(std::string_view path) {
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find_first_of(
#ifdef _WIN32
            "/\\",
#else
            "/",
#endif
            begin);
        if (end == std::string_view::npos) end = path.size();
        if (path.substr(begin, end - begin) == "..") return true;
        begin = end + 1;
    }
    return false;
}

// Absolute, lexically normal, no trailing slash (only where `path` has no
// ".." component: lexical and kernel resolution then agree).
std::string normal_absolute(std::string_view base, std::string_view path) {
    std::filesystem::path p = path_of_utf8(path);
    if (p.is_relative()) p = path_of_utf8(base) / p;
    std::string s = utf8_of(p.lexically_normal());
    while (s.size() > 1 &&
           (s.back() == '/' || s.back() == std::filesystem::path::preferred_separator))
        s.pop_back();
    return s;
}

}  // namespace

std::shared_ptr<const unique_fd> pin_current_directory(std::string_view target, error_code& ec) {
    ec.clear();
    if (target.empty() || is_absolute_path(target)) return nullptr;
    int fd;
    do fd = sys::openat(AT_FDCWD, ".", platform::dir_handle_flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        ec = last_errno();
        return nullptr;
    }
    return std::make_shared<const unique_fd>(fd);
}

std::string target_place::path() const {
    return join(dir_path, name);
}

bool open_target(const publish_request& r, bool for_directory, target_place& out, error_code& ec) {
    std::string_view t = r.target;
    auto invalid = [&](int err) {
        ec = os_error(err);
        return false;
    };
    if (t.empty() || t.find('\0') != std::string_view::npos) return invalid(EINVAL);
    // rename(2): trailing slashes name a directory; a file cannot be
    // published under one (checked once the directory is open, below).
    const bool file_with_slash = !for_directory && is_path_separator(t.back());
    while (t.size() > 1 && is_path_separator(t.back())) t.remove_suffix(1);
    std::size_t slash = last_separator(t);
    std::string_view dir_part = directory_part(t, slash);
    std::string_view name = slash == std::string_view::npos ? t : t.substr(slash + 1);
    // rename(2) says EBUSY or EISDIR for "." and ".."; documented as EINVAL.
    if (name.empty() || name == "." || name == "..") return invalid(EINVAL);
    const bool absolute = is_absolute_path(t);
    const int base = !absolute && r.base ? r.base->get() : AT_FDCWD;
    std::string dir_text(dir_part);
    int fd;
    do fd = sys::openat(base, dir_text.c_str(), platform::dir_handle_flags);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        ec = last_errno();
        return false;
    }
    out.dir.reset(fd);
    out.name = std::string(name);
    if (file_with_slash) {
        // As renameat2 answers: a name that exists is EEXIST where the
        // publish would not replace it, else ENOTDIR.
        sys::file_stat st{};
        if (r.how == publish_mode::noclobber &&
            sys::fstatat(fd, out.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
            return invalid(EEXIST);
        return invalid(ENOTDIR);
    }
    // Shown as written where text and kernel agree (no ".."); where they
    // may not, where the open directory really is.
    std::string where;
    if (has_dotdot(dir_part)) where = platform::path_of_directory(fd);
    if (where.empty()) {
        std::string cwd;
        if (!absolute) {
            cwd = r.base ? platform::path_of_directory(r.base->get()) : std::string();
            if (cwd.empty() && !sys::getcwd(cwd)) cwd = "/";
        }
        where = normal_absolute(cwd, dir_part);
    }
    out.dir_path = std::move(where);
    ec.clear();
    return true;
}

std::string target_directory_hint(std::string_view target) {
    if (target.empty() || target.find('\0') != std::string_view::npos || has_dotdot(target))
        return {};
    std::size_t slash = last_separator(target);
    std::string_view dir_part = directory_part(target, slash);
    std::string cwd;
    if (!is_absolute_path(target) && !sys::getcwd(cwd)) return {};
    return normal_absolute(cwd, dir_part);
}

error_code rename_into_place(const std::string& from, const target_place& to, publish_mode how,
                             bool is_directory) {
    const auto kind = how == publish_mode::noclobber  ? platform::rename_how::noclobber
                      : how == publish_mode::exchange ? platform::rename_how::exchange
                                                      : platform::rename_how::replace;
    const int dirfd = to.dir.get();
    const char* name = to.name.c_str();
    if (kind == platform::rename_how::noclobber && !platform::native_noclobber) {
        // No one-call no-clobber rename here: link + unlink for a file (the
        // link never replaces); nothing atomic for a directory.
        if (is_directory) return os_error(EOPNOTSUPP);
    } else {
        auto rename = [&] {
            return platform::rename_at(AT_FDCWD, from.c_str(), dirfd, name, kind);
        };
        if (retry_eintr(rename) == 0) return {};
        if (!(kind == platform::rename_how::noclobber && flags_refused(errno) && !is_directory))
            return last_errno();
    }
    // The file system cannot rename without replacing: link (which never
    // replaces), then remove the old name.
    if (retry_eintr([&] { return sys::linkat(AT_FDCWD, from.c_str(), dirfd, name, 0); }) != 0)
        return last_errno();
    if (retry_eintr([&] { return sys::unlinkat(AT_FDCWD, from.c_str(), 0); }) != 0 &&
        errno != ENOENT) {
        error_code ec = last_errno();
        // Published under both names: take the new one back, report.
        sys::unlinkat(dirfd, name, 0);
        return ec;
    }
    return {};
}

error_code link_into_place(int fd, const target_place& to, publish_mode how, std::string* kept) {
    const int dirfd = to.dir.get();
    if (how == publish_mode::noclobber)
        return link_fd(fd, dirfd, to.name.c_str()) == 0 ? error_code() : last_errno();
    // Replace: link under a fresh hidden name, then rename it over the target.
    std::string hidden;
    for (unsigned long i = 0;; ++i) {
        hidden = hidden_name_for(to.name);
        if (link_fd(fd, dirfd, hidden.c_str()) == 0) break;
        if (errno != EEXIST || i + 1 >= tmp_max) return last_errno();
    }
    // Until renamed (or removed, or handed to the caller's kept name).
    signal_cleanup::registered_name watch;
    if (signal_cleanup::enabled())
        watch.watch(join(to.dir_path, hidden), signal_cleanup::name_kind::file);
    if (retry_eintr([&] {
            return platform::rename_at(dirfd, hidden.c_str(), dirfd, to.name.c_str(),
                                       platform::rename_how::replace);
        }) != 0) {
        error_code ec = last_errno();
        if (kept != nullptr)
            *kept = join(to.dir_path, hidden);
        else
            sys::unlinkat(dirfd, hidden.c_str(), 0);
        return ec;
    }
    return {};
}

error_code sync_directory(const target_place& to) {
    int fd;
    // The O_PATH descriptor cannot be synced: the directory itself, opened
    // through it (never by its path, which may now lead elsewhere).
    do fd = sys::openat(to.dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return last_errno();
    error_code ec;
    if (retry_eintr([&] { return sys::fsync(fd); }) != 0) ec = last_errno();
    sys::close(fd);
    return ec;
}

std::string hidden_prefix_for(std::string_view name) {
    std::string out;
    out.reserve(2 + std::min(name.size(), hidden_name_max));
    out += '.';
    out += name.substr(0, hidden_name_max);
    out += '.';
    return out;
}

std::string hidden_name_for(std::string_view name) {
    std::string out = hidden_prefix_for(name);
    append_random_name(out);
    return out;
}

mode_t default_new_file_mode() noexcept {
    mode_t mask = 022;
    if (!platform::read_umask(mask)) {
        // Read by setting it, at once set back: another thread creating a
        // file in between gets mode 0 bits of umask 022 (docs/platforms.md).
        mask = ::umask(022);
        ::umask(mask);
    }
    return 0666 & ~mask;
}

}  // namespace tempio::detail
