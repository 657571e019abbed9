/// @file
/// @brief tempio/path_view.hpp: a trivially destructible view of a path.
///
/// Options structs hold views, not owning strings, because g++ 12 destroys an
/// aggregate temporary with a non-trivial destructor twice when it is written
/// inside a `co_await` expression (verified with g++ 12.2.0: "double free or
/// corruption"). With views, `co_await X::async_create({.dir = some_path})`
/// is correct as written. docs/coroutines.md.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <type_traits>

#include "tempio/detail/path_text.hpp"

namespace tempio {

/// @brief A trivially destructible, non-owning view of a path's native
/// string: the `dir` member of every options struct.
///
/// Implicitly constructible from `std::filesystem::path`, `std::string`,
/// `std::string_view` and `const char*`, so `{.dir = some_path}` and
/// `{.dir = "/var/tmp"}` both work. Like `std::string_view`, it does not own
/// the characters: what it views must stay alive while the view is used (for
/// an options struct, until the initiation has run; with `net::deferred`,
/// until the `co_await` completes). Trivially copyable and destructible, so
/// options holding it are safe in a `co_await` expression with g++ 12.
class path_view {
  public:
    /// @brief An empty view (for `dir`: gettempdir()).
    constexpr path_view() noexcept = default;
    /// @brief Views a NUL-terminated string; a null pointer is an empty view.
    /// @param s The string, or null.
    constexpr path_view(const char* s) noexcept
        : str_(s ? std::string_view(s) : std::string_view()) {}
    /// @brief Views the characters of `s` (which may hold a NUL: the
    /// operations that use the path then fail with `invalid_argument`).
    /// @param s The characters.
    constexpr path_view(std::string_view s) noexcept : str_(s) {}
    /// @brief Views the characters of `s`, which must outlive the view.
    /// @param s The string.
    path_view(const std::string& s) noexcept : str_(s) {}
    /// @brief Views `p.native()`; `p` must outlive the view.
    /// @param p The path.
#ifdef _WIN32
    path_view(const std::filesystem::path& p) noexcept : wide_(p.native()), is_wide_(true) {}
#else
    path_view(const std::filesystem::path& p) noexcept : str_(p.native()) {}
#endif

#ifndef _WIN32
    /// @brief The viewed characters (POSIX: a path is its bytes).
    /// @return A view of the native path string.
    constexpr std::string_view native() const noexcept {
        return str_;
    }
#endif
    /// @brief Whether the view is empty.
    /// @return True for an empty path.
    constexpr bool empty() const noexcept {
#ifdef _WIN32
        if (is_wide_) return wide_.empty();
#endif
        return str_.empty();
    }
    /// @brief The path as UTF-8 (on POSIX, its bytes as they are); what the
    /// library is given.
    /// @return An owning copy.
    std::string utf8() const {
#ifdef _WIN32
        if (is_wide_) return detail::utf8_of(std::filesystem::path(wide_));
#endif
        return std::string(str_);
    }
    /// @brief An owning copy.
    /// @return The path, as `std::filesystem::path`.
    std::filesystem::path to_path() const {
#ifdef _WIN32
        if (is_wide_) return std::filesystem::path(wide_);
#endif
        return detail::path_of_utf8(str_);
    }

  private:
    std::string_view str_;
#ifdef _WIN32
    // Windows: a std::filesystem::path is viewed as its UTF-16.
    std::wstring_view wide_;
    bool is_wide_ = false;
#endif
};

static_assert(std::is_trivially_destructible_v<path_view>);

}  // namespace tempio
