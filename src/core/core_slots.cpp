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

// A few free slots of this thread's own: a file made and destroyed on one
// thread (the common case) takes no mutex. No lock, so a fork cannot leave
// it half-changed. Plain data (no destructor), so a core destroyed after
// this thread's thread_local objects (a static file object at exit) still
// finds it; `closed` then sends it to the shared list. At thread exit its
// slots go back to the shared list (thread_flusher).
struct thread_slots {
    static constexpr unsigned max = 8;
    core_slot* head;
    unsigned count;
    bool closed;

    core_slot* pop() noexcept {
        core_slot* slot = head;
        if (slot != nullptr) {
            head = slot->next_free;
            --count;
        }
        return slot;
    }
    bool push(core_slot* slot) noexcept {
        if (closed || count == max) return false;
        slot->next_free = head;
        head = slot;
        ++count;
        return true;
    }
};
thread_local thread_slots t_slots{};

void give_to_shared(core_slot* slot) noexcept {
    free_slots& s = slots();
    std::lock_guard lock(s.mutex);
    slot->next_free = s.head;
    s.head = slot;
}

struct thread_flusher {
    ~thread_flusher() {
        t_slots.closed = true;
        while (core_slot* slot = t_slots.pop()) give_to_shared(slot);
    }
};
thread_local thread_flusher t_flusher;

#if TEMPIO_TEST_SEAM
std::atomic<bool> g_fail_next{false};
std::atomic<std::size_t> g_made{0};
#endif

}  // namespace

#if TEMPIO_TEST_SEAM
void fail_next_core_slot() noexcept {
    g_fail_next.store(true);
}
std::size_t core_slots_made() noexcept {
    return g_made.load();
}
#endif

core_slot* take_core_slot(file_core* core) {
#if TEMPIO_TEST_SEAM
    if (g_fail_next.exchange(false)) throw std::bad_alloc();
#endif
    core_slot* slot = t_slots.pop();
    if (slot == nullptr) {
        free_slots& s = slots();
        std::lock_guard lock(s.mutex);
        if ((slot = s.head) != nullptr) s.head = slot->next_free;
    }
    if (slot == nullptr) {
        slot = new core_slot;
#if TEMPIO_TEST_SEAM
        ++g_made;
#endif
    }
    slot->next_free = nullptr;
    slot->core.store(core, std::memory_order_relaxed);
    return slot;
}

void return_core_slot(core_slot* slot) noexcept {
    slot->core.store(nullptr, std::memory_order_relaxed);
    slot->generation.fetch_add(1, std::memory_order_release);
#if TEMPIO_PLATFORM_WINDOWS
    // No per-thread slots on Windows: MinGW-w64's emulated TLS frees a
    // thread's thread_local storage before (or while) their destructors run
    // at its exit, so the flusher found an empty list (every exiting thread
    // stranded its slots) and a destructor there runs on freed memory. The
    // shared list only: one uncontended mutex per file.
    give_to_shared(slot);
#else
    (void)&t_flusher;  // its destructor, at this thread's exit, returns what push kept
    if (!t_slots.push(slot)) give_to_shared(slot);
#endif
}

}  // namespace tempio::detail
