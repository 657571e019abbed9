// The io_uring backend: one ring per io_context, set up on first use. The
// loop learns about completions through an eventfd registered with the ring,
// which it waits on (an Asio descriptor) only while requests are pending, and
// runs each completion on its own thread. liburing stays inside ring.cpp.
#pragma once

#include <atomic>
#include <cstddef>

#include <boost/asio/io_context.hpp>

#include "core/steps/syscall.hpp"
#include "tempio/config.hpp"

namespace tempio::detail {

// An operation in flight on a ring (backend/ring_driver.hpp). It receives
// the result of each call it submitted, on a thread running the io_context,
// and owns itself.
class ring_op {
  public:
    // `res`: the system call's result, -errno on failure.
    virtual void complete(int res) noexcept = 0;
    // The io_context is being destroyed: undo whatever the call made (close
    // an fd it opened, remove a name it created), deliver nothing.
    virtual void abandon(int res) noexcept = 0;

  protected:
    ~ring_op() = default;
};

class ring;

#if TEMPIO_TEST_SEAM
// io_uring_setup is counted apart from the system-call seam, so that sweeps
// keep their sequences and tests can prove TEMPIO_BACKEND=threads never
// calls it; `fail_errno` makes every setup fail (0: none do).
struct setup_fault_state {
    std::atomic<unsigned long> calls{0};
    std::atomic<int> fail_errno{0};
};
setup_fault_state& uring_setup_faults() noexcept;
#endif

// The ring of `ctx`, or null: the backend is threads, `ctx` is null, this is
// a forked child of the ring's process, or the ring could not be set up.
// Null means: use the pool.
ring* ring_for(net::io_context* ctx);

// Submits the call `c` (core/steps/syscall.hpp) for `op`, which receives its
// result through complete(). Strings and buffers `c` points to
// must live until then. In a test build, a call the system-call seam fails
// completes with -errno without reaching the kernel. Completions never run
// inside this call.
void submit(ring& r, ring_op& op, const syscall& c);

// Whether io_uring can be used in this process: built with liburing, not
// disabled by sysctl, io_uring_setup succeeds, and the kernel supports every
// call above.
bool ring_usable() noexcept;

// Whether this build has liburing (TEMPIO_WITH_IO_URING and liburing-dev).
bool ring_built() noexcept;

}  // namespace tempio::detail
