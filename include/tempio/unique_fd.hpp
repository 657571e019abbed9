/// @file
/// @brief tempio/unique_fd.hpp: a move-only owner of one POSIX file descriptor.
#pragma once

#include <utility>

namespace tempio {

/// @brief What `native_handle()` returns, as Asio's file types do: the file
/// descriptor on POSIX; on Windows the file's `HANDLE` (a `void*`; the
/// object's C runtime descriptor holds it: `descriptor()`).
#ifdef _WIN32
using native_handle_type = void*;
#else
using native_handle_type = int;
#endif

namespace detail {
// The handle a descriptor holds: itself on POSIX; on Windows the C runtime's
// `_get_osfhandle` (INVALID_HANDLE_VALUE, i.e. -1, for -1).
#ifdef _WIN32
native_handle_type handle_of_descriptor(int fd) noexcept;
#else
inline native_handle_type handle_of_descriptor(int fd) noexcept {
    return fd;
}
#endif
}  // namespace detail

/// @brief A move-only owner of one POSIX file descriptor (mkstemp's result):
/// closes it on destruction.
///
/// Closing is a blocking system call on the destroying thread (fast for a
/// regular file). -1 means "no descriptor".
class unique_fd {
  public:
    /// @brief Owns nothing.
    unique_fd() noexcept = default;
    /// @brief Takes ownership of `fd`.
    /// @param fd An open descriptor, or -1.
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    /// @brief Takes `other`'s descriptor; `other` owns nothing afterwards.
    /// @param other The owner to move from.
    unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
    /// @brief Closes the held descriptor, then takes `other`'s.
    /// @param other The owner to move from; owns nothing afterwards.
    /// @return `*this`.
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    unique_fd(const unique_fd&) = delete;             ///< Not copyable.
    unique_fd& operator=(const unique_fd&) = delete;  ///< Not copyable.
    /// @brief Closes the held descriptor, if any.
    ~unique_fd() { reset(); }

    /// @brief The held descriptor, still owned.
    /// @return The descriptor, or -1.
    int get() const noexcept { return fd_; }
    /// @brief The held file's native handle, still owned: the descriptor on
    /// POSIX, its `HANDLE` on Windows (INVALID_HANDLE_VALUE when none).
    /// @return The handle.
    native_handle_type native_handle() const noexcept { return detail::handle_of_descriptor(fd_); }
    /// @brief Whether a descriptor is held.
    /// @return True when get() is not negative.
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// @brief Gives up ownership without closing.
    /// @return The descriptor, now the caller's, or -1.
    int release() noexcept { return std::exchange(fd_, -1); }
    /// @brief Closes the held descriptor (errors are ignored: the fd is gone
    /// either way), then owns `fd`.
    /// @param fd The descriptor to own from now on, or -1 for none.
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

}  // namespace tempio
