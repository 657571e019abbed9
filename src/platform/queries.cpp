// tempio/platform.hpp: the public answers, from the platform seam.
#include "tempio/platform.hpp"

#include "platform/platform.hpp"

namespace tempio {

std::string_view platform_name() noexcept {
#if TEMPIO_PLATFORM_LINUX
    return "linux";
#else
    return "posix";
#endif
}

bool has_anonymous_files() noexcept {
    return detail::platform::anonymous_files;
}

bool can_exchange_directories() noexcept {
    return detail::platform::exchange;
}

bool can_publish_directories_without_replacing() noexcept {
    return detail::platform::native_noclobber;
}

bool can_copy_extended_attributes() noexcept {
    return detail::platform::extended_attributes;
}

bool signal_cleanup_removes_trees() noexcept {
    return detail::platform::signal_safe_listing;
}

bool has_io_uring_backend() noexcept {
#if TEMPIO_HAS_LIBURING
    return true;
#else
    return false;
#endif
}

}  // namespace tempio
