// tempio/path_view.hpp: a trivially destructible view of a path.
//
// Options structs hold views, not owning strings, because g++ 12 destroys an
// aggregate temporary with a non-trivial destructor twice when it is written
// inside a co_await expression (see docs/design-decisions.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

namespace tempio {

class path_view {
  public:
    constexpr path_view() noexcept = default;
    constexpr path_view(const char* s) noexcept
        : str_(s ? std::string_view(s) : std::string_view()) {}
    constexpr path_view(std::string_view s) noexcept : str_(s) {}
    path_view(const std::string& s) noexcept : str_(s) {}
    path_view(const std::filesystem::path& p) noexcept : str_(p.native()) {}

    constexpr std::string_view native() const noexcept { return str_; }
    constexpr bool empty() const noexcept { return str_.empty(); }
    std::filesystem::path to_path() const { return std::filesystem::path(str_); }

  private:
    std::string_view str_;
};

static_assert(std::is_trivially_destructible_v<path_view>);

}  // namespace tempio
