// libFuzzer target: mode strings and name affixes. parse_mode must accept
// exactly Python's open() modes (checked against a direct restatement of the
// rule) and validate_affixes must refuse exactly '/' and NUL; neither may
// crash, read out of bounds or invoke undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/create.hpp"
#include "core/mode.hpp"

namespace {

// The rule of DESIGN.md section 2, restated independently.
bool valid_mode(std::string_view m) {
    int count[128] = {};
    for (unsigned char c : m) {
        if (c >= 128 ||
            std::string_view("rwax+bt").find(static_cast<char>(c)) == std::string_view::npos)
            return false;
        if (++count[c] > 1) return false;
    }
    int primaries = count['r'] + count['w'] + count['a'] + count['x'];
    return primaries == 1 && !(count['b'] && count['t']);
}

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    tempio::detail::open_mode mode;
    auto ec = tempio::detail::parse_mode(input, mode);
    check(!ec == valid_mode(input));
    if (!ec) {
        bool plus = input.find('+') != std::string_view::npos;
        bool r = input.find('r') != std::string_view::npos;
        check(mode.readable == (r || plus));
        check(mode.writable == (!r || plus));
        check(mode.append == (input.find('a') != std::string_view::npos));
    }

    // Affixes: the first byte splits the rest into prefix and suffix.
    if (size > 0) {
        std::size_t cut = data[0] % size;
        std::string_view rest = input.substr(1);
        cut = cut > rest.size() ? rest.size() : cut;
        std::string_view prefix = rest.substr(0, cut), suffix = rest.substr(cut);
        auto bad = [](std::string_view s) {
            return s.find('/') != std::string_view::npos || s.find('\0') != std::string_view::npos;
        };
        check(bool(tempio::detail::validate_affixes(prefix, suffix)) ==
              (bad(prefix) || bad(suffix)));
    }
    return 0;
}
