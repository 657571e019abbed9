// The inline driver: an operation whose calls never wait on a device (its
// file or directory is on a memory file system: DESIGN section 9) makes
// them on the calling thread, as blocking calls that take a few
// microseconds, less than one thread hand-off. Its completion is still
// posted: never inside the initiating call. Off unless TEMPIO_INLINE=on
// (inline_dispatch_enabled): DESIGN section 9 ships it on by default only
// if the loop-lag workload on tmpfs is no worse with it, and its p99 is
// worse (docs/performance.md). Bounded writes (TEMPIO_INLINE=writes) are not
// operations of this driver but writes the engine completes at once.
#pragma once

#include <memory>

#include "backend/finish_op.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

// TEMPIO_INLINE (read once) says what runs on the calling thread when the
// file system never waits on a device:
// - "on": the inline driver's operations (creations, closes, rmdir) and
//   bounded writes;
// - "writes": bounded writes only (a write or flush of at most
//   file_core::at_once_write_max bytes with the buffer: a memory copy
//   shorter than one hand-off; file_core::writes_at_once);
// - unset, "never" or anything else: nothing. Both are off by default: they
//   move the work onto the loop thread, which one stream gains from and many
//   concurrent ones lose (docs/performance.md, "Bounded writes at once").
enum class inline_level : unsigned char { never, writes, on };
inline_level inline_dispatch_level() noexcept;
bool inline_dispatch_enabled() noexcept;  // level on
bool inline_writes_enabled() noexcept;    // level writes or on
#if TEMPIO_TEST_SEAM
void set_inline_dispatch_for_testing(inline_level level) noexcept;
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
