// Closing, cleaning up, writing and reading on a ring, when the operation is exactly
// the system calls the ring can make (file_core / directory_core say when).
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <new>

#include "async/blocking_op.hpp"
#include "async/ring_ops.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;
using call = ring_request::call;

// Deletes the op, then posts its completion: nothing the op holds (the
// file's state above all) may outlive it into the handler, which can run on
// another thread of the io_context before this one returns.
template <class Op, class... V>
void finish_op(Op& op, error_code ec, V... v) noexcept {
    auto h = std::move(op.handler_);
    delete &op;
    complete_soon(std::move(h), ec, std::move(v)...);
}

// close(fd), and unlink(path) beside it for a named file to delete.
class close_op final : public ring_op {
  public:
    template <class Op, class... V>
    friend void finish_op(Op&, error_code, V...) noexcept;

    static void start(ring& r, file_ptr f, int fd, bool unlink, handler<> h) {
        auto* op = new close_op(r, std::move(f), std::move(h), unlink ? 2 : 1);
        ring_request requests[2] = {
            {.what = call::close, .fd = fd},
            {.what = call::unlinkat, .fd = AT_FDCWD, .path = op->file_->path().c_str()}};
        submit(r, *op, {requests, unlink ? 2u : 1u});  // last: the op may be gone after
    }

    void complete(unsigned index, int res) noexcept override {
        if (index == 1 && res == -EINTR) {  // as remove_file: unlink again
            ring_request again{
                .what = call::unlinkat, .fd = AT_FDCWD, .path = file_->path().c_str()};
            return submit(ring_, *this, {&again, 1}, 1);
        }
        if (!record(index, res)) return;
        error_code ec;
        file_->end_plain_close(results_[0], results_[1], ec);
        finish_op(*this, ec);
    }

    void abandon(unsigned index, int res) noexcept override {
        if (!record(index, res)) return;
        error_code ignored;  // a name left here is retried by the destructor
        file_->end_plain_close(results_[0], results_[1], ignored);
        delete this;
    }

  private:
    close_op(ring& r, file_ptr f, handler<> h, std::size_t requests)
        : ring_(r), file_(std::move(f)), handler_(std::move(h)), outstanding_(requests) {}

    // True when this was the last result awaited. The two results may be
    // reaped by two threads running the io_context at once: the count is
    // atomic, and acq_rel makes the other thread's result visible to the
    // one that finishes.
    bool record(unsigned index, int res) noexcept {
        results_[index] = res;
        return outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1;
    }

    ring& ring_;
    file_ptr file_;
    handler<> handler_;
    std::atomic<unsigned> outstanding_;
    int results_[2] = {0, 0};
};

// rmdir of the root: an empty tree is gone in one call; anything else goes
// to the pool's remover, told how the rmdir failed.
class cleanup_op final : public ring_op {
  public:
    template <class Op, class... V>
    friend void finish_op(Op&, error_code, V...) noexcept;

    static void start(ring& r, directory_ptr d, handler<> h) {
        auto* op = new cleanup_op(std::move(d), std::move(h));
        ring_request request{.what = call::unlinkat,
                             .fd = AT_FDCWD,
                             .path = op->dir_->path().c_str(),
                             .flags = AT_REMOVEDIR};
        submit(r, *op, {&request, 1});
    }

    void complete(unsigned, int res) noexcept override {
        if (res == 0 || res == -ENOENT) {
            dir_->note_removed();
            return finish_op(*this, error_code());
        } else {
            run_blocking<void>(
                std::move(handler_),
                [d = dir_, err = -res](error_code& ec, const auto&) {
                    d->cleanup_after_rmdir(err, ec);
                },
                cancellable::no);
        }
        delete this;
    }

    void abandon(unsigned, int res) noexcept override {
        if (res == 0 || res == -ENOENT) dir_->note_removed();  // else the destructor retries
        delete this;
    }

  private:
    cleanup_op(directory_ptr d, handler<> h) : dir_(std::move(d)), handler_(std::move(h)) {}

    directory_ptr dir_;
    handler<> handler_;
};

// writev at the file position until everything is written or a call fails.
// Completes with the count (handler<std::size_t>) or without (handler<>).
template <class... T>
class write_op final : public ring_op {
  public:
    template <class Op, class... V>
    friend void finish_op(Op&, error_code, V...) noexcept;

    static void start(ring& r, file_ptr f, net::const_buffer data, std::string owned,
                      handler<T...> h) {
        auto* op = new write_op(r, std::move(f), data, std::move(owned), std::move(h));
        op->submit_rest();
    }

    void complete(unsigned, int res) noexcept override {
        if (res == -EINTR) return submit_rest();
        if (res > 0) {
            done_ += static_cast<std::size_t>(res);
            if (done_ < size_) return submit_rest();
        }
        error_code ec;
        if (res < 0)
            ec.assign(-res, system_category());
        else if (done_ < size_)
            ec.assign(EIO, system_category());  // wrote nothing: never spin
        file_->note_plain_write(done_);
        if constexpr (sizeof...(T) == 0)
            finish_op(*this, ec);
        else
            finish_op(*this, ec, done_);
    }

    void abandon(unsigned, int res) noexcept override {
        if (res > 0) done_ += static_cast<std::size_t>(res);
        file_->note_plain_write(done_);
        delete this;
    }

  private:
    write_op(ring& r, file_ptr f, net::const_buffer data, std::string owned, handler<T...> h)
        : ring_(r),
          file_(std::move(f)),
          owned_(std::move(owned)),
          data_(owned_.empty() ? static_cast<const char*>(data.data()) : owned_.data()),
          size_(owned_.empty() ? data.size() : owned_.size()),
          handler_(std::move(h)) {}

    void submit_rest() noexcept {
        iov_ = {const_cast<char*>(data_) + done_, size_ - done_};
        ring_request request{
            .what = call::writev, .fd = file_->native_handle(), .iov = &iov_, .iovcnt = 1};
        submit(ring_, *this, {&request, 1});
    }

    ring& ring_;
    file_ptr file_;
    std::string owned_;
    const char* data_;
    std::size_t size_;
    std::size_t done_ = 0;
    iovec iov_{};
    handler<T...> handler_;
};

// file_core::read's loop: chunks of up to 64 KiB until `max`, the end of
// the file, or (for a finite max) a short read.
class read_op final : public ring_op {
  public:
    template <class Op, class... V>
    friend void finish_op(Op&, error_code, V...) noexcept;

    static void start(ring& r, file_ptr f, std::size_t max, handler<std::string> h) {
        auto* op = new read_op(r, std::move(f), max, std::move(h));
        op->submit_next();
    }

    void complete(unsigned, int res) noexcept override {
        if (res == -EINTR) {
            out_.resize(asked_from_);
            return submit_next();
        }
        std::size_t got = res > 0 ? static_cast<std::size_t>(res) : 0;
        out_.resize(asked_from_ + got);
        error_code ec;
        if (res < 0) {
            ec.assign(-res, system_category());
        } else {
            file_->note_plain_read(got);
            if (res > 0 && out_.size() < max_ && (max_ == SIZE_MAX || got == asked_))
                return submit_next();
        }
        finish(ec);
    }

    void abandon(unsigned, int res) noexcept override {
        if (res > 0) file_->note_plain_read(static_cast<std::size_t>(res));
        delete this;
    }

  private:
    read_op(ring& r, file_ptr f, std::size_t max, handler<std::string> h)
        : ring_(r), file_(std::move(f)), max_(max), handler_(std::move(h)) {}

    void submit_next() noexcept {
        asked_from_ = out_.size();
        asked_ = std::min(max_ - asked_from_, file_core::read_chunk);
        try {
            out_.resize(asked_from_ + asked_);
        } catch (const std::bad_alloc&) {
            out_.resize(asked_from_);
            return finish(error_code(ENOMEM, system_category()));
        }
        ring_request request{.what = call::read,
                             .fd = file_->native_handle(),
                             .buf = out_.data() + asked_from_,
                             .len = static_cast<unsigned>(asked_)};
        submit(ring_, *this, {&request, 1});
    }

    void finish(error_code ec) noexcept { finish_op(*this, ec, std::move(out_)); }

    ring& ring_;
    file_ptr file_;
    std::size_t max_;
    std::string out_;
    std::size_t asked_from_ = 0, asked_ = 0;
    handler<std::string> handler_;
};

// One read(2) into the caller's buffer (file_core::readinto).
class readinto_op final : public ring_op {
  public:
    template <class Op, class... V>
    friend void finish_op(Op&, error_code, V...) noexcept;

    static void start(ring& r, file_ptr f, net::mutable_buffer b, bool eof_is_error,
                      handler<std::size_t> h) {
        auto* op = new readinto_op(r, std::move(f), b, eof_is_error, std::move(h));
        op->submit_read();
    }

    void complete(unsigned, int res) noexcept override {
        if (res == -EINTR) return submit_read();
        error_code ec;
        std::size_t got = 0;
        if (res < 0) {
            ec.assign(-res, system_category());
        } else {
            got = static_cast<std::size_t>(res);
            file_->note_plain_read(got);
            if (got == 0 && buffer_.size() != 0 && eof_is_error_) ec = net::error::eof;
        }
        finish_op(*this, ec, got);
    }

    void abandon(unsigned, int res) noexcept override {
        if (res > 0) file_->note_plain_read(static_cast<std::size_t>(res));
        delete this;
    }

  private:
    readinto_op(ring& r, file_ptr f, net::mutable_buffer b, bool eof_is_error,
                handler<std::size_t> h)
        : ring_(r),
          file_(std::move(f)),
          buffer_(b),
          eof_is_error_(eof_is_error),
          handler_(std::move(h)) {}

    void submit_read() noexcept {
        // At most 1 GiB per call: a short read, as read(2) itself caps it.
        auto len = static_cast<unsigned>(std::min<std::size_t>(buffer_.size(), 1u << 30));
        ring_request request{
            .what = call::read, .fd = file_->native_handle(), .buf = buffer_.data(), .len = len};
        submit(ring_, *this, {&request, 1});
    }

    ring& ring_;
    file_ptr file_;
    net::mutable_buffer buffer_;
    bool eof_is_error_;
    handler<std::size_t> handler_;
};

}  // namespace

bool ring_close(ring& r, const file_ptr& f, handler<>& h) {
    int fd = -1;
    bool unlink = false;
    if (!f->begin_plain_close(fd, unlink)) return false;
    close_op::start(r, f, fd, unlink, std::move(h));
    return true;
}

bool ring_cleanup(ring& r, const directory_ptr& d, handler<>& h) {
    if (d->cleaned()) {
        complete_soon(std::move(h), error_code());
        return true;
    }
    cleanup_op::start(r, d, std::move(h));
    return true;
}

bool ring_write(ring& r, const file_ptr& f, net::const_buffer data, handler<std::size_t>& h) {
    if (!f->plain_write_ok(data.size())) return false;
    write_op<std::size_t>::start(r, f, data, std::string(), std::move(h));
    return true;
}

bool ring_write_owned(ring& r, const file_ptr& f, std::string& data, handler<>& h) {
    if (data.empty() || !f->plain_write_ok(data.size())) return false;
    write_op<>::start(r, f, net::const_buffer(), std::move(data), std::move(h));
    return true;
}

}  // namespace tempio::detail

namespace tempio::detail {

bool ring_read(ring& r, const file_ptr& f, std::size_t max, handler<std::string>& h) {
    if (max == 0 || !f->plain_read_ok()) return false;
    read_op::start(r, f, max, std::move(h));
    return true;
}

bool ring_readinto(ring& r, const file_ptr& f, net::mutable_buffer b, bool eof_is_error,
                   handler<std::size_t>& h) {
    if (!f->plain_read_ok()) return false;
    readinto_op::start(r, f, b, eof_is_error, std::move(h));
    return true;
}

}  // namespace tempio::detail
