#include "core/paths.hpp"

#include <filesystem>

#include "core/sys.hpp"
#include "tempio/detail/path_text.hpp"

namespace tempio::detail {

namespace {
#ifdef _WIN32
constexpr char separator = '\\';
bool is_separator(char c) {
    return c == '/' || c == '\\';
}
#else
constexpr char separator = '/';
bool is_separator(char c) {
    return c == '/';
}
#endif

// A trailing separator dropped, the root's own kept ("/", "C:\\").
void drop_trailing_separators(std::string& s) {
    std::size_t keep = 1;
#ifdef _WIN32
    if (s.size() >= 3 && s[1] == ':') keep = 3;
#endif
    while (s.size() > keep && is_separator(s.back())) s.pop_back();
}

// Absolute, no empty, "." or ".." component, no trailing slash: the common
// case (gettempdir's result, a user's dir) needs no std::filesystem work.
bool already_absolute_normal(std::string_view path) {
    if (path.empty() || path[0] != '/') return false;
    if (path.size() == 1) return true;
    if (path.back() == '/') return false;
    std::size_t begin = 1;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) end = path.size();
        std::string_view part = path.substr(begin, end - begin);
        if (part.empty() || part == "." || part == "..") return false;
        begin = end + 1;
    }
    return true;
}
}  // namespace

std::string absolute_normal(std::string_view path) {
    if (already_absolute_normal(path)) return std::string(path);
    std::filesystem::path p = path_of_utf8(path);
    if (p.is_relative()) {
        std::string cwd;
        if (!sys::getcwd(cwd)) return {};
        p = path_of_utf8(cwd) / p;
    }
    std::string s = utf8_of(p.lexically_normal());
    drop_trailing_separators(s);
    return s;
}

bool is_path_separator(char c) noexcept {
    return is_separator(c);
}

std::size_t last_separator(std::string_view path) noexcept {
#ifdef _WIN32
    return path.find_last_of("/\\");
#else
    return path.rfind('/');
#endif
}

bool is_absolute_path(std::string_view path) noexcept {
#ifdef _WIN32
    if (path.size() >= 3 && path[1] == ':' && is_separator(path[2])) return true;
#endif
    return !path.empty() && is_separator(path[0]);
}

std::string_view directory_part(std::string_view path, std::size_t slash) noexcept {
    if (slash == std::string_view::npos) return ".";
    if (slash == 0) return path.substr(0, 1);
#ifdef _WIN32
    if (slash == 2 && path[1] == ':') return path.substr(0, 3);
#endif
    return path.substr(0, slash);
}

std::string join(std::string_view dir, std::string_view name) {
    std::string s;
    s.reserve(dir.size() + 1 + name.size());
    s.append(dir);
    if (s.empty() || !is_separator(s.back())) s += separator;
    s.append(name);
    return s;
}

}  // namespace tempio::detail
