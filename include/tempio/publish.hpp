/// @file
/// @brief tempio/publish.hpp: the options of publishing, shared by every
/// persist operation and atomic_file (docs/publishing.md says what each
/// guarantees).
///
/// Publishing gives a temporary file or directory its final name in one
/// atomic step (rename, or linkat for a file that never had a name), so a
/// reader of the target sees the old or the complete new content, never a
/// mix. Success moves ownership: the object then refers to the target, stays
/// open and never deletes it. Failure changes nothing: the object still owns
/// (and will delete) its temporary. Across file systems the error is
/// `cross_device_link` (`EXDEV`): nothing is copied behind the caller's back,
/// unless `publish_options::across_file_systems` asks for the copy.
///
/// Two rules hold for every publishing call (docs/publishing.md):
/// - The target is copied when the operation is initiated (a relative one
///   resolved against the current directory then) and resolved as rename(2)
///   resolves it, never as text: its directory part is opened, following
///   symbolic links, and every rename, link and directory fsync is made
///   relative to it; a final component `.` or `..` is `invalid_argument`, a
///   file target ending with `/` is `not_a_directory`, and a symbolic link
///   at the final component is replaced, never followed. Names up to the
///   file system's NAME_MAX (255 bytes) are publishable.
/// - The error latch: an object that will be published remembers the first
///   failed write, flush, sync or truncate (a short write included); every
///   publish of it then fails with that error and changes nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <type_traits>

#include "tempio/path_view.hpp"

namespace tempio {

/// @brief How basic_async_file::async_persist, async_persist_noclobber and
/// basic_temporary_directory's publishing operations publish:
/// `f.async_persist("out.json", {.durable = true})`.
///
/// Trivially destructible, so it is safe in a `co_await` expression with
/// g++ 12 (see tempio/path_view.hpp).
struct publish_options {
    /// @brief fdatasync(2) of the data before the rename or link (fsync(2)
    /// when `permissions` is set, so that the mode is on disk too), fsync(2)
    /// of the target's directory after it: the publish survives a power loss.
    /// For a basic_temporary_directory, the whole tree before the rename:
    /// every regular file and subdirectory (fsync), then the directory
    /// itself (basic_temporary_directory::async_persist).
    bool durable = false;
    /// @brief chmod to exactly these bits (`& 07777`, no umask) before
    /// publishing. Empty: the mode stays, so a published file is 0600
    /// (readable by its owner only, CPython's and Rust's mode for
    /// temporaries) and a directory 0700.
    std::optional<std::filesystem::perms> permissions{};
    /// @brief A file on another file system than the target's (where a
    /// rename or link fails with `cross_device_link`) is copied into a
    /// hidden `.<target>.XXXXXXXX` file beside the target (a clone where the
    /// file system can, FICLONE, else copy_file_range, else read and write),
    /// made durable when `durable` says so, then renamed over the target as
    /// any publish: the target is never partial. The temporary's own name is
    /// removed after; the object then refers to the target (the copy).
    /// Files only: a directory publish still fails with `cross_device_link`.
    /// Whatever its mode, a file can be copied: its descriptor is opened for
    /// reading and writing (as CPython's `mkstemp`).
    /// Default false: the error, as Rust's `tempfile` `persist`.
    bool across_file_systems = false;
};

static_assert(std::is_trivially_destructible_v<publish_options>);

/// @brief What atomic_file's commit keeps of the file it replaces
/// (atomic_file::options::preserve): `{.owner = true, .xattrs = true}`.
///
/// Taken from the target at the commit (through a symbolic link there: from
/// what the link points to); nothing is taken when there is no target.
struct preserve_options {
    /// @brief The permission bits (unless atomic_file::options::permissions
    /// says otherwise); false: 0666 & ~umask, as a new file.
    bool mode = true;
    /// @brief The owner and group (fchown(2)). Only a privileged process
    /// can give a file away: where that is refused (`EPERM`), the group
    /// alone is tried, and a refusal is ignored unless `strict`.
    bool owner = false;
    /// @brief Every extended attribute the process can read and set
    /// (Linux: `user.*`, the POSIX ACLs `system.posix_acl_access` and
    /// `system.posix_acl_default`, `security.selinux`, and `trusted.*` for a
    /// privileged process). An attribute the file system or the process's
    /// privileges refuse is skipped unless `strict`. Where the platform has
    /// no extended attributes, nothing is copied (`strict`:
    /// `operation_not_supported`).
    bool xattrs = false;
    /// @brief A refused `owner` or `xattrs` fails the commit (`EPERM`,
    /// `ENOTSUP`, ...), which then changes nothing.
    bool strict = false;
};

static_assert(std::is_trivially_destructible_v<preserve_options>);

namespace detail {

// What the engine is told (views; it copies the target before returning).
enum class publish_how { replace, noclobber, exchange };
struct publish_spec {
    path_view target{};
    publish_how how = publish_how::replace;
    bool durable = false;
    std::optional<std::filesystem::perms> permissions{};
    bool across_file_systems = false;
};

inline publish_spec make_publish_spec(path_view target, const publish_options& o, publish_how how) {
    return {target, how, o.durable, o.permissions, o.across_file_systems};
}

}  // namespace detail
}  // namespace tempio
