// An errno as the error_code Asio itself would give for it: system_category,
// so that it compares equal to net::error::* and to std::errc alike. POSIX
// errno values are its codes; on Windows, Win32's (the core speaks errno
// everywhere; platform/windows/errors.cpp maps each to its Win32 code, or
// keeps the errno in generic_category where Boost's Win32 table would not
// take that code back to the same std::errc).
#pragma once

#include <boost/system/error_code.hpp>

#if TEMPIO_PLATFORM_WINDOWS
#include "platform/windows/posix_api.hpp"
#endif

namespace tempio::detail {

#if TEMPIO_PLATFORM_WINDOWS
boost::system::error_code os_error(int err) noexcept;  // platform/windows/errors.cpp
#else
inline boost::system::error_code os_error(int err) noexcept {
    return {err, boost::system::system_category()};
}
#endif

}  // namespace tempio::detail
