// The per-thread count behind inline_resumption (detail/handler.hpp).
#include "tempio/detail/handler.hpp"

namespace tempio::detail {
namespace {
// Coroutines resumed inside an initiation and not yet returned, on this thread.
thread_local unsigned t_nested = 0;
}  // namespace

inline_resumption::inline_resumption() noexcept : taken_(t_nested < limit) {
    if (taken_) ++t_nested;
}

inline_resumption::~inline_resumption() {
    if (taken_) --t_nested;
}

}  // namespace tempio::detail
