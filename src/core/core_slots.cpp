#include "core/core_slots.hpp"

#include <atomic>
#include <mutex>
#include <new>

#include "core/fork_generation.hpp"

namespace tempio::detail {
namespace {

// The free slots: a list under a mutex (taken when a core is made or
// destroyed, beside a system call). A forked child starts a new list: a
// thread of the parent may have held the mutex at the fork; the parent's
// free slots are left, and the child's cores return theirs to its own list.
struct free_slots {
    std::mutex mutex;
    core_slot* head = nullptr;
    unsigned generation = fork_generation();
};

free_slots& slots() {
    // Never destroyed: cores may outlive static destruction.
    static std::atomic<free_slots*> live{new free_slots};
    free_slots* s = live.load(std::memory_order_acquire);
    if (s->generation == fork_generation()) return *s;
    // Only the forking thread exists in the child when it first gets here;
    // two threads it started since may race, and one list is then left.
    auto* fresh = new free_slots;
    live.store(fresh, std::memory_order_release);
    return *fresh;
}

#if TEMPIO_TEST_SEAM
std::atomic<bool> g_fail_next{false};
#endif

}  // namespace

#if TEMPIO_TEST_SEAM
void fail_next_core_slot() noexcept {
    g_fail_next.store(true);
}
#endif

core_slot* take_core_slot(file_core* core) {
#if TEMPIO_TEST_SEAM
    if (g_fail_next.exchange(false)) throw std::bad_alloc();
#endif
    free_slots& s = slots();
    core_slot* slot = nullptr;
    {
        std::lock_guard lock(s.mutex);
        if ((slot = s.head) != nullptr) s.head = slot->next_free;
    }
    if (slot == nullptr) slot = new core_slot;
    slot->next_free = nullptr;
    slot->core.store(core, std::memory_order_relaxed);
    return slot;
}

void return_core_slot(core_slot* slot) noexcept {
    slot->core.store(nullptr, std::memory_order_relaxed);
    slot->generation.fetch_add(1, std::memory_order_release);
    free_slots& s = slots();
    std::lock_guard lock(s.mutex);
    slot->next_free = s.head;
    s.head = slot;
}

}  // namespace tempio::detail
