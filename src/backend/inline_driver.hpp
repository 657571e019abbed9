// The inline driver: an operation whose calls never wait on a device (its
// file or directory is on a memory file system: DESIGN section 9) makes
// them on the calling thread, as blocking calls that take a few
// microseconds, less than one thread hand-off. Its completion is still
// posted: never inside the initiating call. Off unless TEMPIO_INLINE=on
// (inline_dispatch_enabled): DESIGN section 9 ships it on by default only
// if the loop-lag workload on tmpfs is no worse with it, and its p99 is
// worse (docs/performance.md).
#pragma once

#include <memory>

#include "backend/finish_op.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

// TEMPIO_INLINE (read once): "on" allows the inline driver; anything else
// ("never", unset) keeps every call off the calling thread.
bool inline_dispatch_enabled() noexcept;
#if TEMPIO_TEST_SEAM
void set_inline_dispatch_for_testing(bool enabled) noexcept;
#endif

template <class Op>
void run_inline(std::unique_ptr<Op> op, handler_of<typename Op::value_type> h) noexcept {
    try {
        run_steps(*op);
    } catch (...) {  // out of memory drawing a name: nothing was made
        op->cancel();
        error_code ec = error_of_current_exception();
        op.reset();
        return complete_with_error<typename Op::value_type>(std::move(h), ec);
    }
    finish_op(std::move(op), std::move(h));
}

}  // namespace tempio::detail
