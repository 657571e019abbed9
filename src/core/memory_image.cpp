#include "core/memory_image.hpp"
#include "core/os_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

error_code sys_error(int e) {
    return os_error(e);
}

// Images up to this size are simply allocated (bad_alloc caught); beyond
// it, first compared with the machine's RAM plus swap.
constexpr std::uint64_t small_image = std::uint64_t(1) << 30;

// An image larger than RAM plus swap is refused without trying: resize
// zero-fills every page, so under overcommit it would be killed rather than
// fail, and sanitizer allocators abort instead of throwing. One sysinfo per
// process, the first time an image grows past small_image.
std::uint64_t memory_ceiling() noexcept {
    static const std::uint64_t ceiling = [] {
        std::uint64_t bytes = 0;
        return platform::total_memory(bytes) ? bytes : UINT64_MAX;
    }();
    return ceiling;
}

}  // namespace

// Zero-fills up to `size`. A rolled-over file would make it a sparse file;
// memory has no holes.
bool memory_image::grow(std::uint64_t size, error_code& ec) {
    if (size > small_image && size > memory_ceiling()) {
        ec = sys_error(ENOMEM);
        return false;
    }
    try {
        bytes_.resize(static_cast<std::size_t>(size), '\0');  // strong guarantee
    } catch (const std::exception&) {                         // bad_alloc, length_error
        ec = sys_error(ENOMEM);
        return false;
    }
    return true;
}

std::size_t memory_image::write(const char* data, std::size_t n, bool append, error_code& ec) {
    if (n == 0) return 0;  // as write(2): an empty write extends nothing
    std::uint64_t pos = write_position(append);
    // Past off_t's limit, before anything changes: EFBIG, as write(2) at the
    // maximum offset (POSIX).
    if (n > max_offset - pos) {
        ec = sys_error(EFBIG);
        return 0;
    }
    std::uint64_t end = pos + n;
    if (end > bytes_.size() && !grow(end, ec)) return 0;
    std::memcpy(bytes_.data() + pos, data, n);
    pos_ = end;
    return n;
}

bool memory_image::resize(std::uint64_t size, error_code& ec) {
    if (size > bytes_.size()) return grow(size, ec);
    bytes_.resize(static_cast<std::size_t>(size));  // shrinking allocates nothing
    return true;
}

std::string memory_image::read(std::size_t max, error_code& ec) {
    std::string out;
    if (pos_ >= bytes_.size()) return out;
    std::size_t n = std::min<std::uint64_t>(max, bytes_.size() - pos_);
    try {
        out.assign(bytes_, static_cast<std::size_t>(pos_), n);
    } catch (const std::exception&) {
        ec = sys_error(ENOMEM);
        return out;
    }
    pos_ += n;
    return out;
}

std::size_t memory_image::read_into(char* out, std::size_t n) noexcept {
    if (pos_ >= bytes_.size()) return 0;
    n = std::min<std::uint64_t>(n, bytes_.size() - pos_);
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
}

std::string memory_image::readline(error_code& ec) {
    std::string out;
    if (pos_ >= bytes_.size()) return out;
    auto start = static_cast<std::size_t>(pos_);
    auto nl = bytes_.find('\n', start);
    std::size_t end = nl == std::string::npos ? bytes_.size() : nl + 1;
    try {
        out.assign(bytes_, start, end - start);
    } catch (const std::exception&) {
        ec = sys_error(ENOMEM);
        return out;
    }
    pos_ = end;
    return out;
}

bool memory_image::copy_to(int fd, error_code& ec) const {
    write_steps writing(fd, std::string_view(), bytes_, 0);  // a new, empty file
    run_steps(writing);
    if ((ec = writing.error())) return false;
    if (sys::lseek(fd, static_cast<off_t>(pos_), SEEK_SET) < 0) {
        ec = sys_error(errno ? errno : EIO);
        return false;
    }
    return true;
}

void memory_image::release() noexcept {
    std::string().swap(bytes_);
    pos_ = 0;
}

}  // namespace tempio::detail
