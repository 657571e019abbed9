#include "core/create.hpp"
#include "core/os_error.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <mutex>

#include "core/names.hpp"
#include "core/paths.hpp"
#include "core/steps/create_steps.hpp"
#include "core/sys.hpp"
#include "core/tempdir.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

#if TEMPIO_PLATFORM_WINDOWS
// Windows: no separator, no character a name cannot hold (<>:"|?*, control
// characters).
bool bad_affix(std::string_view s) {
    for (char c : s)
        if (c == '/' || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' || c == '<' ||
            c == '>' || c == '|' || static_cast<unsigned char>(c) < 32)
            return true;
    return false;
}

// A prefix whose stem (before its first '.') is a DOS device name (CON,
// NUL, COM1...) would make a name Win32 reads as the device: refused
// (invalid_argument), whatever follows the dot.
bool reserved_prefix(std::string_view prefix) {
    std::size_t dot = prefix.find('.');
    if (dot == std::string_view::npos) return false;
    std::string stem(prefix.substr(0, dot));
    while (!stem.empty() && stem.back() == ' ') stem.pop_back();
    for (char& c : stem) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    for (const char* dev : {"CON", "PRN", "AUX", "NUL"})
        if (stem == dev) return true;
    return stem.size() == 4 && (stem.rfind("COM", 0) == 0 || stem.rfind("LPT", 0) == 0) &&
           stem[3] >= '1' && stem[3] <= '9';
}
#else
// One pass (affixes are short: two memchr calls each cost more).
bool bad_affix(std::string_view s) {
    for (char c : s)
        if (c == '/' || c == '\0') return true;
    return false;
}
bool reserved_prefix(std::string_view) {
    return false;
}
#endif

// O_TMPFILE, as CPython decides: off for the whole process only when the
// kernel lacks it (EISDIR: it read O_TMPFILE as O_DIRECTORY, before 3.11);
// a file system that refuses it (EOPNOTSUPP) is remembered by device, so
// that other directories keep it.
std::atomic<bool> g_tmpfile_off{false};

class device_set {
  public:
    bool empty() const noexcept { return !any_.load(std::memory_order_acquire); }
    bool contains(sys::device_id dev) noexcept {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < count_; ++i)
            if (devs_[i] == dev) return true;
        return false;
    }
    void add(sys::device_id dev) noexcept {
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < count_; ++i)
            if (devs_[i] == dev) return;
        // Full: not remembered; such a directory costs one failed open per file.
        if (count_ < devs_.size()) devs_[count_++] = dev;
        any_.store(true, std::memory_order_release);
    }

  private:
    std::mutex mutex_;
    std::atomic<bool> any_{false};
    std::array<sys::device_id, 16> devs_{};
    std::size_t count_ = 0;
};
device_set g_tmpfile_refused;

// O_TMPFILE's "not on this file system" answers (EINVAL: some FUSE and
// network file systems).
bool tmpfile_refused(int err) {
    return err == EOPNOTSUPP || err == EINVAL;
}

using dir_facts = platform::directory_facts;

bool stat_dir(const std::string& dir, dir_facts& out, error_code& ec) {
    return platform::facts_of_directory(dir, out, ec);
}

}  // namespace

error_code validate_affixes(std::string_view prefix, std::string_view suffix) {
    if (bad_affix(prefix) || bad_affix(suffix) || reserved_prefix(prefix)) return os_error(EINVAL);
    return {};
}

std::string resolve_dir(const name_request& req, error_code& ec) {
    if (req.dir.empty()) return tempdir(ec);
    if (req.dir.find('\0') != std::string::npos) {
        ec = os_error(EINVAL);
        return {};
    }
    std::string dir = absolute_normal(req.dir);
    if (dir.empty()) ec = os_error(errno ? errno : ENOENT);
    return dir;
}

unique_fd create_unique_file(const name_request& req, int extra_flags, std::string& path,
                             error_code& ec) {
    name_series names;
    if (!make_name_source(req, names, ec)) return {};
    create_steps steps(create_what::file, std::move(names), unique_file_flags | extra_flags);
    run_steps(steps);
    ec = steps.error();
    path = steps.path();
    return unique_fd(steps.release_fd());
}

bool create_unique_directory(const name_request& req, std::string& path, error_code& ec) {
    name_series names;
    if (!make_name_source(req, names, ec)) return false;
    create_steps steps(create_what::directory, std::move(names), 0);
    run_steps(steps);
    ec = steps.error();
    path = steps.path();
    return !ec;
}

unique_fd create_anonymous_file(const name_request& req, int extra_flags, error_code& ec,
                                bool* linkable) {
    if (linkable != nullptr) *linkable = false;
    name_series names;  // checked and resolved (reused: make_name_source)
    if (!make_name_source(req, names, ec)) return {};
    const std::string& dir = names.dir();
    dir_facts facts;
    bool facts_known = false;
    int refused = 0;  // O_TMPFILE's errno, when it was tried and refused
    bool try_tmpfile = !tmpfile_unsupported();
    // Only once some file system refused it does a creation stat its directory.
    if (try_tmpfile && !g_tmpfile_refused.empty()) {
        if (!stat_dir(dir, facts, ec)) return {};
        facts_known = true;
        try_tmpfile = !(facts.dev_known && g_tmpfile_refused.contains(facts.dev));
    }
    if (try_tmpfile) {
        int flags =
            (linkable != nullptr ? linkable_file_flags : anonymous_file_flags) | extra_flags;
        create_steps steps(create_what::tmpfile, name_series(names), flags);
        run_steps(steps);
        if (steps.made()) {
            if (linkable != nullptr) *linkable = true;
            return unique_fd(steps.release_fd());
        }
        int err = steps.error().value();
        if (err == EISDIR) {
            g_tmpfile_off = true;
        } else if (tmpfile_refused(err)) {
            refused = err;
        } else {
            ec = steps.error();
            return {};
        }
    }
    // Create, then unlink. Never where the name could not be removed again.
    if (!facts_known && !stat_dir(dir, facts, ec)) return {};
    if (refused != 0 && facts.dev_known) g_tmpfile_refused.add(facts.dev);
    if (facts.append_only) {
        ec = os_error(EPERM);  // what the unlink would say
        return {};
    }
    std::string path;
    const name_request here{req.prefix, req.suffix, dir};  // as resolved above
    unique_fd fd = create_unique_file(here, extra_flags, path, ec);
    if (!fd) {
        // The directory exists (stat_dir): ENOENT only says this file system
        // makes no files (procfs). O_TMPFILE's answer is the real one.
        if (refused != 0 && ec == os_error(ENOENT)) ec = os_error(refused);
        return {};
    }
    if ((ec = remove_file(path))) {
        // Unusable now. Closed, the name may go (a file system that keeps
        // open files); if it still cannot, it stays, reported.
        fd.reset();
        remove_file(path);
        return {};
    }
    return fd;
}

void name_series::next(std::string& path) const {
    path.reserve(names_->base.size() + name_length + names_->suffix.size());
    path = names_->base;
    append_random_name(path);
    path += names_->suffix;
}

const std::string& name_series::dir() const noexcept {
    static const std::string none;
    return names_ ? names_->dir : none;
}

namespace {
// The last request this thread resolved, and its series: a program makes
// its files with the same options again and again, and resolving (checking
// the affixes, normalising the directory, joining) was a tenth of a named
// file's creation. Not for a relative directory (the working directory may
// change); for gettempdir()'s, only while it stays the same one.
struct last_resolved {
    std::string dir, prefix, suffix;  // as asked
    unsigned tempdir_generation = 0;  // an empty dir: which gettempdir() answer
    name_series series;
};
#if TEMPIO_PLATFORM_WINDOWS
// Not kept on Windows: with MinGW-w64's emulated TLS a thread_local's
// destructor runs after its storage was freed (these strings would be freed
// twice at every thread's exit; a heap corruption seen under Wine).
constexpr bool keep_last_resolved = false;
#else
constexpr bool keep_last_resolved = true;
#endif
thread_local last_resolved t_last;
}  // namespace

bool make_name_source(const name_request& req, name_series& out, error_code& ec) {
    bool reusable =
        keep_last_resolved && (req.dir.empty() ? tempdir_known() : req.dir.front() == '/');
    // Read before resolving: a change in between leaves a stale generation,
    // never a stale answer under the new one.
    unsigned generation = req.dir.empty() ? tempdir_generation() : 0;
    last_resolved* last = reusable ? &t_last : nullptr;  // t_last untouched otherwise
    if (last != nullptr && last->series.names_ && last->tempdir_generation == generation &&
        last->dir == req.dir && last->prefix == req.prefix && last->suffix == req.suffix) {
        out = last->series;
        ec.clear();
        return true;
    }
    if ((ec = validate_affixes(req.prefix, req.suffix))) return false;
    std::string dir = resolve_dir(req, ec);
    if (ec) return false;
    std::string base = join(dir, req.prefix);
    out.names_ = std::make_shared<const name_series::resolved>(
        name_series::resolved{std::move(base), req.suffix, std::move(dir)});
    if (last != nullptr) *last = {req.dir, req.prefix, req.suffix, generation, out};
    return true;
}

bool tmpfile_unsupported() noexcept {
    return !platform::anonymous_files || g_tmpfile_off.load(std::memory_order_relaxed);
}

error_code remove_file(const std::string& path) {
    for (;;) {
        if (sys::unlinkat(AT_FDCWD, path.c_str(), 0) == 0 || errno == ENOENT) return {};
        if (errno != EINTR) return os_error(errno);
    }
}

}  // namespace tempio::detail
