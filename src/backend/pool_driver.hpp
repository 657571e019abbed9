// The pool driver: an operation (src/async/ops) as one job on the worker
// pool: its steps as blocking calls (core/steps/syscall.hpp), then its
// finish. Cancellation before the job starts: nothing runs; during it, the
// operation is told (a creation undoes what it made).
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>

#include "async/blocking_op.hpp"
#include "backend/finish_op.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

template <class Op>
void run_on_pool(std::unique_ptr<Op> op, handler_of<typename Op::value_type> h) {
    using T = typename Op::value_type;
    auto work = [op = std::move(op)](error_code& ec, const std::atomic<bool>& cancelled) -> T {
        if (cancelled.load()) op->cancel();
        for (syscall c = op->next(); c; c = op->next()) {
            op->on_result(perform(c));
            if (cancelled.load()) op->cancel();
        }
        return finish_or_undo(*op, ec);
    };
    constexpr auto c = Op::cancellable ? cancellable::yes : cancellable::no;
    // Brief (job::brief) unless its finish may do open-ended work.
    constexpr auto length = Op::brief ? job_length::brief : job_length::open_ended;
    if constexpr (Op::undo_undelivered)
        run_blocking<T>(
            std::move(h), std::move(work), c, [](T& made) { Op::undo(made); }, length);
    else
        run_blocking<T>(std::move(h), std::move(work), c, no_undo{}, length);
}

}  // namespace tempio::detail
