// The names tempio would leave behind if the process died now, kept where a
// signal handler can read them (tempio/signal_cleanup.hpp, DESIGN section
// 12): named files, temporary directories, the hidden names of publishes in
// progress. Off until enable_signal_cleanup(); while off, registering is
// one relaxed load and nothing is kept.
//
// The registry: chunks of slots, each with a PATH_MAX buffer, linked into a
// list that only grows (a chunk is made with the ordinary allocator, on the
// registering thread, never in a handler, and never freed). A slot is
// claimed, filled and released with atomics only: no lock, no system call
// per registration (the owner's pid is cached per fork generation).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace tempio::detail::signal_cleanup {

enum class name_kind : unsigned char { file, directory };

struct chunk;

// A registered name: which slot, and which use of it (a slot is reused).
struct token {
    chunk* where = nullptr;
    std::uint32_t index = 0;
    std::uint32_t use = 0;
    explicit operator bool() const noexcept { return where != nullptr; }
};

extern std::atomic<bool> g_enabled;

inline bool enabled() noexcept {
    return g_enabled.load(std::memory_order_relaxed);
}

// Registers an absolute `path` (the process's own, this pid); an empty token
// while cleanup is off, or for a path of PATH_MAX bytes or more (not
// registered: left behind by a signal, as without cleanup).
token register_slow(std::string_view path, name_kind kind) noexcept;
inline token register_name(std::string_view path, name_kind kind) noexcept {
    if (!enabled()) return {};
    return register_slow(path, kind);
}
// The name is not ours to remove any more (removed, kept or published).
// Nothing for an empty token; once only.
void unregister(token t) noexcept;

// Owns a registration: unregisters when reset or destroyed.
class registered_name {
  public:
    registered_name() = default;
    registered_name(const registered_name&) = delete;
    registered_name& operator=(const registered_name&) = delete;
    ~registered_name() { reset(); }

    void watch(std::string_view path, name_kind kind) noexcept {
        reset();
        token_ = register_name(path, kind);
    }
    void reset() noexcept {
        if (token_) {
            unregister(token_);
            token_ = {};
        }
    }
    bool watched() const noexcept { return static_cast<bool>(token_); }

  private:
    token token_;
};

// Installs the handlers and the atexit hook once; thread-safe.
void enable();
// Removes every registered name of this process, now. Async-signal-safe.
void remove_all() noexcept;

#if TEMPIO_TEST_SEAM
// Registered names of this process (a test's count; walks the list).
std::size_t registered_count() noexcept;
#endif

}  // namespace tempio::detail::signal_cleanup
