// Whether a directory is on a file system that never waits on a device
// (tmpfs, ramfs: statfs's magic), where a create, close or unlink is a few
// microseconds of memory work (DESIGN section 9).
#pragma once

#include <string>

namespace tempio::detail {

// Learned once per directory (cached; a directory mounted over later is not
// noticed: the answer decides only which thread makes a call, never what
// the call does). False when statfs fails. Thread-safe.
bool on_memory_fs(const std::string& dir) noexcept;
// The same when already learned, without a statfs (the loop thread's
// question: a statfs of a network file system can wait). False when not
// known yet.
bool known_on_memory_fs(const std::string& dir) noexcept;
// The same for an open file (fstatfs, not cached). False when it fails.
bool fd_on_memory_fs(int fd) noexcept;

}  // namespace tempio::detail
