// How many operations of this process are in flight: what lets one that is
// alone run inline (backend/inline_driver.hpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace tempio::detail {

// Operations of this process in flight: operations (start_op) and blocking
// jobs (run_blocking) started and not yet done, or done inline with their
// completion not yet run. An operation on the pool counts twice (its own
// mark and its job's): only "one or more than one" matters. Approximate
// (relaxed; a forked child keeps its parent's count and only runs less
// inline): it decides which thread makes some calls, never what they do.
inline std::atomic<std::size_t> g_ops_in_flight{0};

// One operation's share of g_ops_in_flight, held while it is in flight.
class in_flight_mark {
  public:
    in_flight_mark() noexcept { g_ops_in_flight.fetch_add(1, std::memory_order_relaxed); }
    in_flight_mark(in_flight_mark&& o) noexcept : held_(std::exchange(o.held_, false)) {}
    in_flight_mark& operator=(in_flight_mark&&) = delete;
    ~in_flight_mark() {
        if (held_) g_ops_in_flight.fetch_sub(1, std::memory_order_relaxed);
    }
    // No other operation is in flight.
    bool alone() const noexcept {
        return held_ && g_ops_in_flight.load(std::memory_order_relaxed) == 1;
    }

  private:
    bool held_ = true;
};

}  // namespace tempio::detail
