// Lexical path helpers shared by the core (no file system access but getcwd).
#pragma once

#include <string>
#include <string_view>

namespace tempio::detail {

// Absolute, lexically normalised form of `path` (like os.path.abspath), with
// no trailing slash except for "/". Empty on failure (errno set).
std::string absolute_normal(std::string_view path);

// dir + '/' + name, without doubling the separator.
std::string join(std::string_view dir, std::string_view name);

}  // namespace tempio::detail
