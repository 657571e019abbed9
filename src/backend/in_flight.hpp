// How many operations of this process are in flight: what lets one that is
// alone run inline (backend/inline_driver.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace tempio::detail {

// Operations of this process in flight: operations (start_op) and blocking
// jobs (run_blocking) started and not yet done, that is, until just before
// their completion runs. An operation on the pool counts twice (its own
// mark and its job's): only "one or more than one" matters. Approximate
// (relaxed; a forked child keeps its parent's count and only runs less
// inline): it decides which thread makes some calls, never what they do.
inline std::atomic<std::size_t> g_ops_in_flight{0};

// One operation's share of g_ops_in_flight, held while it is in flight.
class in_flight_mark {
  public:
    in_flight_mark() noexcept { g_ops_in_flight.fetch_add(1, std::memory_order_relaxed); }
    in_flight_mark(in_flight_mark&& o) noexcept : held_(std::exchange(o.held_, false)) {}
    // A mark that holds no share (for completions of what was never counted).
    static in_flight_mark none() noexcept { return in_flight_mark(false); }
    in_flight_mark& operator=(in_flight_mark&&) = delete;
    ~in_flight_mark() { release(); }
    void release() noexcept {
        if (std::exchange(held_, false)) g_ops_in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
    // No other operation is in flight.
    bool alone() const noexcept {
        return held_ && g_ops_in_flight.load(std::memory_order_relaxed) == 1;
    }

  private:
    explicit in_flight_mark(bool held) noexcept : held_(held) {}
    bool held_ = true;
};

// An operation (src/async/ops) as start_op makes it: in flight from then
// on. Every driver destroys its operation before the completion can run
// (destroyed means gone); finish_op takes the mark out first and posts it
// with the completion.
template <class Op>
struct tracked_op : Op {
    using Op::Op;
    in_flight_mark in_flight;
};

}  // namespace tempio::detail
