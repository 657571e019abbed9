// A spooled file's content before its rollover: the bytes and a position,
// with a file's limits (no position or size past off_t's), and every
// allocation guarded: ENOMEM, and the image as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

using boost::system::error_code;

// off_t's limit: no position or size passes it, in memory or on disk.
inline constexpr std::uint64_t max_offset = INT64_MAX;

class memory_image {
  public:
    std::uint64_t size() const noexcept { return bytes_.size(); }
    std::uint64_t position() const noexcept { return pos_; }
    // A seek: may pass the end (a later write zero-fills the gap).
    void set_position(std::uint64_t pos) noexcept { pos_ = pos; }
    // Where a write goes: the end in append mode, else the position.
    std::uint64_t write_position(bool append) const noexcept { return append ? size() : pos_; }

    // All n bytes at write_position(append), the position after them. EFBIG
    // past off_t's limit; ENOMEM when the image cannot grow.
    std::size_t write(const char* data, std::size_t n, bool append, error_code& ec);
    // Cut, or zero-extend, to `size` (ENOMEM when it cannot grow).
    bool resize(std::uint64_t size, error_code& ec);
    // Up to `max` bytes from the position; the position moves past them
    // (ENOMEM: nothing taken).
    std::string read(std::size_t max, error_code& ec);
    std::size_t read_into(char* out, std::size_t n) noexcept;
    // Through the next '\n' inclusive, or to the end (ENOMEM: nothing taken).
    std::string readline(error_code& ec);
    // The whole image written to `fd` (from its offset 0), whose offset is
    // then the position: a rollover, or publishing a file still in memory.
    // On failure the image is unchanged.
    bool copy_to(int fd, error_code& ec) const;
    // Frees the memory (rolled over, or closed).
    void release() noexcept;

  private:
    bool grow(std::uint64_t size, error_code& ec);

    std::string bytes_;
    std::uint64_t pos_ = 0;
};

}  // namespace tempio::detail
