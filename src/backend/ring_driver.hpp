// The io_uring driver: an operation (src/async/ops) whose steps are submitted
// as ring requests, one at a time, each result fed back on a thread running
// the io_context. No operation logic here: what to call next, what an error
// means, what to undo, are the operation's.
#pragma once

#include <atomic>
#include <memory>

#include <boost/asio/associated_cancellation_slot.hpp>

#include "backend/finish_op.hpp"
#include "backend/ring.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

template <class Op>
class ring_driver final : public ring_op {
  public:
    using value_type = typename Op::value_type;

    static void start(ring& r, std::unique_ptr<Op> op, handler_of<value_type> h) {
        auto* self = new ring_driver(r, std::move(op), std::move(h));
        self->advance();  // last: from here on the driver may be gone
    }

    void complete(int res) noexcept override {
        op_->on_result(res);
        if (cancelled_.load()) op_->cancel();
        advance();
    }

    // The io_context is being destroyed: the operation undoes what it made
    // (blocking, on the destroying thread); nothing is delivered.
    void abandon(int res) noexcept override {
        op_->on_result(res);
        op_->abandon();
        clear_slot();
        delete this;
    }

  private:
    ring_driver(ring& r, std::unique_ptr<Op> op, handler_of<value_type> h)
        : ring_(r), op_(std::move(op)), handler_(std::move(h)) {
        if constexpr (Op::cancellable) slot_ = net::get_associated_cancellation_slot(handler_);
        if (slot_.is_connected())
            slot_.assign([this](net::cancellation_type) { cancelled_.store(true); });
    }

    void advance() noexcept {
        syscall c;
        try {
            // A seek (after a short result) never waits on a device, and
            // io_uring has no such request: made here, at once.
            for (c = op_->next(); c.what == syscall::kind::seek; c = op_->next())
                op_->on_result(perform(c));
        } catch (...) {
            op_->cancel();
            return deliver_error(error_of_current_exception());
        }
        if (c) return submit(ring_, *this, c);
        clear_slot();
        auto h = std::move(handler_);
        auto op = std::move(op_);
        delete this;  // before the completion can run (destroyed means gone)
        finish_op(std::move(op), std::move(h));
    }

    void deliver_error(error_code ec) noexcept {
        clear_slot();
        auto h = std::move(handler_);
        delete this;
        complete_with_error<value_type>(std::move(h), ec);
    }

    void clear_slot() noexcept {
        if (slot_.is_connected()) slot_.clear();
    }

    ring& ring_;
    std::unique_ptr<Op> op_;
    handler_of<value_type> handler_;
    net::cancellation_slot slot_;
    std::atomic<bool> cancelled_{false};
};

}  // namespace tempio::detail
