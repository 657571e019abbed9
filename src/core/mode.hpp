// Python/fopen mode strings ("w+b", "r", "a+", ...).
#pragma once

#include <string_view>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

struct open_mode {
    bool readable = false;
    bool writable = false;
    bool append = false;
};

// Exactly one of r w a x, each letter at most once, not both b and t, only
// letters of "rwax+bt". invalid_argument otherwise.
boost::system::error_code parse_mode(std::string_view mode, open_mode& out);

}  // namespace tempio::detail
