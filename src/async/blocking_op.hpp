// The one piece of plumbing every asynchronous operation goes through:
// run blocking work as one job on the backend, then deliver the result to
// the type-erased handler on its associated executor (never inline), with
// outstanding work tracked and per-operation cancellation honoured.
#pragma once

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>
#include <variant>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/blocking.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/execution/relationship.hpp>
#include <boost/asio/prefer.hpp>

#include "backend/backend.hpp"
#include "tempio/detail/handler.hpp"

namespace tempio::detail {

// Runs `f` on `ex`. Never inside this call: the header bound every handler
// to prefer(executor, blocking.never) before erasing it (detail/handler.hpp),
// which an any_completion_executor could not express by itself.
template <class Executor, class F>
void post_to(const Executor& ex, F&& f) {
    ex.execute(std::forward<F>(f));
}

// Whether the operation may be cancelled before its work starts. Close and
// cleanup never are.
enum class cancellable : bool { no = false, yes = true };

template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
struct handler_of_impl {
    using type = handler<T>;
};
template <>
struct handler_of_impl<void> {
    using type = handler<>;
};
template <class T>
using handler_of = typename handler_of_impl<T>::type;

// Work is called as `T work(error_code&, const std::atomic<bool>& cancelled)`;
// creations look at `cancelled` after creating, to undo and abort.
template <class T, class Work>
class blocking_op final : public job {
  public:
    blocking_op(handler_of<T> h, Work work, cancellable c)
        : handler_(std::move(h)),
          work_(std::move(work)),
          executor_(net::prefer(net::get_associated_executor(handler_),
                                net::execution::outstanding_work.tracked)) {
        if (c == cancellable::yes) {
            slot_ = net::get_associated_cancellation_slot(handler_);
            if (slot_.is_connected())
                slot_.assign([this](net::cancellation_type) { cancelled_.store(true); });
        }
    }

    void run() noexcept override {
        std::unique_ptr<blocking_op> self(this);
        if (cancelled_.load()) {
            ec_ = net::error::operation_aborted;
        } else {
            try {
                if constexpr (std::is_void_v<T>)
                    work_(ec_, cancelled_);
                else
                    value_ = work_(ec_, cancelled_);
            } catch (const std::bad_alloc&) {
                ec_ = make_error_code(boost::system::errc::not_enough_memory);
            }
        }
        // A fresh executor (its own target and work count), made before
        // `self` moves: the shared one inside `self` may be released on the
        // completion's thread while this worker is still inside execute().
        auto ex = net::prefer(executor_, net::execution::relationship.fork);
        post_to(ex, [self = std::move(self)]() mutable { self->deliver(); });
    }

  private:
    void deliver() {
        if (slot_.is_connected()) slot_.clear();
        if constexpr (std::is_void_v<T>)
            std::move(handler_)(ec_);
        else
            std::move(handler_)(ec_, std::move(value_));
    }

    handler_of<T> handler_;
    Work work_;
    decltype(net::prefer(std::declval<net::any_completion_executor>(),
                         net::execution::outstanding_work.tracked)) executor_;
    net::cancellation_slot slot_;
    std::atomic<bool> cancelled_{false};
    error_code ec_;
    value_or_monostate<T> value_{};
};

// Runs `work` on the backend and completes `h` with its result.
template <class T, class Work>
void run_blocking(handler_of<T> h, Work work, cancellable c = cancellable::yes) {
    submit(std::make_unique<blocking_op<T, Work>>(std::move(h), std::move(work), c));
}

// Completes `h` with an already known result: posted, so never inline, and
// no worker hop.
template <class... T, class... V>
void complete_soon(handler<T...> h, error_code ec, V&&... v) {
    // No outstanding_work.tracked needed: the posted function is itself work.
    auto ex = net::get_associated_executor(h);
    post_to(ex, [h = std::move(h), ec, ... v = std::forward<V>(v)]() mutable {
        std::move(h)(ec, std::move(v)...);
    });
}

}  // namespace tempio::detail
