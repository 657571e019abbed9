#include "core/tempdir.hpp"
#include "core/os_error.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <boost/system/system_error.hpp>

#include "core/names.hpp"
#include "core/paths.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

std::mutex g_mutex;
std::string g_cached;  // empty = not yet searched
// !g_cached.empty(), readable without the mutex: a first search holds the
// mutex while it probes (blocking), and the loop thread asks whether the
// directory is known before choosing a driver that would not block.
std::atomic<bool> g_known{false};
std::atomic<unsigned> g_generation{0};  // tempdir_generation()

using boost::system::system_category;

}  // namespace

std::vector<std::string> candidate_tempdirs() {
    std::vector<std::string> dirs;
#if TEMPIO_PLATFORM_WINDOWS
    // CPython's list on Windows; the environment read as UTF-16, kept as UTF-8.
    auto env = [](const wchar_t* var) {
        std::string out;
        const wchar_t* value = _wgetenv(var);
        if (value == nullptr || *value == L'\0' || !os::narrow(value, wcslen(value), out))
            return out;
        return out;
    };
    for (const wchar_t* var : {L"TMPDIR", L"TEMP", L"TMP"})
        if (std::string v = env(var); !v.empty()) dirs.push_back(std::move(v));
    if (std::string home = env(L"USERPROFILE"); !home.empty())
        dirs.push_back(home + "\\AppData\\Local\\Temp");
    if (std::string root = env(L"SYSTEMROOT"); !root.empty()) dirs.push_back(root + "\\Temp");
    for (const char* dir : {"c:\\temp", "c:\\tmp", "\\temp", "\\tmp"}) dirs.emplace_back(dir);
#else
    for (const char* var : {"TMPDIR", "TEMP", "TMP"}) {
        const char* value = std::getenv(var);
        if (value != nullptr && *value != '\0') dirs.emplace_back(value);
    }
    for (const char* dir : {"/tmp", "/var/tmp", "/usr/tmp"}) dirs.emplace_back(dir);
#endif
    std::string cwd;
    dirs.push_back(sys::getcwd(cwd) ? cwd : std::string("."));
    return dirs;
}

bool probe_tempdir(const std::string& dir, error_code& ec) {
    static constexpr char data[] = "blat";
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string path = dir;
        path = join(path, "");
        append_random_name(path);
        int fd = sys::openat(AT_FDCWD, path.c_str(),
                             O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST || errno == EINTR) continue;
            ec = os_error(errno);
            return false;
        }
        bool ok = sys::write(fd, data, sizeof data - 1) == static_cast<ssize_t>(sizeof data - 1);
        int write_errno = errno;
        // Linux releases the descriptor even when close fails; EINTR means closed.
        bool closed = sys::close(fd) == 0 || errno == EINTR;
        int close_errno = errno;
        // Remove the probe even when writing failed (EINTR retried). A
        // directory where it cannot be removed is not usable either.
        int unlink_errno = 0;
        while (sys::unlinkat(AT_FDCWD, path.c_str(), 0) != 0) {
            if (errno == EINTR) continue;
            if (errno != ENOENT) unlink_errno = errno;
            break;
        }
        if (!ok) {
            ec = os_error(write_errno ? write_errno : EIO);
            return false;
        }
        if (!closed) {
            ec = os_error(close_errno);
            return false;
        }
        if (unlink_errno != 0) {
            ec = os_error(unlink_errno);
            return false;
        }
        ec.clear();
        return true;
    }
    ec = os_error(EEXIST);
    return false;
}

std::string tempdir(error_code& ec) {
    std::lock_guard lock(g_mutex);
    if (!g_cached.empty()) {
        ec.clear();
        return g_cached;
    }
    for (const std::string& candidate : candidate_tempdirs()) {
        std::string dir = absolute_normal(candidate);
        if (dir.empty()) continue;
        if (probe_tempdir(dir, ec)) {
            g_cached = dir;
            g_generation.fetch_add(1, std::memory_order_release);
            g_known.store(true, std::memory_order_release);
            return g_cached;
        }
    }
    ec = os_error(ENOENT);
    return {};
}

bool tempdir_known() noexcept {
    return g_known.load(std::memory_order_acquire);
}

unsigned tempdir_generation() noexcept {
    return g_generation.load(std::memory_order_acquire);
}

void override_tempdir(std::string dir) {
    // As the dir option (resolve_dir): a NUL would cut the name short at
    // every system call. Checked before anything changes.
    if (dir.find('\0') != std::string::npos)
        throw boost::system::system_error(os_error(EINVAL), "set_tempdir");
    std::string value = dir.empty() ? std::string() : absolute_normal(dir);
    if (!dir.empty() && value.empty())  // relative, and getcwd failed: not "search again"
        throw boost::system::system_error(os_error(errno ? errno : ENOENT), "set_tempdir");
    std::lock_guard lock(g_mutex);
    g_cached = std::move(value);
    g_generation.fetch_add(1, std::memory_order_release);
    g_known.store(!g_cached.empty(), std::memory_order_release);
}

}  // namespace tempio::detail
