// What TEMPIO_INLINE allows to run on the calling thread
// (backend/inline_driver.hpp; DESIGN section 9).
#pragma once

namespace tempio::detail {

// TEMPIO_INLINE (read once) says what runs on the calling thread when the
// file system never waits on a device:
// - "never" (or "off"): nothing;
// - unset, "auto" or anything else (a typo must not stop the program):
//   creations, closes and an empty directory's removal, when alone;
// - "writes": that, and bounded writes (a write or flush of at most
//   file_core::at_once_write_max bytes with the buffer: a memory copy
//   shorter than one hand-off; file_core::writes_at_once);
// - "on": creations, closes and removals always, and bounded writes. Both
//   "writes" and "on" help one stream and cost many concurrent ones
//   (docs/performance.md, "Bounded writes at once", "Inline on tmpfs").
enum class inline_level : unsigned char { never, alone, writes, on };
inline_level inline_dispatch_level() noexcept;           // inline_level_of(TEMPIO_INLINE)
inline_level inline_level_of(const char* env) noexcept;  // null: unset
bool inline_ops_enabled() noexcept;                      // level alone or more
bool inline_writes_enabled() noexcept;                   // level writes or on
#if TEMPIO_TEST_SEAM
void set_inline_dispatch_for_testing(inline_level level) noexcept;
#endif

}  // namespace tempio::detail
