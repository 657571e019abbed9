/// @file
/// @brief tempio/platform.hpp: what the running platform guarantees.
///
/// tempio is built for one platform implementation (docs/platforms.md):
/// `linux` (O_TMPFILE, renameat2, statx, io_uring) or `posix` (POSIX.1-2008
/// calls only: macOS and the BSDs, and a Linux build made to prove that
/// path). An operation a platform cannot do atomically completes with
/// `net::error::operation_not_supported`, never with a silent non-atomic
/// substitute; these queries say so before you try, for your code and
/// for tests that skip what the platform lacks.
#pragma once

#include <string_view>

namespace tempio {

/// @brief The platform implementation this build of tempio uses: `"linux"`
/// or `"posix"`.
std::string_view platform_name() noexcept;

/// @brief Whether files can be made with no name at all and given one later
/// (`O_TMPFILE`): `temporary_file` never has a name, even for an instant,
/// and `linkable` files, spooled files and `atomic_file` publish without a
/// temporary name. Elsewhere an anonymous file is created and unlinked at
/// once, and publishing one copies its data into a hidden
/// `.<target>.XXXXXXXX` file that is then renamed into place (as atomic,
/// one more write of the data); `atomic_file` writes such a hidden file
/// from the start. Some file systems refuse `O_TMPFILE` even on Linux: the
/// same fallbacks run there.
bool has_anonymous_files() noexcept;

/// @brief Whether `temporary_directory::async_exchange` can swap two
/// directories in one step (`renameat2(RENAME_EXCHANGE)`). Elsewhere it
/// completes with `operation_not_supported`.
bool can_exchange_directories() noexcept;

/// @brief Whether a directory can be published without replacing, in one
/// step (`temporary_directory::async_persist_noclobber`). Files always can
/// (a link never replaces); elsewhere the directory's completes with
/// `operation_not_supported`.
bool can_publish_directories_without_replacing() noexcept;

/// @brief Whether the io_uring backend is part of this build (it is then
/// still chosen only when asked for and usable: tempio/backend.hpp).
bool has_io_uring_backend() noexcept;

/// @brief Whether the signal cleanup (tempio/signal_cleanup.hpp) removes a
/// temporary directory's contents. Where it cannot list a directory without
/// allocating (the POSIX build), it removes only directories left empty.
bool signal_cleanup_removes_trees() noexcept;

/// @brief Whether a commit can keep the replaced file's extended attributes
/// (atomic_file::options::preserve's `xattrs`: POSIX ACLs, security labels).
/// Where not (the POSIX build), nothing is copied, and a strict request is
/// `operation_not_supported`.
bool can_copy_extended_attributes() noexcept;

}  // namespace tempio
