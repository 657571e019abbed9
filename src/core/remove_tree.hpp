// Removing a directory tree without ever leaving it: fd-relative, no symlink
// followed, permissions repaired through held descriptors only.
// The threat model, the guarantees and their tests are in docs/security.md.
#pragma once

#include <cstddef>
#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

using boost::system::error_code;

struct remove_tree_error {
    error_code ec;      // the first error met, if any
    std::string where;  // its path relative to the root ("" = the root itself)
};

// Directory streams the remover holds at most, however deep the tree: the
// root's and those of the deepest directories being emptied. Shallower ones
// are closed and reopened through ".." (checked by device and inode) when the
// walk climbs back. Counting transient descriptors, one removal has at most
// max_open_dirs + 2 open at any moment, plus remove_tree's one for the parent.
inline constexpr std::size_t max_open_dirs = 32;

// Removes `root` and everything below it. Only the root's parent is resolved
// by path; everything below is reached relative to held descriptors, one
// component at a time, with O_NOFOLLOW. Iterative (no recursion). Keeps going
// after an error and reports the first one. A root that no longer exists is no
// error; a root that is (or became) a symlink is unlinked, never followed.
remove_tree_error remove_tree(const std::string& root);

// remove_tree when the caller already tried rmdir(root), which failed with
// `rmdir_errno` (a backend that makes that first call itself).
remove_tree_error remove_tree_after_rmdir(const std::string& root, int rmdir_errno);

// Same, below an already open directory (it may be an O_PATH descriptor):
// removes `name` inside `parent_fd`. The parent itself is never modified
// except by unlinking `name` (its mode is never repaired).
remove_tree_error remove_tree_at(int parent_fd, const std::string& name);

}  // namespace tempio::detail
