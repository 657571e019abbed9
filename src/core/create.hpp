// Creating uniquely named files and directories: the retry loops behind
// mkstemp, mkdtemp and the temporary file classes. Each is one blocking job.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "core/sys.hpp"
#include "platform/platform.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail {

using boost::system::error_code;

// Owning copy of prefix/suffix/dir, made by the initiating function.
struct name_request {
    std::string prefix;
    std::string suffix;
    std::string dir;  // empty: gettempdir()
};

// The flags of a named (mode 0600) and of an anonymous temporary file.
inline constexpr int unique_file_flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
// O_EXCL: the file can never be linked into the directory later (the
// platform's flags: O_TMPFILE on Linux; unused where it has none).
inline constexpr int anonymous_file_flags = platform::anonymous_file_flags;
// Without O_EXCL: one that can be published with linkat.
inline constexpr int linkable_file_flags = anonymous_file_flags & ~O_EXCL;

// invalid_argument when prefix or suffix holds '/' or NUL.
error_code validate_affixes(std::string_view prefix, std::string_view suffix);

// The absolute directory the request creates in (gettempdir() when empty).
std::string resolve_dir(const name_request& req, error_code& ec);

// Creates prefix+random+suffix in the request's directory with
// O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC|extra_flags, mode 0600,
// retrying EEXIST up to TMP_MAX times. Sets `path` to its absolute path.
unique_fd create_unique_file(const name_request& req, int extra_flags, std::string& path,
                             error_code& ec);

// Same for a directory, mode 0700.
bool create_unique_directory(const name_request& req, std::string& path, error_code& ec);

// A file with no name: O_TMPFILE where the file system supports it, else
// create-then-unlink. A refusal (EOPNOTSUPP, EINVAL) is remembered for that
// file system (st_dev); only EISDIR (a kernel without O_TMPFILE) turns it off
// for the process. The fallback never creates where the name could not be
// removed (an append-only directory: EPERM); should the unlink fail anyway,
// the file is closed, unlinked once more, and the error reported. When the
// fallback finds the file system makes no files (ENOENT in an existing
// directory: procfs), O_TMPFILE's error is reported.
// `linkable` (null: not wanted): open O_TMPFILE without O_EXCL, so that the
// file can be linked into a directory later (publishing); set to whether it
// was (the create-then-unlink fallback never is).
unique_fd create_anonymous_file(const name_request& req, int extra_flags, error_code& ec,
                                bool* linkable = nullptr);

// The name loop for a backend that makes the create call itself: where names
// go (prefix included) and how to draw the next one. Shared, immutable once
// made: a thread's next request with the same options reuses it.
class name_series {
  public:
    name_series() = default;

    void next(std::string& path) const;
    const std::string& dir() const noexcept;

  private:
    friend bool make_name_source(const name_request& req, name_series& out, error_code& ec);
    struct resolved {
        std::string base;  // dir + "/" + prefix
        std::string suffix;
        std::string dir;
    };
    std::shared_ptr<const resolved> names_;
};
// Validates and resolves `req` as create_unique_file would (no system call
// unless the directory is relative: getcwd).
bool make_name_source(const name_request& req, name_series& out, error_code& ec);

// O_TMPFILE off for the whole process (the kernel lacks it: EISDIR), so
// create_anonymous_file creates and unlinks instead.
bool tmpfile_unsupported() noexcept;

// unlink, with EINTR retried and ENOENT ("someone removed it already") no error.
error_code remove_file(const std::string& path);

}  // namespace tempio::detail
