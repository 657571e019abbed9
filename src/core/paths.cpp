#include "core/paths.hpp"

#include <filesystem>

#include "core/sys.hpp"

namespace tempio::detail {

namespace {
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
    std::filesystem::path p(path);
    if (p.is_relative()) {
        std::string cwd;
        if (!sys::getcwd(cwd)) return {};
        p = std::filesystem::path(cwd) / p;
    }
    std::string s = p.lexically_normal().native();
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
}

std::string join(std::string_view dir, std::string_view name) {
    std::string s;
    s.reserve(dir.size() + 1 + name.size());
    s.append(dir);
    if (s.empty() || s.back() != '/') s += '/';
    s.append(name);
    return s;
}

}  // namespace tempio::detail
