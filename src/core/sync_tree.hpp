// fsync of a whole tree, through descriptors: what a durable directory
// publish flushes before its rename (docs/publishing.md, "Durability").
#pragma once

#include <boost/system/error_code.hpp>

namespace tempio::detail {

// Flushes the tree of the open directory `fd` (read access: it is listed),
// depth first: every regular file (fsync), every subdirectory once its own
// entries are flushed (fsync), then `fd` itself last. Entries are opened
// relative to their parent's descriptor with O_NOFOLLOW, never by path;
// symbolic links, FIFOs, sockets and devices are neither followed nor
// synced. Stops at the first error. Takes `fd` (closed in every case).
// One descriptor per level of depth is open at a time, plus one file.
boost::system::error_code sync_tree(int fd);

}  // namespace tempio::detail
