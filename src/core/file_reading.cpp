// file_core's reads: from memory (spooled, before rollover) or from the fd
// after writing what is buffered. The rest of file_core is in file_core.cpp.
// A result that cannot be allocated is ENOMEM with the position unchanged.
#include "core/file_core.hpp"
#include "core/os_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

error_code out_of_memory() {
    return os_error(ENOMEM);
}

}  // namespace

void file_core::unread(std::uint64_t start) noexcept {
    if (in_memory_) {
        mem_.set_position(start);
    } else if (sys::lseek(fd_.get(), static_cast<off_t>(start), SEEK_SET) >= 0) {
        kpos_ = start;
    }  // else the bytes are consumed: the position stays where the kernel has it
}

std::string file_core::read(std::size_t max, error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) return mem_.read(max, ec);
    if (!flush_writes(ec)) return out;
    // What readline read ahead first.
    std::uint64_t start = kpos_ - read_buffered();
    try {
        out.resize(std::min(max, read_buffered()));
    } catch (const std::exception&) {
        ec = out_of_memory();
        return out;
    }
    take_buffered(out.data(), out.size());
    if (out.size() == max) return out;
    if (!drop_read_buffer(ec)) return out;  // emptied: no system call
    std::string rest;
    // To the end stays to the end (SIZE_MAX): a short read is not taken
    // for the end of the file, which only a read of nothing says.
    read_fd(rest, max == SIZE_MAX ? max : max - out.size(), ec);
    try {
        if (out.empty())
            out = std::move(rest);
        else
            out += rest;
    } catch (const std::exception&) {
        ec = out_of_memory();
    }
    if (ec == out_of_memory()) {  // holding what was read: give it back
        std::string().swap(out);
        unread(start);
    }
    return out;
}

void file_core::read_fd(std::string& out, std::size_t max, error_code& ec) {
    read_steps steps(fd_.get(), max, kpos_);
    run_steps(steps);
    kpos_ += steps.bytes_read();
    ec = steps.error();
    out = std::move(steps.result());
}

std::size_t file_core::take_buffered(char* out, std::size_t n) noexcept {
    n = std::min(n, read_buffered());
    std::memcpy(out, rbuf_.data() + rpos_, n);
    rpos_ += n;
    if (rpos_ == rbuf_.size()) {  // all taken: the kernel's offset is the position
        rbuf_.clear();
        rpos_ = 0;
    }
    return n;
}

std::size_t file_core::readinto(char* data, std::size_t n, error_code& ec) {
    if (!check(true, false, ec)) return 0;
    if (in_memory_) return mem_.read_into(data, n);
    if (n == 0) return 0;  // nothing asked: no system call (Asio's read_until asks)
    if (read_buffered() != 0) return take_buffered(data, n);
    if (!flush_buffer(ec)) return 0;
    readinto_steps steps(fd_.get(), data, n, kpos_);
    run_steps(steps);
    kpos_ += steps.bytes_read();
    ec = steps.error();
    return steps.bytes_read();
}

std::string file_core::readline(error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) return mem_.readline(ec);
    if (!flush_writes(ec)) return out;
    std::uint64_t start = kpos_ - read_buffered();
    try {
        readline_fd(out, ec);
    } catch (const std::exception&) {
        ec = out_of_memory();
    }
    if (ec) {  // nothing consumed: back to where the line began
        std::string().swap(out);
        rbuf_.clear();
        rpos_ = 0;
        unread(start);
    }
    return out;
}

void file_core::readline_fd(std::string& out, error_code& ec) {
    // From the read buffer, refilled read_steps::read_chunk bytes at a time:
    // one read(2) serves many lines, and the next ones cost no hop at all
    // (readline_is_free).
    for (;;) {
        if (std::size_t avail = read_buffered(); avail != 0) {
            const char* begin = rbuf_.data() + rpos_;
            auto* nl = static_cast<const char*>(std::memchr(begin, '\n', avail));
            std::size_t take = nl != nullptr ? static_cast<std::size_t>(nl - begin) + 1 : avail;
            out.append(begin, take);
            rpos_ += take;
            if (nl != nullptr) return;
        }
        rbuf_.resize(read_steps::read_chunk);  // may throw: the caller gives back
        rpos_ = 0;
        readinto_steps steps(fd_.get(), rbuf_.data(), rbuf_.size(), kpos_);
        run_steps(steps);
        rbuf_.resize(steps.bytes_read());
        kpos_ += steps.bytes_read();
        if ((ec = steps.error()) || steps.bytes_read() == 0) return;  // error, or end of file
    }
}

std::vector<std::string> file_core::readlines(error_code& ec) {
    std::vector<std::string> lines;
    std::string all = read(SIZE_MAX, ec);
    if (ec) return lines;
    try {
        std::size_t begin = 0;
        while (begin < all.size()) {
            auto nl = all.find('\n', begin);
            std::size_t end = nl == std::string::npos ? all.size() : nl + 1;
            lines.emplace_back(all, begin, end - begin);
            begin = end;
        }
    } catch (const std::exception&) {  // all was read to the end: back to where it began
        std::vector<std::string>().swap(lines);
        unread((in_memory_ ? mem_.position() : kpos_) - all.size());
        ec = out_of_memory();
    }
    return lines;
}

}  // namespace tempio::detail
