// The platform seam (docs/platforms.md): what the core needs that POSIX.1-2008
// does not give the same way everywhere, asked for by what it is, never by a
// Linux call's name. One implementation per folder, chosen by CMake
// (TEMPIO_PLATFORM): linux/ (O_TMPFILE, renameat2, statx, O_PATH, /proc)
// and posix/ (POSIX.1-2008 only). Each call below that reaches the kernel
// goes through the system-call seam (core/sys.hpp), so the failure sweeps
// count it and make it fail.
//
// The constants the step machines need at compile time (flags, the stat
// type of a name's identity) come from the implementation's constants.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/system/error_code.hpp>

#include "core/sys.hpp"  // the platform's POSIX types (file_stat, device_id...)

#if TEMPIO_PLATFORM_LINUX
#include "platform/linux/constants.hpp"
#elif TEMPIO_PLATFORM_WINDOWS
#include "platform/windows/constants.hpp"
#else
#include "platform/posix/constants.hpp"
#endif

namespace tempio::detail::platform {

using boost::system::error_code;

// ---- what the platform can do (public: tempio/platform.hpp) ---------------

// Files with no name at all, that can be given one later (O_TMPFILE):
// without them an anonymous file is created and unlinked, and cannot be
// published.
inline constexpr bool anonymous_files = constants::anonymous_files;
// Two names swapped in one step (renameat2 RENAME_EXCHANGE).
inline constexpr bool exchange = constants::exchange;
// A rename that never replaces, in one call (RENAME_NOREPLACE); without it,
// link then unlink (atomic too: the link fails if the name exists).
inline constexpr bool native_noclobber = constants::native_noclobber;
// Whether a file system in memory can be told (statfs): without it nothing
// runs inline (docs/design-decisions.md).
inline constexpr bool memory_fs_probe = constants::memory_fs_probe;
// A directory can be listed from a signal handler (signal_safe_entries).
inline constexpr bool signal_safe_listing = constants::signal_safe_listing;
// Extended attributes to copy (copy_extended_attributes).
inline constexpr bool extended_attributes = constants::extended_attributes;
// Directory descriptors that need no read permission (O_PATH).
inline constexpr int dir_handle_flags = constants::dir_handle_flags;
// openat flags of an anonymous file (unused where anonymous_files is false).
inline constexpr int anonymous_file_flags = constants::anonymous_file_flags;

// ---- names ------------------------------------------------------------------

// rename(2) of `from` (in `fromdir`) to `to` (in `todir`): replacing, never
// replacing (EEXIST), or exchanging two existing names. Where the platform
// cannot do it in one call: EINVAL for noclobber (the caller links and
// unlinks, which is atomic too), EOPNOTSUPP for exchange. -1 with errno.
enum class rename_how { replace, noclobber, exchange };
int rename_at(int fromdir, const char* from, int todir, const char* to, rename_how how) noexcept;

// Gives the anonymous file `fd` the name `name` in `dirfd` (link(2) of an
// open file). -1 with errno; EOPNOTSUPP where there are no anonymous files.
int link_open_file(int fd, int dirfd, const char* name) noexcept;

// Where an open directory is, as the kernel names it; empty when the
// platform cannot say, or the directory was removed.
std::string path_of_directory(int fd);

// The identity of a name, not following a final symbolic link: the call
// the step machines make (syscall::kind::stat_name), and its reading.
int stat_name(int dirfd, const char* path, name_stat* st) noexcept;  // -1, errno
sys::device_id device_of(const name_stat& st) noexcept;
sys::inode_id inode_of(const name_stat& st) noexcept;

// What a creation learns about its directory: its device (to remember a
// file system that refused anonymous files) and whether it is append-only
// (names can be made, never removed: chattr +a). false with ec on failure;
// true with nothing learned where the platform cannot say.
struct directory_facts {
    sys::device_id dev = 0;
    bool dev_known = false;
    bool append_only = false;
};
bool facts_of_directory(const std::string& dir, directory_facts& out, error_code& ec);

// chmod 0700 of the directory `name` in `dirfd`, never following a link
// there, when it cannot be opened for reading. 0; -1 (errno) when it could
// not be reached (EACCES: `dirfd` needs repair first); -2 when it was
// reached but is not a directory, or would not change.
int make_directory_ours(int dirfd, const char* name) noexcept;
// chmod 0700 of a directory held by `fd` (an O_PATH one included).
int make_held_directory_ours(int fd) noexcept;

// ---- copies -------------------------------------------------------------------

// The whole content of `from` (from offset 0) into the empty `to` by the file
// systems' own means, leaving both offsets alone: a clone (FICLONE: shared
// extents, no data moved), else copy_file_range. 1: done; 0: neither is
// possible here (nothing written: the caller reads and writes); -1 with
// errno.
int copy_by_file_system(int from, int to) noexcept;

// The extended attributes of `name` in `dirfd` (a final symbolic link
// followed) set on `to`: POSIX ACLs and security labels are attributes on
// Linux. An attribute that cannot be read or set for want of privilege or
// support is skipped unless `strict`; no such file: nothing to copy. false
// with ec on failure. Where the platform has none: nothing is copied, and
// `strict` is operation_not_supported.
bool copy_extended_attributes(int dirfd, const char* name, int to, bool strict, error_code& ec);

// ---- the process --------------------------------------------------------------

// The process's umask without changing it (another thread may be creating
// files); false where the platform cannot read it so.
bool read_umask(mode_t& out) noexcept;
// Random bytes for the name generator's seed.
bool random_bytes(void* buf, std::size_t n) noexcept;
// RAM and swap, for the spooled files' memory bound.
bool total_memory(std::uint64_t& bytes) noexcept;
// A flag the kernel clears in every child of a fork, whatever made the
// fork (MADV_WIPEONFORK), mapped for the life of the process; nullptr where
// there is none (fork detection then compares getpid()).
std::atomic<unsigned>* flag_cleared_on_fork() noexcept;

// ---- in a signal handler --------------------------------------------------------

// Reads the names in the directory `fd` without allocating or locking, so
// that a signal handler may list a directory (signal cleanup): `buf` is the
// caller's (static) memory. Not through the system-call seam: nothing a
// handler does may be counted or made to fail. Where the platform has no
// such call (POSIX has none: readdir allocates), next() finds nothing and
// only empty directories are removed from a handler.
class signal_safe_entries {
  public:
    signal_safe_entries(int fd, char* buf, std::size_t size) noexcept
        : fd_(fd), buf_(buf), size_(size) {}
    // The next name other than "." and "..", or nullptr at the end (or on
    // an error); *is_dir is set when the platform says it is a directory
    // (false when it does not know).
    const char* next(bool* is_dir) noexcept;

  private:
    int fd_;
    char* buf_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::size_t end_ = 0;
};

// ---- file systems -----------------------------------------------------------

// A file system in memory (tmpfs, ramfs), where no operation waits on a
// device: the inline dispatch (docs/design-decisions.md). false where the
// platform cannot say.
bool directory_on_memory_fs(const char* dir) noexcept;
bool descriptor_on_memory_fs(int fd) noexcept;

}  // namespace tempio::detail::platform
