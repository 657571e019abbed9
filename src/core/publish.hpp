// Publishing: giving a temporary file or directory its final name, atomically
// and (optionally) durably (DESIGN section 8, docs/publishing.md). Blocking
// primitives; each publish is one job on the backend.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "core/sys.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail {

using boost::system::error_code;

enum class publish_mode {
    replace,    // rename over the target: atomic replace
    noclobber,  // never replaces: EEXIST when the target exists
    exchange,   // directories: swap with an existing target (RENAME_EXCHANGE)
};

struct publish_request {
    // As the user gave it: never normalised as text. Resolved by open_target,
    // as rename(2) resolves it (docs/publishing.md, "Which target is
    // published").
    std::string target;
    // For a relative target: the current directory when the operation was
    // initiated (pin_current_directory), so that a chdir before the job runs
    // changes nothing. Null for an absolute target.
    std::shared_ptr<const unique_fd> base;
    publish_mode how = publish_mode::replace;
    bool durable = false;          // fdatasync before, fsync(directory) after
    std::optional<mode_t> mode{};  // fchmod before publishing
    // EXDEV: a copy beside the target, renamed into place (files only).
    bool across_file_systems = false;
    // atomic_file's commit: what is taken from the replaced target.
    bool preserve_mode = true;
    bool preserve_owner = false;
    bool preserve_xattrs = false;
    bool preserve_strictly = false;
};

// The current directory, opened (O_PATH) when `target` is relative; null for
// an absolute one. On the initiating thread: one openat.
std::shared_ptr<const unique_fd> pin_current_directory(std::string_view target, error_code& ec);

// Where a publish puts its name: the target's directory, opened, and the
// final component, checked. Every rename, link and directory fsync of the
// publish is relative to `dir`.
struct target_place {
    unique_fd dir;         // O_PATH | O_DIRECTORY
    std::string name;      // the final component: not empty, ".", ".." or with '/'
    std::string dir_path;  // `dir` as an absolute path: for path() and for creating there
    std::string path() const;
};

// Resolves r.target as rename(2) would: split at the last '/' (trailing
// slashes set aside for a directory; for a file they are ENOTDIR), the
// directory part opened following symbolic links (relative to r.base), the
// final component checked: empty, "." or ".." are EINVAL, as are an empty
// target and one holding a NUL.
bool open_target(const publish_request& r, bool for_directory, target_place& out, error_code& ec);

// A textual guess at the target's directory, for choosing where a publish
// runs (memory file systems): absolute, no "..". Empty when it cannot be
// known without resolving (a ".." component, no current directory).
std::string target_directory_hint(std::string_view target);

// `from` (a named file or a directory, absolute) renamed to `to` as `how`
// says. No check-then-rename: RENAME_NOREPLACE, or where the file system
// refuses it (EINVAL), link + unlink for a file. EXDEV is reported as is
// (cross_device_link): nothing is copied.
error_code rename_into_place(const std::string& from, const target_place& to, publish_mode how,
                             bool is_directory);

// An O_TMPFILE opened without O_EXCL given the name `to`: linkat with
// AT_EMPTY_PATH, else through /proc/self/fd (unprivileged). Replace links
// straight to the name when it is free (no hidden name at all); when it is
// taken, to a hidden random name beside it (".<name>.XXXXXXXX", the name cut
// to fit in NAME_MAX) renamed over it. When that rename fails, the hidden
// name is the file's only way to be published later: the kernel lets an
// O_TMPFILE be linked once only (I_LINKABLE goes with its first link), so
// once that name is removed the file can never get one again. With `kept`
// the hidden name is therefore left in place and its absolute path returned
// there (the caller now owns it); without, it is removed.
error_code link_into_place(int fd, const target_place& to, publish_mode how,
                           std::string* kept = nullptr);

// fsync of the directory that holds the target.
error_code sync_directory(const target_place& to);

// The hidden name for a target's final component: .<name>.XXXXXXXX (8
// random characters), the pattern docs/publishing.md documents for
// sweeping, with the name cut to its first hidden_name_max bytes so that
// the whole fits in 255 bytes (NAME_MAX).
inline constexpr std::size_t hidden_name_max = 245;
std::string hidden_prefix_for(std::string_view name);  // ".<name>." (cut)
std::string hidden_name_for(std::string_view name);

// The mode a new file gets from open(O_CREAT, 0666): 0666 & ~umask (read from
// /proc/self/status: umask() itself would race with other threads).
mode_t default_new_file_mode() noexcept;

}  // namespace tempio::detail
