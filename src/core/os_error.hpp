// An errno as the error_code Asio itself would give for it: system_category,
// so that it compares equal to net::error::* and to std::errc alike. POSIX
// errno values are its codes; on Windows, Win32's (the core speaks errno
// everywhere; platform/windows/errors.cpp maps each to its Win32 code).
#pragma once

#include <boost/system/error_code.hpp>

#if TEMPIO_PLATFORM_WINDOWS
#include "platform/windows/posix_api.hpp"
#endif

namespace tempio::detail {

inline boost::system::error_code os_error(int err) noexcept {
#if TEMPIO_PLATFORM_WINDOWS
    return {static_cast<int>(os::win32_of_errno(err)), boost::system::system_category()};
#else
    return {err, boost::system::system_category()};
#endif
}

}  // namespace tempio::detail
