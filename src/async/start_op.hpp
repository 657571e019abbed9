// Starting an operation (src/async/ops) on a driver: the calling thread,
// when its calls never wait on a device (a memory file system) and
// TEMPIO_INLINE allows it (by default: when no other operation is in
// flight; backend/inline_driver.hpp); else the ring of the io_context its
// completion runs on, when there is one and the operation's calls suit it;
// else the worker pool.
#pragma once

#include <memory>
#include <utility>

#include "backend/inline_driver.hpp"
#include "backend/pool_driver.hpp"
#include "backend/ring.hpp"
#include "backend/ring_driver.hpp"

namespace tempio::detail {

template <class Op, class... Args>
void start_op(handler_of<typename Op::value_type> h, Args&&... args) {
    auto op = std::make_unique<tracked_op<Op>>(std::forward<Args>(args)...);
    if (may_run_inline(op->in_flight) && op->inline_ok())
        return run_inline(std::move(op), std::move(h));
    if (ring* r = ring_for(h.io_context()); r && op->ring_ok())
        return ring_driver<tracked_op<Op>>::start(*r, std::move(op), std::move(h));
    run_on_pool(std::move(op), std::move(h));
}

}  // namespace tempio::detail
