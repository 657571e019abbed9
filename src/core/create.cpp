#include "core/create.hpp"

#include <atomic>
#include <cerrno>

#include "core/names.hpp"
#include "core/paths.hpp"
#include "core/sys.hpp"
#include "core/tempdir.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

bool bad_affix(std::string_view s) {
    return s.find('/') != std::string_view::npos || s.find('\0') != std::string_view::npos;
}

// Runs `attempt(path)` on fresh names until it succeeds or fails with
// something other than EEXIST. `attempt` returns false with errno set.
template <class Attempt>
bool with_unique_name(const name_request& req, std::string& path, error_code& ec, Attempt attempt) {
    name_series names;
    if (!make_name_source(req, names, ec)) return false;
    for (unsigned long i = 0; i < tmp_max; ++i) {
        names.next(path);
        for (;;) {
            if (attempt(path)) return true;
            if (errno != EINTR) break;
        }
        if (errno != EEXIST) {
            ec.assign(errno, system_category());
            path.clear();
            return false;
        }
    }
    ec.assign(EEXIST, system_category());
    path.clear();
    return false;
}

std::atomic<bool> g_tmpfile_unsupported{false};

}  // namespace

error_code validate_affixes(std::string_view prefix, std::string_view suffix) {
    if (bad_affix(prefix) || bad_affix(suffix))
        return make_error_code(boost::system::errc::invalid_argument);
    return {};
}

std::string resolve_dir(const name_request& req, error_code& ec) {
    if (req.dir.empty()) return tempdir(ec);
    if (req.dir.find('\0') != std::string::npos) {
        ec = make_error_code(boost::system::errc::invalid_argument);
        return {};
    }
    std::string dir = absolute_normal(req.dir);
    if (dir.empty()) ec.assign(errno ? errno : ENOENT, system_category());
    return dir;
}

unique_fd create_unique_file(const name_request& req, int extra_flags, std::string& path,
                             error_code& ec) {
    unique_fd fd;
    with_unique_name(req, path, ec, [&](const std::string& p) {
        fd.reset(sys::openat(AT_FDCWD, p.c_str(), unique_file_flags | extra_flags, 0600));
        return bool(fd);
    });
    return fd;
}

bool create_unique_directory(const name_request& req, std::string& path, error_code& ec) {
    return with_unique_name(req, path, ec, [&](const std::string& p) {
        return sys::mkdirat(AT_FDCWD, p.c_str(), 0700) == 0;
    });
}

unique_fd create_anonymous_file(const name_request& req, int extra_flags, error_code& ec) {
    if ((ec = validate_affixes(req.prefix, req.suffix))) return {};
    if (!g_tmpfile_unsupported.load(std::memory_order_relaxed)) {
        std::string dir = resolve_dir(req, ec);
        if (ec) return {};
        int flags = anonymous_file_flags | extra_flags;
        for (;;) {
            unique_fd fd(sys::openat(AT_FDCWD, dir.c_str(), flags, 0600));
            if (fd) return fd;
            if (errno == EINTR) continue;
            // Not supported by the kernel or this file system: fall back for good.
            if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) break;
            ec.assign(errno, system_category());
            return {};
        }
        g_tmpfile_unsupported = true;
    }
    std::string path;
    unique_fd fd = create_unique_file(req, extra_flags, path, ec);
    if (!fd) return {};
    if ((ec = remove_file(path))) return {};  // fd closes on return
    return fd;
}

void name_series::next(std::string& path) const {
    path = base;
    append_random_name(path);
    path += suffix;
}

bool make_name_source(const name_request& req, name_series& out, error_code& ec) {
    if ((ec = validate_affixes(req.prefix, req.suffix))) return false;
    out.dir = resolve_dir(req, ec);
    if (ec) return false;
    out.base = join(out.dir, req.prefix);
    out.suffix = req.suffix;
    return true;
}

bool tmpfile_unsupported() noexcept {
    return g_tmpfile_unsupported.load(std::memory_order_relaxed);
}
void note_tmpfile_unsupported() noexcept {
    g_tmpfile_unsupported = true;
}

error_code remove_file(const std::string& path) {
    for (;;) {
        if (sys::unlinkat(AT_FDCWD, path.c_str(), 0) == 0 || errno == ENOENT) return {};
        if (errno != EINTR) return error_code(errno, system_category());
    }
}

}  // namespace tempio::detail
