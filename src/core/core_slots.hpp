// The slots operations find file cores through (detail::core_slot, in
// tempio/detail/file_engine.hpp): one per living core, reused after it,
// never freed, so that an operation made on a file that is gone still
// reads a slot, and finds another generation there.
#pragma once

#include <cstddef>

#include "tempio/detail/file_engine.hpp"

namespace tempio::detail {

// A slot holding `core`. Throws std::bad_alloc.
core_slot* take_core_slot(file_core* core);
// Empties the slot (a new generation: every reference to the core made
// before sees it gone) and lets the next core have it.
void return_core_slot(core_slot* slot) noexcept;

#if TEMPIO_TEST_SEAM
// The next take_core_slot throws std::bad_alloc (a core that cannot be made).
void fail_next_core_slot() noexcept;
// How many slots were ever allocated (not reused).
std::size_t core_slots_made() noexcept;
#endif

}  // namespace tempio::detail
