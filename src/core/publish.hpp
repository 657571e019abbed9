// Publishing: giving a temporary file or directory its final name, atomically
// and (optionally) durably (DESIGN section 8, docs/publishing.md). Blocking
// primitives; each publish is one job on the backend.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

using boost::system::error_code;

enum class publish_mode {
    replace,    // rename over the target: atomic replace
    noclobber,  // never replaces: EEXIST when the target exists
    exchange,   // directories: swap with an existing target (RENAME_EXCHANGE)
};

struct publish_request {
    std::string target;  // as the user gave it; made absolute by the core
    // Empty, or target's directory once target was resolved (resolve_target):
    // then neither is resolved again.
    std::string dir;
    publish_mode how = publish_mode::replace;
    bool durable = false;          // fdatasync before, fsync(directory) after
    std::optional<mode_t> mode{};  // fchmod before publishing
};

// The absolute, normalised target and its directory; EINVAL for an empty
// target, a NUL in it, or one that names a directory ("/", "..").
bool resolve_target(const std::string& target, std::string& abs, std::string& dir, error_code& ec);
// Resolves r.target in place (absolute) and sets r.dir, unless r.dir says
// it was done already.
bool resolve_target(publish_request& r, error_code& ec);

// `from` (a named file or a directory, absolute) renamed to `to` as `how`
// says. No check-then-rename: RENAME_NOREPLACE, or where the file system
// refuses it (EINVAL), link + unlink for a file. EXDEV is reported as is
// (cross_device_link): nothing is copied.
error_code rename_into_place(const std::string& from, const std::string& to, publish_mode how,
                             bool is_directory);

// An O_TMPFILE opened without O_EXCL given the name `to`: linkat with
// AT_EMPTY_PATH, else through /proc/self/fd (unprivileged). Replace links to
// a hidden random name beside `to` (".<name>.XXXXXXXX") and renames it over
// `to`. When that rename fails, the hidden name is the file's only way to
// be published later: the kernel lets an O_TMPFILE be linked once only
// (I_LINKABLE goes with its first link), so once that name is removed the
// file can never get one again. With `kept` the hidden name is therefore
// left in place and returned there (the caller now owns it); without, it
// is removed.
error_code link_into_place(int fd, const std::string& to, publish_mode how,
                           std::string* kept = nullptr);

// fsync of the directory `dir`.
error_code sync_directory(const std::string& dir);

// A hidden name beside `target`: dir/.<target's name>.XXXXXXXX (8 random
// characters), the pattern docs/publishing.md documents for sweeping.
std::string hidden_name_for(const std::string& target_abs);

// The mode a new file gets from open(O_CREAT, 0666): 0666 & ~umask (read from
// /proc/self/status: umask() itself would race with other threads).
mode_t default_new_file_mode() noexcept;

}  // namespace tempio::detail
