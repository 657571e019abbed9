// What every driver does once an operation's steps are done: its finish (on
// the pool when it needs blocking calls, e.g. a refused O_TMPFILE's
// fallback), then its completion, posted (never inside the call that
// started it), except that a coroutine's own handler finished inside its
// initiation (the inline driver) is resumed there (resumed_here). A result
// that is never delivered is undone. The operation is a tracked_op
// (backend/in_flight.hpp): start_op makes every one.
#pragma once

#include <memory>
#include <type_traits>

#include "async/blocking_op.hpp"

namespace tempio::detail {

// The operation's finish; when it throws (out of memory making what the
// caller receives), what its steps made is undone (abandon: a made file or
// directory is closed and removed) and the error returned instead: nothing
// is left behind that nobody owns.
template <class Op>
typename Op::value_type finish_or_undo(Op& op, error_code& ec) noexcept {
    using T = typename Op::value_type;
    try {
        return op.finish(ec);
    } catch (...) {
        ec = error_of_current_exception();
        op.abandon();
        if constexpr (!std::is_void_v<T>) return value_on_error<T>();
    }
}

// Where a driver finishes an operation: inside the initiating call (the
// inline driver), or anywhere else (a worker, the loop thread's ring).
enum class finished_in { initiation, elsewhere };

template <class Op>
void finish_op(std::unique_ptr<Op> op, handler_of<typename Op::value_type> h,
               finished_in where = finished_in::elsewhere) noexcept {
    using T = typename Op::value_type;
    if (op->finish_blocks()) {  // the operation, and its mark, go with the job
        run_blocking<T>(
            std::move(h),
            [op = std::move(op)](error_code& ec, const auto&) { return finish_or_undo(*op, ec); },
            cancellable::no);
        return;
    }
    // In flight until just before its completion runs, not only while its
    // calls are made: an operation the same turn of the loop starts next
    // (another task's) is not alone (backend/in_flight.hpp).
    in_flight_mark mark = std::move(op->in_flight);
    error_code ec;
    const bool here = where == finished_in::initiation;
    if constexpr (std::is_void_v<T>) {
        finish_or_undo(*op, ec);
        op.reset();  // before the completion can run (destroyed means gone)
        if (here && resumed_here(h, mark, ec)) return;
        complete_soon(std::move(mark), std::move(h), ec);
    } else {
        T v = finish_or_undo(*op, ec);
        op.reset();
        if (here && resumed_here(h, mark, ec, std::move(v))) return;  // delivered: no undo
        if constexpr (Op::undo_undelivered) {
            if (!ec)
                return complete_soon_or_undo(
                    std::move(h), std::move(v), [](T& made) { Op::undo(made); }, std::move(mark));
        }
        complete_soon(std::move(mark), std::move(h), ec, std::move(v));
    }
}

// Completes `h` with `ec` and no value (an operation that could not go on).
template <class T>
void complete_with_error(handler_of<T> h, error_code ec) noexcept {
    if constexpr (std::is_void_v<T>)
        complete_soon(std::move(h), ec);
    else
        complete_soon(std::move(h), ec, T{});
}

}  // namespace tempio::detail
