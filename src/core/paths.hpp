// Lexical path helpers shared by the core (no file system access but getcwd).
#pragma once

#include <string>
#include <string_view>

namespace tempio::detail {

// Absolute, lexically normalised form of `path` (like os.path.abspath), with
// no trailing slash except for "/". Empty on failure (errno set).
std::string absolute_normal(std::string_view path);

// The platform's separators: '/', and on Windows '\\' too.
bool is_path_separator(char c) noexcept;
// Where the last separator is (npos: none).
std::size_t last_separator(std::string_view path) noexcept;
// Absolute: "/x" on POSIX; "C:\\x", "\\x" or "\\\\server" on Windows.
bool is_absolute_path(std::string_view path) noexcept;

// The directory part of `path` before its separator at `slash`: "." for
// none, the root itself ("/", "C:\\") where the separator is the root's.
std::string_view directory_part(std::string_view path, std::size_t slash) noexcept;

// dir + '/' + name, without doubling the separator.
std::string join(std::string_view dir, std::string_view name);

}  // namespace tempio::detail
