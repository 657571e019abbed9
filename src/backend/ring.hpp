// The io_uring backend: one ring per io_context, set up on first use. The
// loop learns about completions through an eventfd registered with the ring,
// which it waits on (an Asio descriptor) only while requests are pending, and
// runs each completion on its own thread. liburing stays inside ring.cpp.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <span>

#include <boost/asio/io_context.hpp>

#include "tempio/config.hpp"

namespace tempio::detail {

// One system call for the ring to make. Strings and buffers must live until
// the request completes.
struct ring_request {
    enum class call { openat, mkdirat, unlinkat, close, writev, read };
    call what = call::openat;
    int fd = -100;  // AT_FDCWD for the *at calls
    const char* path = nullptr;
    int flags = 0;
    unsigned mode = 0;
    const iovec* iov = nullptr;  // writev at the file position
    unsigned iovcnt = 0;
    void* buf = nullptr;  // read at the file position
    unsigned len = 0;
};

// An operation in flight on a ring. It receives one call per request it
// submitted, on a thread running the io_context, and owns itself.
class ring_op {
  public:
    // `index`: the request's position in its submit() call; `res`: the
    // system call's result, -errno on failure.
    virtual void complete(unsigned index, int res) noexcept = 0;
    // The io_context is being destroyed: undo whatever the request made
    // (close an fd it opened, remove a name it created), deliver nothing.
    virtual void abandon(unsigned index, int res) noexcept = 0;

  protected:
    ~ring_op() = default;
};

class ring;

// The ring of `ctx`, or null: the backend is threads, `ctx` is null, this is
// a forked child of the ring's process, or the ring could not be set up.
// Null means: use the pool.
ring* ring_for(net::io_context* ctx);

// Submits requests together (they may complete in any order); the i-th is
// completed with index first_index + i (at most 7). A request the
// system-call seam fails completes with -errno without reaching the kernel.
// Completions never run inside this call.
void submit(ring& r, ring_op& op, std::span<const ring_request> requests, unsigned first_index = 0);

// Whether io_uring can be used in this process: built with liburing, not
// disabled by sysctl, io_uring_setup succeeds, and the kernel supports every
// call above.
bool ring_usable() noexcept;

// Whether this build has liburing (TEMPIO_WITH_IO_URING and liburing-dev).
bool ring_built() noexcept;

}  // namespace tempio::detail
