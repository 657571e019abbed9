// Removing a directory tree without ever leaving it: fd-relative, no symlink
// followed, permissions repaired through held descriptors only.
// The guarantees and their tests are listed in docs/security.md.
#pragma once

#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

using boost::system::error_code;

struct remove_tree_error {
    error_code ec;      // the first error met, if any
    std::string where;  // its path relative to the root ("" = the root itself)
};

// Removes `root` and everything below it. Walks iteratively (no recursion) and
// keeps at most `max_open_dirs` directory descriptors open, however deep the
// tree. Keeps going after an error and reports the first one. A root that no
// longer exists is no error; a root that is a symlink is unlinked, not followed.
remove_tree_error remove_tree(const std::string& root);

// Same, below an already open directory: removes `name` inside `parent_fd`.
remove_tree_error remove_tree_at(int parent_fd, const std::string& name);

inline constexpr std::size_t max_open_dirs = 32;

}  // namespace tempio::detail
