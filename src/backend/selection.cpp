// Choosing the backend, once per process.
#include <cstdlib>
#include <string_view>

#include "backend/backend.hpp"
#include "backend/ring.hpp"
#include "tempio/backend.hpp"

namespace tempio {
namespace detail {

backend_kind choose_backend(const char* env) noexcept {
    // An unknown value means auto: a typo must not take the pool away, nor
    // io_uring where it works. docs/design-decisions.md.
    if (env != nullptr && std::string_view(env) == "threads") return backend_kind::threads;
    return ring_usable() ? backend_kind::io_uring : backend_kind::threads;
}

backend_kind active_backend() noexcept {
    static const backend_kind chosen = choose_backend(std::getenv("TEMPIO_BACKEND"));
    return chosen;
}

}  // namespace detail

const char* backend_name() noexcept {
    return detail::active_backend() == detail::backend_kind::io_uring ? "io_uring" : "threads";
}

}  // namespace tempio
