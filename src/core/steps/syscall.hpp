// The system calls an operation's steps ask for, as data. An operation
// written as steps (sans-I/O: it names the next call and takes its result)
// runs unchanged on either driver: run_steps below makes the calls blocking,
// on the calling thread (the core, the worker pool); other drivers
// (src/backend/) make them their own way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {

struct syscall {
    enum class kind : unsigned char {
        none,
        openat,
        mkdirat,
        unlinkat,
        stat_name,  // the identity of a name, not following a final link (platform.hpp)
        close,
        writev,
        read,
        seek
    };
    kind what = kind::none;
    int fd = AT_FDCWD;  // the fd, or the *at calls' directory
    const char* path = nullptr;
    int flags = 0;
    unsigned mode = 0;                  // openat, mkdirat
    platform::name_stat* st = nullptr;  // stat_name's result
    const iovec* iov = nullptr;         // writev at the file position
    unsigned iovcnt = 0;
    void* buf = nullptr;  // read at the file position
    unsigned len = 0;
    // seek: lseek(fd, offset, SEEK_SET), result 0 or -errno. Never waits on
    // a device, and io_uring has no such request: every driver makes it at
    // once, on its own thread.
    std::int64_t offset = 0;

    explicit operator bool() const noexcept { return what != kind::none; }
};

// Makes `c` now, through the system-call seam: its result, -errno on failure.
int perform(const syscall& c) noexcept;

#if TEMPIO_TEST_SEAM
// A read or writev `c` made short, as the seam's armed fault asks
// (sys::driver_call_fault): for a driver that makes its calls itself.
int perform_partial(const syscall& c) noexcept;
// Whether the seam can make `c` short.
inline bool reads_or_writes(const syscall& c) noexcept {
    return c.what == syscall::kind::writev || c.what == syscall::kind::read;
}
#endif

// The blocking driver: makes each call the steps ask for until they are done.
template <class Steps>
void run_steps(Steps& steps) {
    for (syscall c = steps.next(); c; c = steps.next()) steps.on_result(perform(c));
}

}  // namespace tempio::detail
