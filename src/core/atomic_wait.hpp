// std::atomic wait and notify, as the core uses them (write-behind). On
// Windows through WaitOnAddress: MinGW-w64's libstdc++ 12 has no platform
// wait there, and its fallback (a pool of mutexes and condition variables)
// loses wake-ups: measured under Wine 8.0, a std::latch of two threads left
// one waiting forever in its first rounds.
#pragma once

#include <atomic>
#include <cstddef>

namespace tempio::detail {

#if TEMPIO_PLATFORM_WINDOWS
namespace os {
// Sleeps while the `size` bytes at `address` equal those at `old` (may
// return early: the callers loop). platform/windows/process.cpp.
void wait_on_address(const volatile void* address, const void* old, std::size_t size) noexcept;
void wake_all_on_address(const volatile void* address) noexcept;
}  // namespace os

template <class T>
void atomic_wait(const std::atomic<T>& a, T old, std::memory_order order) noexcept {
    static_assert(sizeof(std::atomic<T>) == sizeof(T) && std::atomic<T>::is_always_lock_free);
    while (a.load(order) == old) os::wait_on_address(&a, &old, sizeof(T));
}
template <class T>
void atomic_notify_all(std::atomic<T>& a) noexcept {
    os::wake_all_on_address(&a);
}
#else
template <class T>
void atomic_wait(const std::atomic<T>& a, T old, std::memory_order order) noexcept {
    a.wait(old, order);
}
template <class T>
void atomic_notify_all(std::atomic<T>& a) noexcept {
    a.notify_all();
}
#endif

}  // namespace tempio::detail
