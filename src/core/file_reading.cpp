// file_core's reads: from memory (spooled, before rollover) or from the fd
// after writing what is buffered. The rest of file_core is in file_core.cpp.
// A result that cannot be allocated is ENOMEM with the position unchanged.
#include "core/file_core.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

error_code out_of_memory() {
    return error_code(ENOMEM, boost::system::system_category());
}

}  // namespace

void file_core::unread(std::uint64_t start) noexcept {
    if (in_memory_) {
        mem_pos_ = static_cast<std::size_t>(start);
    } else if (sys::lseek(fd_.get(), static_cast<off_t>(start), SEEK_SET) >= 0) {
        kpos_ = start;
    }  // else the bytes are consumed: the position stays where the kernel has it
}

std::string file_core::read(std::size_t max, error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) {
        if (mem_pos_ < mem_.size()) {
            std::size_t n = std::min(max, mem_.size() - mem_pos_);
            try {
                out.assign(mem_, mem_pos_, n);
            } catch (const std::exception&) {
                ec = out_of_memory();
                return out;
            }
            mem_pos_ += n;
        }
        return out;
    }
    if (!flush_buffer(ec)) return out;
    std::uint64_t start = kpos_;
    read_fd(out, max, ec);
    if (ec == out_of_memory()) {  // holding what was read: give it back
        std::string().swap(out);
        unread(start);
    }
    return out;
}

void file_core::read_fd(std::string& out, std::size_t max, error_code& ec) {
    read_steps steps(fd_.get(), max);
    run_steps(steps);
    kpos_ += steps.bytes_read();
    ec = steps.error();
    out = std::move(steps.result());
}

std::size_t file_core::readinto(char* data, std::size_t n, error_code& ec) {
    if (!check(true, false, ec)) return 0;
    if (in_memory_) {
        if (mem_pos_ >= mem_.size()) return 0;
        n = std::min(n, mem_.size() - mem_pos_);
        std::memcpy(data, mem_.data() + mem_pos_, n);
        mem_pos_ += n;
        return n;
    }
    if (n == 0) return 0;  // nothing asked: no system call (Asio's read_until asks)
    if (!flush_buffer(ec)) return 0;
    readinto_steps steps(fd_.get(), data, n);
    run_steps(steps);
    kpos_ += steps.bytes_read();
    ec = steps.error();
    return steps.bytes_read();
}

std::string file_core::readline(error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) {
        if (mem_pos_ >= mem_.size()) return out;
        auto nl = mem_.find('\n', mem_pos_);
        std::size_t end = nl == std::string::npos ? mem_.size() : nl + 1;
        try {
            out.assign(mem_, mem_pos_, end - mem_pos_);
        } catch (const std::exception&) {
            ec = out_of_memory();
            return out;
        }
        mem_pos_ = end;
        return out;
    }
    if (!flush_buffer(ec)) return out;
    try {
        readline_fd(out, ec);
    } catch (const std::exception&) {  // pread moved nothing yet
        std::string().swap(out);
        ec = out_of_memory();
    }
    return out;
}

void file_core::readline_fd(std::string& out, error_code& ec) {
    // pread ahead in chunks, then move the offset to just past the newline.
    std::uint64_t start = kpos_;
    char chunk[4096];
    for (;;) {
        ssize_t r =
            sys::pread(fd_.get(), chunk, sizeof chunk, static_cast<off_t>(start + out.size()));
        if (r < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            out.clear();
            return;
        }
        if (r == 0) break;
        auto* nl = static_cast<const char*>(std::memchr(chunk, '\n', static_cast<std::size_t>(r)));
        if (nl != nullptr) {
            out.append(chunk, static_cast<std::size_t>(nl - chunk + 1));
            break;
        }
        out.append(chunk, static_cast<std::size_t>(r));
    }
    if (out.empty()) return;
    off_t off = sys::lseek(fd_.get(), static_cast<off_t>(start + out.size()), SEEK_SET);
    if (off < 0) {
        ec = last_error();
        out.clear();
        return;
    }
    kpos_ = static_cast<std::uint64_t>(off);
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
        unread((in_memory_ ? mem_pos_ : kpos_) - all.size());
        ec = out_of_memory();
    }
    return lines;
}

}  // namespace tempio::detail
