// Choosing the backend and whether calls may run inline, once per process.
#include <atomic>
#include <cstdlib>
#include <string_view>

#include "backend/backend.hpp"
#include "backend/inline_level.hpp"
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

inline_level inline_level_of(const char* env) noexcept {
    std::string_view v = env != nullptr ? env : "";
    if (v == "never" || v == "off") return inline_level::never;
    if (v == "on") return inline_level::on;
    if (v == "writes") return inline_level::writes;
    return inline_level::alone;  // unset, "auto", or a typo: the default
}

namespace {
std::atomic<inline_level>& inline_switch() noexcept {
    static std::atomic<inline_level> level{inline_level_of(std::getenv("TEMPIO_INLINE"))};
    return level;
}
}  // namespace

inline_level inline_dispatch_level() noexcept {
    return inline_switch().load(std::memory_order_relaxed);
}
bool inline_ops_enabled() noexcept {
    return inline_dispatch_level() != inline_level::never;
}
bool inline_writes_enabled() noexcept {
    auto level = inline_dispatch_level();
    return level == inline_level::writes || level == inline_level::on;
}

#if TEMPIO_TEST_SEAM
void set_inline_dispatch_for_testing(inline_level level) noexcept {
    inline_switch().store(level);
}
#endif

}  // namespace detail

const char* backend_name() noexcept {
    return detail::active_backend() == detail::backend_kind::io_uring ? "io_uring" : "threads";
}

}  // namespace tempio
