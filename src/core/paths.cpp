#include "core/paths.hpp"

#include <filesystem>

#include "core/sys.hpp"

namespace tempio::detail {

std::string absolute_normal(std::string_view path) {
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
