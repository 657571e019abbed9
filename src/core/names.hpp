// Random name characters for temporary files, as CPython's _RandomNameSequence.
#pragma once

#include <string>
#include <string_view>

namespace tempio::detail {

inline constexpr std::string_view name_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_";
inline constexpr std::size_t name_length = 8;
inline constexpr unsigned long tmp_max = 238328;  // glibc's TMP_MAX

// Appends 8 random characters of name_alphabet to `out`. Per-thread state,
// seeded from getrandom(); reseeded in a forked child so parent and child
// never walk the same sequence.
void append_random_name(std::string& out);

#if TEMPIO_TEST_SEAM
// Test hook (test builds only): when set, replaces the generator (e.g. to
// force collisions).
using name_source = void (*)(std::string& out);
void set_name_source_for_testing(name_source source) noexcept;
#endif

}  // namespace tempio::detail
