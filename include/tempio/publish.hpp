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
/// `cross_device_link` (`EXDEV`): nothing is copied behind the caller's back.
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
};

static_assert(std::is_trivially_destructible_v<publish_options>);

namespace detail {

// What the engine is told (views; it copies the target before returning).
enum class publish_how { replace, noclobber, exchange };
struct publish_spec {
    path_view target{};
    publish_how how = publish_how::replace;
    bool durable = false;
    std::optional<std::filesystem::perms> permissions{};
};

inline publish_spec make_publish_spec(path_view target, const publish_options& o, publish_how how) {
    return {target, how, o.durable, o.permissions};
}

}  // namespace detail
}  // namespace tempio
