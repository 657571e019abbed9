// file_core's reads: from memory (spooled, before rollover) or from the fd
// after writing what is buffered. The rest of file_core is in file_core.cpp.
#include "core/file_core.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/sys.hpp"

namespace tempio::detail {

std::string file_core::read(std::size_t max, error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) {
        if (mem_pos_ < mem_.size()) {
            std::size_t n = std::min(max, mem_.size() - mem_pos_);
            out.assign(mem_, mem_pos_, n);
            mem_pos_ += n;
        }
        return out;
    }
    if (!flush_buffer(ec)) return out;
    while (out.size() < max) {
        std::size_t want = std::min(max - out.size(), read_chunk);
        std::size_t old = out.size();
        out.resize(old + want);
        ssize_t r = sys::read(fd_.get(), out.data() + old, want);
        if (r < 0 && errno == EINTR) {
            out.resize(old);
            continue;
        }
        out.resize(old + std::max<ssize_t>(r, 0));
        if (r < 0) {
            ec = last_error();
            break;
        }
        kpos_ += static_cast<std::uint64_t>(r);
        if (r == 0) break;
        if (max != SIZE_MAX && static_cast<std::size_t>(r) < want) break;  // short read: enough
    }
    return out;
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
    if (!flush_buffer(ec)) return 0;
    for (;;) {
        ssize_t r = sys::read(fd_.get(), data, n);
        if (r >= 0) {
            kpos_ += static_cast<std::uint64_t>(r);
            return static_cast<std::size_t>(r);
        }
        if (errno != EINTR) {
            ec = last_error();
            return 0;
        }
    }
}

std::string file_core::readline(error_code& ec) {
    std::string out;
    if (!check(true, false, ec)) return out;
    if (in_memory_) {
        if (mem_pos_ >= mem_.size()) return out;
        auto nl = mem_.find('\n', mem_pos_);
        std::size_t end = nl == std::string::npos ? mem_.size() : nl + 1;
        out.assign(mem_, mem_pos_, end - mem_pos_);
        mem_pos_ = end;
        return out;
    }
    if (!flush_buffer(ec)) return out;
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
            return out;
        }
        if (r == 0) break;
        auto* nl = static_cast<const char*>(std::memchr(chunk, '\n', static_cast<std::size_t>(r)));
        if (nl != nullptr) {
            out.append(chunk, static_cast<std::size_t>(nl - chunk + 1));
            break;
        }
        out.append(chunk, static_cast<std::size_t>(r));
    }
    if (out.empty()) return out;
    off_t off = sys::lseek(fd_.get(), static_cast<off_t>(start + out.size()), SEEK_SET);
    if (off < 0) {
        ec = last_error();
        out.clear();
        return out;
    }
    kpos_ = static_cast<std::uint64_t>(off);
    return out;
}

std::vector<std::string> file_core::readlines(error_code& ec) {
    std::vector<std::string> lines;
    std::string all = read(SIZE_MAX, ec);
    if (ec) return lines;
    std::size_t begin = 0;
    while (begin < all.size()) {
        auto nl = all.find('\n', begin);
        std::size_t end = nl == std::string::npos ? all.size() : nl + 1;
        lines.emplace_back(all, begin, end - begin);
        begin = end;
    }
    return lines;
}

}  // namespace tempio::detail
