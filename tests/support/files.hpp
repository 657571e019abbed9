// Small file helpers the tests share: read a whole file, write one, a mode.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tempio::test {

// The whole content of `p` ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Creates or replaces `p` with `s`.
inline void spit(const std::filesystem::path& p, const std::string& s) {
    std::ofstream(p, std::ios::binary) << s;
}

// The permission bits of `p` itself (not followed); 0 when it is missing.
inline unsigned mode_of(const std::filesystem::path& p) {
    std::error_code ec;
    const auto st = std::filesystem::symlink_status(p, ec);
    if (ec || !std::filesystem::exists(st)) return 0;
    return static_cast<unsigned>(st.permissions()) & 07777;
}

}  // namespace tempio::test
