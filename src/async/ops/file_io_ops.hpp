// Operations on an open file or directory that are nothing but system calls
// (core/steps), so that either driver can make them: a plain close, the
// root rmdir of a cleanup, writes and reads at the file position. Anything
// more (buffering, deleting a name, walking a tree) is the core's blocking
// code, on the pool. Same shape as ops/create_ops.hpp.
#pragma once

#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include "core/directory_core.hpp"
#include "core/file_core.hpp"
#include "core/steps/close_file_steps.hpp"
#include "core/steps/io_steps.hpp"

namespace tempio::detail {

// The stream form (read_some) reports net::error::eof at the end of the file.
inline void eof_as_error(error_code& ec, std::size_t got, std::size_t asked) noexcept {
    if (!ec && got == 0 && asked != 0) ec = net::error::eof;
}

// An operation abandoned (its io_context destroyed) right after a short
// result: the seek that follows it is made here, blocking, so that the
// file's position is where the counts the file is told say.
template <class Steps>
void settle_seek(Steps& steps) noexcept {
    if (steps.seek_pending()) steps.on_result(perform(steps.next()));
}

// Operations no one undoes: cancellation only applies before they start.
struct direct_op_base {
    static constexpr bool cancellable = true;
    static constexpr bool undo_undelivered = false;
    // A few calls on one file, never waiting for user code (job::brief).
    static constexpr bool brief = true;
    bool ring_ok() const noexcept { return true; }
    bool inline_ok() const noexcept { return false; }
    void cancel() noexcept {}
    bool finish_blocks() const noexcept { return false; }
};

// A direct close (begin_direct_close): core/steps/close_file_steps.hpp.
class close_op : public direct_op_base {
  public:
    static constexpr bool cancellable = false;  // close is never cancelled
    using value_type = void;
    close_op(file_ptr f, int fd, std::string unwritten, std::int64_t start)
        : file_(std::move(f)), steps_(fd, std::move(unwritten), start, file_->close_removal()) {}
    bool inline_ok() const noexcept { return file_->on_memory_fs(); }
    syscall next() noexcept { return steps_.next(); }
    void on_result(int res) noexcept { steps_.on_result(res); }
    void abandon() noexcept {  // the destructor removes the name if this did not
        if (steps_.removal_finished()) file_->note_name_removed(steps_.removal_error());
    }
    void finish(error_code& ec) noexcept {
        ec = steps_.error();
        abandon();
        file_.reset();
    }

  private:
    file_ptr file_;
    close_file_steps steps_;
};

// A cleanup's first call: rmdir of the root. An empty tree is gone in one
// call; anything else goes on as the core's remover, told how rmdir failed.
class cleanup_op : public direct_op_base {
  public:
    static constexpr bool cancellable = false;  // cleanup is never cancelled
    static constexpr bool brief = false;        // finish() may remove a whole tree
    using value_type = void;
    explicit cleanup_op(directory_ptr d) noexcept : dir_(std::move(d)) {}
    bool inline_ok() const noexcept { return dir_->on_memory_fs(); }
    syscall next() noexcept {
        if (res_) return {};
        return {.what = syscall::kind::unlinkat,
                .fd = AT_FDCWD,
                .path = dir_->path().c_str(),
                .flags = AT_REMOVEDIR};
    }
    void on_result(int res) noexcept {
        if (res != -EINTR) res_ = res;
    }
    void abandon() noexcept {
        if (removed()) dir_->note_removed();  // else the destructor retries
    }
    bool finish_blocks() const noexcept { return !removed(); }
    void finish(error_code& ec) {
        if (removed())
            dir_->note_removed();
        else
            dir_->cleanup_after_rmdir(-*res_, ec);
        dir_.reset();
    }

  private:
    bool removed() const noexcept { return res_ && (*res_ == 0 || *res_ == -ENOENT); }
    directory_ptr dir_;
    std::optional<int> res_;
};

// A write straight to the kernel (file_core::writes_through). Completes with
// the count (Count = std::size_t) or nothing (void), owning the bytes or not.
template <class Count>
class write_op : public direct_op_base {
  public:
    using value_type = Count;
    write_op(file_ptr f, net::const_buffer data, std::string owned)
        : file_(std::move(f)),
          owned_(std::move(owned)),
          steps_(file_->native_handle(), std::string_view(),
                 owned_.empty()
                     ? std::string_view(static_cast<const char*>(data.data()), data.size())
                     : std::string_view(owned_),
                 file_->write_start()) {}
    syscall next() noexcept { return steps_.next(); }
    void on_result(int res) noexcept { steps_.on_result(res); }
    void abandon() noexcept {
        settle_seek(steps_);
        file_->advance(steps_.written());
        // Stopped part of the way: the file holds only some of the bytes.
        if (steps_.error())
            file_->note_write_error(steps_.error());
        else if (!steps_.finished() && steps_.written() != 0)
            file_->note_write_error(net::error::operation_aborted);
    }
    Count finish(error_code& ec) noexcept {
        file_->advance(steps_.written());
        ec = steps_.error();
        file_->note_write_error(ec);
        file_.reset();
        if constexpr (!std::is_void_v<Count>) return steps_.written();
    }

  private:
    file_ptr file_;
    std::string owned_;
    write_steps steps_;
};

// read(max) straight from the kernel (file_core::reads_through).
class read_op : public direct_op_base {
  public:
    using value_type = std::string;
    read_op(file_ptr f, std::size_t max)
        : file_(std::move(f)), steps_(file_->native_handle(), max, file_->read_start()) {}
    syscall next() noexcept { return steps_.next(); }
    void on_result(int res) noexcept { steps_.on_result(res); }
    void abandon() noexcept {
        settle_seek(steps_);
        file_->advance(steps_.bytes_read());
    }
    std::string finish(error_code& ec) noexcept {
        file_->advance(steps_.bytes_read());
        ec = steps_.error();
        file_.reset();
        return std::move(steps_.result());
    }

  private:
    file_ptr file_;
    read_steps steps_;
};

// readinto / read_some straight from the kernel. eof_is_error: the stream
// form reports net::error::eof at the end of the file.
class readinto_op : public direct_op_base {
  public:
    using value_type = std::size_t;
    readinto_op(file_ptr f, net::mutable_buffer b, bool eof_is_error)
        : file_(std::move(f)),
          steps_(file_->native_handle(), b.data(), b.size(), file_->read_start()),
          empty_(b.size() == 0),
          eof_is_error_(eof_is_error) {}
    syscall next() noexcept { return steps_.next(); }
    void on_result(int res) noexcept { steps_.on_result(res); }
    void abandon() noexcept {
        settle_seek(steps_);
        file_->advance(steps_.bytes_read());
    }
    std::size_t finish(error_code& ec) noexcept {
        file_->advance(steps_.bytes_read());
        ec = steps_.error();
        if (eof_is_error_) eof_as_error(ec, steps_.bytes_read(), empty_ ? 0 : 1);
        file_.reset();
        return steps_.bytes_read();
    }

  private:
    file_ptr file_;
    readinto_steps steps_;
    bool empty_;
    bool eof_is_error_;
};

}  // namespace tempio::detail
