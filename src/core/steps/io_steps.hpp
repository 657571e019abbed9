// The read and write loops, once for every driver.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "core/os_error.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

using boost::system::error_code;

// Where a write starts: the file offset, or at_end for a file in append
// mode (every write goes to the end, wherever the position is).
inline constexpr std::int64_t at_end = -1;

// After a call that did only part of what it asked (a short result), the
// position must be moved to where the next call goes on: io_uring's read and
// writev at the file position (offset -1) return the count of a short
// result but leave the position where it was when the kernel's own retry of
// the rest failed (Linux 6.18: a writev past RLIMIT_FSIZE or a full tmpfs
// returns its count and lseek says 0). Blocking calls do move it; the seek
// is then a no-op, and short results are rare (a write's only before an
// error, a read's once, at the end of the file), so every driver gets it.
// Each of these loops therefore knows its start offset.

// Writes `head` then `tail` (one writev for both) from `start` on until all
// is written or a call fails. EINTR: again. A call that writes nothing: EIO
// (never spin). A short result moves the position on first, so that the
// next call writes the rest and reports the real error (EFBIG, ENOSPC)
// instead of overwriting what was written.
class write_steps {
  public:
    write_steps(int fd, std::string_view head, std::string_view tail, std::int64_t start) noexcept
        : fd_(fd), head_(head), tail_(tail), start_(start) {}

    syscall next() noexcept {
        if (finished()) return {};
        if (seeking_)
            return {.what = syscall::kind::seek,
                    .fd = fd_,
                    .offset = start_ + static_cast<std::int64_t>(done_)};
        unsigned count = 0;
        if (done_ < head_.size())
            iov_[count++] = {const_cast<char*>(head_.data()) + done_, head_.size() - done_};
        std::size_t from = done_ > head_.size() ? done_ - head_.size() : 0;
        if (from < tail_.size())
            iov_[count++] = {const_cast<char*>(tail_.data()) + from, tail_.size() - from};
        return {.what = syscall::kind::writev, .fd = fd_, .iov = iov_, .iovcnt = count};
    }
    void on_result(int res) noexcept {
        if (seeking_) {
            seeking_ = false;
            if (res < 0) ec_ = os_error(-res);
            return;
        }
        if (res == -EINTR) return;
        if (res < 0) {
            ec_ = os_error(-res);
        } else if (res == 0) {
            ec_ = os_error(EIO);
        } else {
            done_ += static_cast<std::size_t>(res);
            seeking_ = start_ != at_end && !finished();
        }
    }

    bool finished() const noexcept { return ec_ || done_ == head_.size() + tail_.size(); }
    // The next call is the seek after a short result (a driver that stops
    // early makes it, so that the position matches written()).
    bool seek_pending() const noexcept { return seeking_; }
    std::size_t written() const noexcept { return done_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    std::string_view head_, tail_;
    std::int64_t start_;
    std::size_t done_ = 0;
    bool seeking_ = false;
    iovec iov_[2]{};
    error_code ec_;
};

// read(max): chunks of up to read_chunk bytes from `start` (the file
// position) until `max`, the end of the file, or (for a finite max) a short
// read; a short read moves the position past what it read first. Growing
// the result may fail: ENOMEM, with what was read kept for the caller to
// give back.
class read_steps {
  public:
    static constexpr std::size_t read_chunk = 64 * 1024;

    read_steps(int fd, std::size_t max, std::uint64_t start) noexcept
        : fd_(fd), max_(max), start_(start) {}

    syscall next() noexcept {
        if (seeking_)
            return {.what = syscall::kind::seek,
                    .fd = fd_,
                    .offset = static_cast<std::int64_t>(start_ + read_)};
        if (finished_) return {};
        asked_from_ = out_.size();
        asked_ = std::min(max_ - asked_from_, read_chunk);
        try {
            out_.resize(asked_from_ + asked_);
        } catch (...) {
            out_.resize(asked_from_);
            ec_ = os_error(ENOMEM);
            finished_ = true;
            return {};
        }
        return {.what = syscall::kind::read,
                .fd = fd_,
                .buf = out_.data() + asked_from_,
                .len = static_cast<unsigned>(asked_)};
    }
    void on_result(int res) noexcept {
        if (seeking_) {
            seeking_ = false;
            if (res < 0) {
                ec_ = os_error(-res);
                finished_ = true;
            }
            return;
        }
        std::size_t got = res > 0 ? static_cast<std::size_t>(res) : 0;
        out_.resize(asked_from_ + got);
        if (res == -EINTR) return;
        if (res < 0) {
            ec_ = os_error(-res);
            finished_ = true;
            return;
        }
        read_ += got;
        seeking_ = got != 0 && got < asked_;
        finished_ = got == 0 || out_.size() >= max_ || (max_ != SIZE_MAX && got < asked_);
    }

    bool finished() const noexcept { return finished_ && !seeking_; }
    bool seek_pending() const noexcept { return seeking_; }
    std::size_t bytes_read() const noexcept { return read_; }
    std::string& result() noexcept { return out_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    std::size_t max_;
    std::uint64_t start_;
    std::string out_;
    std::size_t asked_from_ = 0, asked_ = 0, read_ = 0;
    bool finished_ = false;
    bool seeking_ = false;
    error_code ec_;
};

// readinto(b): one read(2) into the caller's buffer from `start` (the file
// position; at most 1 GiB: a short read, as read(2) itself caps it). EINTR:
// again. A short read moves the position past what it read.
class readinto_steps {
  public:
    readinto_steps(int fd, void* buf, std::size_t n, std::uint64_t start) noexcept
        : fd_(fd),
          buf_(buf),
          len_(static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30))),
          start_(start) {}

    syscall next() noexcept {
        if (seeking_)
            return {.what = syscall::kind::seek,
                    .fd = fd_,
                    .offset = static_cast<std::int64_t>(start_ + got_)};
        if (finished_) return {};
        return {.what = syscall::kind::read, .fd = fd_, .buf = buf_, .len = len_};
    }
    void on_result(int res) noexcept {
        if (seeking_) {
            seeking_ = false;
            if (res < 0) ec_ = os_error(-res);
            return;
        }
        if (res == -EINTR) return;
        if (res < 0) {
            ec_ = os_error(-res);
        } else {
            got_ = static_cast<std::size_t>(res);
            seeking_ = got_ != 0 && got_ < len_;
        }
        finished_ = true;
    }

    bool seek_pending() const noexcept { return seeking_; }
    std::size_t bytes_read() const noexcept { return got_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    void* buf_;
    unsigned len_;
    std::uint64_t start_;
    std::size_t got_ = 0;
    bool finished_ = false;
    bool seeking_ = false;
    error_code ec_;
};

// close(fd): Linux releases the descriptor even when close fails; EINTR
// means closed.
class close_steps {
  public:
    explicit close_steps(int fd) noexcept : fd_(fd) {}
    syscall next() noexcept {
        if (finished_) return {};
        return {.what = syscall::kind::close, .fd = fd_};
    }
    void on_result(int res) noexcept {
        if (res < 0 && res != -EINTR) ec_ = os_error(-res);
        finished_ = true;
    }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    bool finished_ = false;
    error_code ec_;
};

}  // namespace tempio::detail
