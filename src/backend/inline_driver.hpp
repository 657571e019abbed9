// The inline driver: an operation whose calls never wait on a device (its
// file or directory is on a memory file system: DESIGN section 9) makes
// them on the calling thread, as blocking calls that take a few
// microseconds, less than one thread hand-off. Its completion is still
// posted, never inside the initiating call, except a coroutine's own
// handler, which is resumed there (complete_at_once: Asio starts the
// operation only after the coroutine suspended).
//
// By default only an operation that is alone does so: no other operation
// of this process in flight (in_flight_mark). One file at a time then costs
// system calls, not two wake-ups; many at once go to the workers as before,
// so the loop thread never runs a burst of them between two looks at its
// timers (all of them inline made the loop-lag p99 on tmpfs 2.4 ms against
// 0.5: docs/performance.md, "Inline when alone").
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

#include "backend/finish_op.hpp"
#include "backend/in_flight.hpp"
#include "backend/inline_level.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

// Whether the operation holding `mark` may make its calls here (its own
// inline_ok() is the other half).
inline bool may_run_inline(const in_flight_mark& mark) noexcept {
    switch (inline_dispatch_level()) {
        case inline_level::never:
            return false;
        case inline_level::on:
            return true;
        default:
            return mark.alone();
    }
}

template <class Op>
void run_inline(std::unique_ptr<tracked_op<Op>> op,
                handler_of<typename Op::value_type> h) noexcept {
    try {
        run_steps(*op);
    } catch (...) {  // out of memory drawing a name: nothing was made
        op->cancel();
        error_code ec = error_of_current_exception();
        op.reset();
        return complete_with_error<typename Op::value_type>(std::move(h), ec);
    }
    finish_op(std::move(op), std::move(h), finished_in::initiation);
}

// Blocking work (as run_blocking takes it) whose calls never wait on a
// device (`memory_fs`): made here when alone, as start_op does with an
// operation; else on the pool. Never cancelled here: it is done before the
// call returns; its completion is posted, or resumes a coroutine at once.
template <class T, class Work, class Undo = no_undo>
void run_blocking_or_inline(bool memory_fs, handler_of<T> h, Work work,
                            cancellable c = cancellable::yes, Undo undo = {}) {
    in_flight_mark mark;
    if (!memory_fs || !may_run_inline(mark))
        return run_blocking<T>(std::move(h), std::move(work), c, std::move(undo));
    const std::atomic<bool> never_cancelled{false};
    error_code ec;
    // The work (and the file it holds) is destroyed before the completion,
    // which may resume a coroutine here: destroyed means gone.
    auto run = [&](Work w) {
        try {
            return w(ec, never_cancelled);
        } catch (...) {
            ec = error_of_current_exception();
            if constexpr (!std::is_void_v<T>) return value_on_error<T>();
        }
    };
    if constexpr (std::is_void_v<T>) {
        run(std::move(work));
        complete_at_once(std::move(mark), std::move(h), ec);
    } else {
        value_or_monostate<T> v = run(std::move(work));
        if (ec) return complete_at_once(std::move(mark), std::move(h), ec, value_on_error<T>());
        if (resumed_here(h, mark, ec, std::move(v))) return;  // delivered: no undo
        complete_soon_or_undo(std::move(h), std::move(v), std::move(undo), std::move(mark));
    }
}

}  // namespace tempio::detail
