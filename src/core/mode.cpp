#include "core/mode.hpp"
#include "core/os_error.hpp"

#include <cerrno>

namespace tempio::detail {

boost::system::error_code parse_mode(std::string_view mode, open_mode& out) {
    if (mode == "w+b") {  // every class's default: no letter-by-letter parse per file
        out = {.readable = true, .writable = true, .append = false};
        return {};
    }
    const boost::system::error_code bad = os_error(EINVAL);
    constexpr std::string_view letters = "rwax+bt";
    unsigned seen = 0;
    for (char c : mode) {
        auto i = letters.find(c);
        if (i == std::string_view::npos || c == '\0' || (seen & (1u << i))) return bad;
        seen |= 1u << i;
    }
    auto has = [&](char c) { return (seen & (1u << letters.find(c))) != 0; };
    int primaries = has('r') + has('w') + has('a') + has('x');
    if (primaries != 1 || (has('b') && has('t'))) return bad;
    bool plus = has('+');
    out.readable = has('r') || plus;
    out.writable = !has('r') || plus;
    out.append = has('a');
    return {};
}

}  // namespace tempio::detail
