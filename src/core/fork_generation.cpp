#include "core/fork_generation.hpp"

#if !TEMPIO_PLATFORM_WINDOWS
#include <pthread.h>
#include <unistd.h>
#endif

#include <atomic>

#include "platform/platform.hpp"

namespace tempio::detail {
#if TEMPIO_PLATFORM_WINDOWS
// No fork on Windows: one generation for the life of the process.
unsigned fork_generation() noexcept {
    return 1;
}
#else
namespace {

std::atomic<unsigned> g_generation{1};

void on_fork_child() noexcept {
    g_generation.fetch_add(1, std::memory_order_relaxed);
}

// pthread_atfork handlers do not run for syscall(SYS_fork) or clone(): a
// flag the kernel clears in every child (the platform's, Linux 4.14's
// MADV_WIPEONFORK) sees those too, for one load per call. It is 1 in the
// process that set it, 0 in a child until the child's first look re-arms
// it. Without it (other platforms, older kernels), getpid() is compared
// instead: a system call per call.
class fork_marker {
  public:
    fork_marker() noexcept : flag_(platform::flag_cleared_on_fork()), pid_(::getpid()) {}

    // In a child not yet re-armed. Threads racing here may both see it:
    // the generation then moves twice, which is harmless.
    bool forked() const noexcept {
        if (flag_ != nullptr) return flag_->load(std::memory_order_acquire) == 0;
        return ::getpid() != pid_.load(std::memory_order_acquire);
    }
    // After the generation moved: whoever sees the mark sees the new generation.
    void rearm() noexcept {
        if (flag_ != nullptr)
            flag_->store(1, std::memory_order_release);
        else
            pid_.store(::getpid(), std::memory_order_release);
    }

  private:
    std::atomic<unsigned>* flag_ = nullptr;
    std::atomic<int> pid_;
};

}  // namespace

unsigned fork_generation() noexcept {
    static const int registered = ::pthread_atfork(nullptr, nullptr, on_fork_child);
    (void)registered;
    static fork_marker marker;  // made once, outside the test seam (cannot matter)
    if (marker.forked()) {
        g_generation.fetch_add(1, std::memory_order_acq_rel);
        marker.rearm();
    }
    return g_generation.load(std::memory_order_acquire);
}

#endif

}  // namespace tempio::detail
