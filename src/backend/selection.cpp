// Choosing the backend and whether calls may run inline, once per process.
#include <atomic>
#include <cstdlib>
#include <string_view>

#include "backend/backend.hpp"
#include "backend/inline_driver.hpp"
#include "backend/ring.hpp"
#include "tempio/backend.hpp"

namespace tempio {
namespace detail {

backend_kind choose_backend(const char* env) noexcept {
    // auto (and any unknown value: a typo must not stop the program) is the
    // pool: measured faster than the ring, or as fast, for most workloads on
    // tmpfs and on disk, and gentler on the loop (docs/performance.md).
    // io_uring only when asked for, and usable.
    if (env != nullptr && std::string_view(env) == "io_uring" && ring_usable())
        return backend_kind::io_uring;
    return backend_kind::threads;
}

backend_kind active_backend() noexcept {
    static const backend_kind chosen = choose_backend(std::getenv("TEMPIO_BACKEND"));
    return chosen;
}

namespace {
std::atomic<bool>& inline_switch() noexcept {
    static std::atomic<bool> enabled{[] {
        const char* env = std::getenv("TEMPIO_INLINE");
        return env != nullptr && std::string_view(env) == "on";
    }()};
    return enabled;
}
}  // namespace

bool inline_dispatch_enabled() noexcept {
    return inline_switch().load(std::memory_order_relaxed);
}

#if TEMPIO_TEST_SEAM
void set_inline_dispatch_for_testing(bool enabled) noexcept {
    inline_switch().store(enabled);
}
#endif

}  // namespace detail

const char* backend_name() noexcept {
    return detail::active_backend() == detail::backend_kind::io_uring ? "io_uring" : "threads";
}

}  // namespace tempio
