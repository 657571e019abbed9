// The registry of names to remove on a signal or at exit
// (core/signal_cleanup.hpp). Each slot's word holds its state in the low two
// bits and, above them, which use of the slot this is: a registration
// claims a free slot (compare-exchange, the use counted up), fills it, and
// marks it active with a release store; the cleanup reads an active slot,
// copies its path, and marks it removed with a compare-exchange from the
// very word it read, so that a slot unregistered and reused meanwhile (on
// another thread) is never acted on with a torn path. Paths are copied
// byte by byte through atomic_ref: no data race even then.
#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"

#include <limits.h>

#include <atomic>
#include <mutex>
#include <new>

#include "core/fork_generation.hpp"
#include "core/signal_registry.hpp"

namespace tempio::detail::signal_cleanup {

std::atomic<bool> g_enabled{false};
std::atomic<chunk*> g_head{nullptr};

namespace {

std::mutex g_grow;  // only to add a chunk: never taken in a handler

// The pid registrations record, read again only after a fork: getpid() is a
// system call in glibc, too dear per file.
std::atomic<unsigned> g_pid_generation{0};
std::atomic<pid_t> g_pid{0};

pid_t my_pid() noexcept {
    unsigned generation = fork_generation();
    if (g_pid_generation.load(std::memory_order_acquire) == generation)
        return g_pid.load(std::memory_order_relaxed);
    pid_t pid = ::getpid();
    g_pid.store(pid, std::memory_order_relaxed);
    g_pid_generation.store(generation, std::memory_order_release);
    return pid;
}

// A free slot of `c`, claimed (state filling); -1 when none.
int claim(chunk& c, std::uint32_t& use) noexcept {
    for (std::uint32_t i = 0; i < chunk::size; ++i) {
        std::uint32_t w = c.word[i].load(std::memory_order_relaxed);
        if (state_of(w) != slot_state::free) continue;
        std::uint32_t next_use = (use_of(w) + 1) & use_mask;
        if (c.word[i].compare_exchange_strong(w, make_word(next_use, slot_state::filling),
                                              std::memory_order_acquire,
                                              std::memory_order_relaxed)) {
            use = next_use;
            return static_cast<int>(i);
        }
    }
    return -1;
}

void fill(chunk& c, std::uint32_t i, std::uint32_t use, std::string_view path, name_kind kind,
          pid_t pid) noexcept {
    c.owner[i].store(pid, std::memory_order_relaxed);
    c.kind[i].store(static_cast<unsigned char>(kind), std::memory_order_relaxed);
    char* out = c.path[i];
    for (std::size_t k = 0; k < path.size(); ++k)
        std::atomic_ref<char>(out[k]).store(path[k], std::memory_order_relaxed);
    std::atomic_ref<char>(out[path.size()]).store('\0', std::memory_order_relaxed);
    c.word[i].store(make_word(use, slot_state::active), std::memory_order_release);
}

}  // namespace

token register_slow(std::string_view path, name_kind kind) noexcept {
    if (path.empty() || path.size() >= PATH_MAX || path.find('\0') != std::string_view::npos)
        return {};
    const pid_t pid = my_pid();
    for (;;) {
        chunk* head = g_head.load(std::memory_order_acquire);
        for (chunk* c = head; c != nullptr; c = c->next) {
            if (c->used.load(std::memory_order_relaxed) >= chunk::size) continue;
            std::uint32_t use = 0;
            int i = claim(*c, use);
            if (i < 0) continue;
            c->used.fetch_add(1, std::memory_order_relaxed);
            fill(*c, static_cast<std::uint32_t>(i), use, path, kind, pid);
            return {c, static_cast<std::uint32_t>(i), use};
        }
        // Every slot taken: one more chunk (by one thread; the others find it).
        try {
            std::lock_guard lock(g_grow);
            if (g_head.load(std::memory_order_acquire) != head) continue;
            // Not value-initialised: the path buffers stay untouched (their
            // pages are not made until used); the atomics start at zero.
            chunk* more = new (std::nothrow) chunk;
            if (more == nullptr) return {};  // not registered: as without cleanup
            more->next = head;
            g_head.store(more, std::memory_order_release);
        } catch (...) {  // the mutex could not be locked
            return {};
        }
    }
}

void unregister(token t) noexcept {
    if (!t) return;
    std::atomic<std::uint32_t>& word = t.where->word[t.index];
    std::uint32_t w = word.load(std::memory_order_relaxed);
    // Still this use, active or removed by a cleanup: free again. (Filling
    // cannot be seen here: the token exists only once it is active.)
    while (use_of(w) == t.use && state_of(w) != slot_state::free) {
        if (word.compare_exchange_weak(w, make_word(t.use, slot_state::free),
                                       std::memory_order_release, std::memory_order_relaxed)) {
            t.where->used.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
    }
}

#if TEMPIO_TEST_SEAM
std::size_t registered_count() noexcept {
    const pid_t pid = my_pid();
    std::size_t n = 0;
    for (chunk* c = g_head.load(std::memory_order_acquire); c != nullptr; c = c->next)
        for (std::uint32_t i = 0; i < chunk::size; ++i)
            if (state_of(c->word[i].load(std::memory_order_acquire)) == slot_state::active &&
                c->owner[i].load(std::memory_order_relaxed) == pid)
                ++n;
    return n;
}
#endif

}  // namespace tempio::detail::signal_cleanup
