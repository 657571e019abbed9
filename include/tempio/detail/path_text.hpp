// Paths as text: tempio's core holds every path as UTF-8 in a std::string
// (on POSIX, the native bytes as they are); std::filesystem::path is what
// the public API hands out. On Windows a path is UTF-16 inside, and these
// two convert (docs/platforms.md, "Windows": string options are UTF-8 on
// every platform).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace tempio::detail {

inline std::string utf8_of(const std::filesystem::path& p) {
#ifdef _WIN32
    std::u8string u = p.u8string();
    return std::string(u.begin(), u.end());
#else
    return p.native();
#endif
}

inline std::filesystem::path path_of_utf8(std::string_view s) {
#ifdef _WIN32
    return std::filesystem::path(
        std::u8string_view(reinterpret_cast<const char8_t*>(s.data()), s.size()));
#else
    return std::filesystem::path(s);
#endif
}

}  // namespace tempio::detail
