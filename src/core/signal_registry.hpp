// The registry's layout, shared by the registering side
// (core/signal_cleanup.cpp) and the removing side (core/signal_removal.cpp).
#pragma once

#include <limits.h>

#include <atomic>
#include <cstdint>

#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"

namespace tempio::detail::signal_cleanup {

enum class slot_state : std::uint32_t {
    free = 0,
    filling = 1,  // claimed, path being written: a cleanup skips it
    active = 2,
    removed = 3,  // removed by a cleanup; the owner's unregister frees it
};

inline constexpr std::uint32_t use_mask = 0x3fffffffu;

inline constexpr slot_state state_of(std::uint32_t word) noexcept {
    return static_cast<slot_state>(word & 3u);
}
inline constexpr std::uint32_t use_of(std::uint32_t word) noexcept {
    return word >> 2;
}
inline constexpr std::uint32_t make_word(std::uint32_t use, slot_state s) noexcept {
    return (use << 2) | static_cast<std::uint32_t>(s);
}

// 64 slots: 64 * PATH_MAX bytes of buffers, of which only the pages of
// slots in use are ever touched.
struct chunk {
    static constexpr std::uint32_t size = 64;
    std::atomic<std::uint32_t> word[size];
    std::atomic<pid_t> owner[size];
    std::atomic<unsigned char> kind[size];
    std::atomic<std::uint32_t> used{0};
    chunk* next = nullptr;  // set before the chunk is published, never changed
    char path[size][PATH_MAX];
};

// Newest first; only ever grows.
extern std::atomic<chunk*> g_head;

}  // namespace tempio::detail::signal_cleanup
