// The read and write loops, once for both drivers.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "core/steps/syscall.hpp"

namespace tempio::detail {

using boost::system::error_code;

// Writes `head` then `tail` at the file position (one writev for both) until
// all is written or a call fails. EINTR: again. A call that writes nothing:
// EIO (never spin).
class write_steps {
  public:
    write_steps(int fd, std::string_view head, std::string_view tail) noexcept
        : fd_(fd), head_(head), tail_(tail) {}

    syscall next() noexcept {
        if (finished()) return {};
        unsigned count = 0;
        if (done_ < head_.size())
            iov_[count++] = {const_cast<char*>(head_.data()) + done_, head_.size() - done_};
        std::size_t from = done_ > head_.size() ? done_ - head_.size() : 0;
        if (from < tail_.size())
            iov_[count++] = {const_cast<char*>(tail_.data()) + from, tail_.size() - from};
        return {.what = syscall::kind::writev, .fd = fd_, .iov = iov_, .iovcnt = count};
    }
    void on_result(int res) noexcept {
        if (res == -EINTR) return;
        if (res < 0)
            ec_.assign(-res, boost::system::system_category());
        else if (res == 0)
            ec_.assign(EIO, boost::system::system_category());
        else
            done_ += static_cast<std::size_t>(res);
    }

    bool finished() const noexcept { return ec_ || done_ == head_.size() + tail_.size(); }
    std::size_t written() const noexcept { return done_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    std::string_view head_, tail_;
    std::size_t done_ = 0;
    iovec iov_[2]{};
    error_code ec_;
};

// read(max): chunks of up to read_chunk bytes at the file position until
// `max`, the end of the file, or (for a finite max) a short read. Growing
// the result may fail: ENOMEM, with what was read kept for the caller to
// give back.
class read_steps {
  public:
    static constexpr std::size_t read_chunk = 64 * 1024;

    read_steps(int fd, std::size_t max) noexcept : fd_(fd), max_(max) {}

    syscall next() noexcept {
        if (finished_) return {};
        asked_from_ = out_.size();
        asked_ = std::min(max_ - asked_from_, read_chunk);
        try {
            out_.resize(asked_from_ + asked_);
        } catch (...) {
            out_.resize(asked_from_);
            ec_.assign(ENOMEM, boost::system::system_category());
            finished_ = true;
            return {};
        }
        return {.what = syscall::kind::read,
                .fd = fd_,
                .buf = out_.data() + asked_from_,
                .len = static_cast<unsigned>(asked_)};
    }
    void on_result(int res) noexcept {
        std::size_t got = res > 0 ? static_cast<std::size_t>(res) : 0;
        out_.resize(asked_from_ + got);
        if (res == -EINTR) return;
        if (res < 0) {
            ec_.assign(-res, boost::system::system_category());
            finished_ = true;
            return;
        }
        read_ += got;
        finished_ = got == 0 || out_.size() >= max_ || (max_ != SIZE_MAX && got < asked_);
    }

    bool finished() const noexcept { return finished_; }
    std::size_t bytes_read() const noexcept { return read_; }
    std::string& result() noexcept { return out_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    std::size_t max_;
    std::string out_;
    std::size_t asked_from_ = 0, asked_ = 0, read_ = 0;
    bool finished_ = false;
    error_code ec_;
};

// readinto(b): one read(2) into the caller's buffer (at most 1 GiB: a short
// read, as read(2) itself caps it). EINTR: again.
class readinto_steps {
  public:
    readinto_steps(int fd, void* buf, std::size_t n) noexcept
        : fd_(fd), buf_(buf), len_(static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30))) {}

    syscall next() noexcept {
        if (finished_) return {};
        return {.what = syscall::kind::read, .fd = fd_, .buf = buf_, .len = len_};
    }
    void on_result(int res) noexcept {
        if (res == -EINTR) return;
        if (res < 0)
            ec_.assign(-res, boost::system::system_category());
        else
            got_ = static_cast<std::size_t>(res);
        finished_ = true;
    }

    std::size_t bytes_read() const noexcept { return got_; }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    void* buf_;
    unsigned len_;
    std::size_t got_ = 0;
    bool finished_ = false;
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
        if (res < 0 && res != -EINTR) ec_.assign(-res, boost::system::system_category());
        finished_ = true;
    }
    const error_code& error() const noexcept { return ec_; }

  private:
    int fd_;
    bool finished_ = false;
    error_code ec_;
};

}  // namespace tempio::detail
