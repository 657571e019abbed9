// The one piece of plumbing every asynchronous operation goes through:
// run blocking work as one job on the backend, then deliver the result to
// the type-erased handler on its associated executor (never inline), with
// outstanding work tracked and per-operation cancellation honoured.
#pragma once

#include <atomic>
#include <cerrno>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
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
#include <boost/system/system_error.hpp>

#include "backend/backend.hpp"
#include "backend/in_flight.hpp"
#include "core/os_error.hpp"
#include "tempio/detail/handler.hpp"

namespace tempio::detail {

// Runs `f` on `ex`. Never inside this call: the header bound every handler
// to prefer(executor, blocking.never) before erasing it (detail/handler.hpp),
// which an any_completion_executor could not express by itself.
template <class Executor, class F>
void post_to(const Executor& ex, F&& f) {
    ex.execute(std::forward<F>(f));
}

// Where `h`'s completion is posted: its io_context itself when the handler
// runs there (handler_on unwrapped its executor), else its executor.
class completion_target {
  public:
    template <class... T>
    explicit completion_target(const handler<T...>& h)
        : io_(h.posts_to_io_context() ? h.io_context() : nullptr) {
        if (!io_) ex_.emplace(net::get_associated_executor(h));
    }
    // `f` runs there, never inside this call.
    template <class F>
    void post(F&& f) const {
        if (io_)
            net::post(*io_, std::forward<F>(f));
        else
            post_to(*ex_, std::forward<F>(f));
    }

  private:
    net::io_context* io_;
    std::optional<net::any_completion_executor> ex_;
};

// Whether the operation may be cancelled before its work starts. Close and
// cleanup never are.
enum class cancellable : bool { no = false, yes = true };

template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// The value a completion carries with an error: T{}, but -1 for an int (the
// only int results are file descriptors: 0 would be stdin).
template <class T>
value_or_monostate<T> value_on_error() {
    if constexpr (std::is_same_v<T, int>)
        return -1;
    else
        return {};
}

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

// No undo: what the work made is released by its own destructor.
struct no_undo {
    template <class V>
    void operator()(V&) const noexcept {}
};

// The error for an exception that escaped blocking work: out of memory
// (std::bad_alloc, std::length_error from a container) or a system error;
// anything else is reported as EIO rather than reaching std::terminate.
inline error_code error_of_current_exception() noexcept {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        return os_error(ENOMEM);
    } catch (const std::length_error&) {
        return os_error(ENOMEM);
    } catch (const boost::system::system_error& e) {
        return e.code();
    } catch (...) {
        return os_error(EIO);
    }
}

// Work is called as `T work(error_code&, const std::atomic<bool>& cancelled)`;
// creations look at `cancelled` after creating, to undo and abort.
// `Undo(T&)` removes a successful result that could not be delivered (the
// io_context was stopped and destroyed with the completion still queued).
//
// Lifetime: the work (and whatever it captured, e.g. the file's state) is
// destroyed on the worker as soon as it has run, and the operation itself
// before the handler is called, so when the handler destroys the last
// user-visible object, nothing of the operation keeps its state alive.
//
// The execution context of the handler's executor may be destroyed while
// the job is queued or running (backend.hpp, job): the pool then deletes the
// job without running it, or the context's destruction releases the handler
// and the tracked executor (release_completion) and the worker deletes the
// job after its work, which undoes the result. Nothing is posted.
template <class T, class Work, class Undo = no_undo>
class blocking_op final : public job {
  public:
    blocking_op(handler_of<T> h, Work work, cancellable c, Undo undo = {})
        : handler_(std::move(h)),
          work_(std::move(work)),
          undo_(std::move(undo)),
          executor_(net::prefer(net::get_associated_executor(handler_),
                                net::execution::outstanding_work.tracked)) {
        // First: it may throw (bad_alloc), and nothing may refer to `this` yet.
        if (net::execution_context* ctx = handler_.context()) {
            if (!watch_jobs_of(*ctx, *this)) {
                // Made while its context is being destroyed (by a destructor
                // that context runs): nowhere to deliver; undone when done.
                release_completion();
                return;
            }
            batched_ = handler_.posts_to_io_context();
        }
        if (c == cancellable::yes) {
            slot_ = net::get_associated_cancellation_slot(handler_);
            if (slot_.is_connected())
                slot_.assign([this](net::cancellation_type) { cancelled_.store(true); });
        }
    }

    ~blocking_op() override {
        if (!delivered_ && ran_ && !ec_) undo_(value_);
    }

    void run() noexcept override {
        if (cancelled_.load()) {
            ec_ = net::error::operation_aborted;
        } else {
            try {
                if constexpr (std::is_void_v<T>)
                    (*work_)(ec_, cancelled_);
                else
                    value_ = (*work_)(ec_, cancelled_);
                ran_ = true;
            } catch (...) {
                ec_ = error_of_current_exception();
            }
        }
        work_.reset();
    }

    void complete() noexcept override { post_delivery(std::unique_ptr<blocking_op>(this)); }

    // The pool could not take the job (no worker could be started).
    void reject(error_code ec) noexcept override {
        std::unique_ptr<blocking_op> self(this);
        ec_ = ec;
        work_.reset();
        post_delivery(std::move(self));
    }

    // On the thread destroying the context, while the work may be running on
    // a worker: it touches none of these (the cancellation handler sets
    // cancelled_, an atomic; nothing emits during the destruction).
    void release_completion() noexcept override {
        if (slot_.is_connected()) slot_.clear();
        // Moved out, not assigned: Boost 1.81's any_completion_handler move
        // assignment wraps the empty handler it is given (a null call).
        { auto gone = std::move(handler_); }
        { auto gone = std::move(executor_); }  // its tracked work: on a context still alive
    }

  private:
    void deliver() override { deliver(std::unique_ptr<blocking_op>(this)); }

    static void post_delivery(std::unique_ptr<blocking_op> self) noexcept {
        if (!self->handler_) return;  // released (made during the destruction): undone here
        // Runs on the io_context itself (the handler's executor is its own,
        // never blocking): with the other completions of a batch.
        if (self->batched_) return deliver_in_batch(std::move(self));
        // A fresh executor (its own target and work count), made before
        // `self` moves: the shared one inside `self` may be released on the
        // completion's thread while this thread is still inside execute().
        auto ex = net::prefer(self->executor_, net::execution::relationship.fork);
        post_to(ex, [self = std::move(self)]() mutable { deliver(std::move(self)); });
    }

    static void deliver(std::unique_ptr<blocking_op> self) {
        if (self->slot_.is_connected()) self->slot_.clear();
        auto h = std::move(self->handler_);
        error_code ec = self->ec_;
        auto value = std::move(self->value_);
        self->delivered_ = true;
        self.reset();  // before the upcall (see Lifetime above)
        if constexpr (std::is_void_v<T>)
            std::move(h)(ec);
        else
            std::move(h)(ec, std::move(value));
    }

    handler_of<T> handler_;
    std::optional<Work> work_;
    Undo undo_;
    decltype(net::prefer(std::declval<net::any_completion_executor>(),
                         net::execution::outstanding_work.tracked)) executor_;
    bool batched_ = false;  // its context is the io_context it runs on: deliver_in_batch
    net::cancellation_slot slot_;
    in_flight_mark in_flight_;  // until just before the handler runs
    std::atomic<bool> cancelled_{false};
    bool ran_ = false;
    bool delivered_ = false;
    error_code ec_;
    value_or_monostate<T> value_ = value_on_error<T>();
};

// Whether a job is brief (job::brief): an operation's calls on one file.
enum class job_length : bool { open_ended = false, brief = true };

// Runs `work` on the backend and completes `h` with its result.
template <class T, class Work, class Undo = no_undo>
void run_blocking(handler_of<T> h, Work work, cancellable c = cancellable::yes, Undo undo = {},
                  job_length length = job_length::open_ended) {
    auto j = std::make_unique<blocking_op<T, Work, Undo>>(std::move(h), std::move(work), c,
                                                          std::move(undo));
    j->brief = length == job_length::brief;
    submit(std::move(j));
}

// A value that is undone (Undo(T&)) when destroyed without being taken:
// what a completion that is never delivered leaves behind.
template <class T, class Undo>
class undo_unless_taken {
  public:
    undo_unless_taken(T v, Undo u) : value_(std::move(v)), undo_(std::move(u)) {}
    undo_unless_taken(undo_unless_taken&& o) noexcept
        : value_(std::move(o.value_)),
          undo_(std::move(o.undo_)),
          armed_(std::exchange(o.armed_, false)) {}
    undo_unless_taken& operator=(undo_unless_taken&&) = delete;
    ~undo_unless_taken() {
        if (armed_) undo_(value_);
    }
    T take() noexcept {
        armed_ = false;
        return std::move(value_);
    }

  private:
    T value_;
    Undo undo_;
    bool armed_ = true;
};

// Completes `h` with a successful result that Undo removes if the completion
// is destroyed undelivered.
// `mark` (an operation's share of the count in flight) is kept until just
// before the handler runs.
template <class T, class Undo>
void complete_soon_or_undo(handler<T> h, T value, Undo undo,
                           in_flight_mark mark = in_flight_mark::none()) {
    completion_target target(h);
    target.post([h = std::move(h),
                 v = undo_unless_taken<T, Undo>(std::move(value), std::move(undo)),
                 mark = std::move(mark)]() mutable {
        auto handler = std::move(h);
        mark.release();
        std::move(handler)(error_code(), v.take());
    });
}

// Completes `h` with an already known result: posted, so never inline, and
// no worker hop. `mark`, when given, is kept until just before the handler
// runs.
template <class... T, class... V>
void complete_soon(in_flight_mark mark, handler<T...> h, error_code ec, V&&... v) {
    // No outstanding_work.tracked needed: the posted function is itself work.
    completion_target target(h);
    target.post(
        [mark = std::move(mark), h = std::move(h), ec, ... v = std::forward<V>(v)]() mutable {
            mark.release();
            std::move(h)(ec, std::move(v)...);
        });
}
template <class... T, class... V>
void complete_soon(handler<T...> h, error_code ec, V&&... v) {
    complete_soon(in_flight_mark::none(), std::move(h), ec, std::forward<V>(v)...);
}

// Resumes a coroutine's own handler here, within inline_resumption's bound,
// `mark` released just before; false, nothing touched (not a coroutine's
// handler, or the bound reached): the caller posts it instead. Only for a
// call made from the initiating function.
template <class... T, class... V>
bool resumed_here(handler<T...>& h, in_flight_mark& mark, error_code ec, V&&... v) {
    if (!h.resumes_coroutine()) return false;
    inline_resumption slot;
    if (!slot) return false;
    mark.release();
    std::move(h)(ec, std::forward<V>(v)...);
    return true;
}

// Completes `h` with a result known inside its initiation: resumed here
// (resumed_here), else posted (complete_soon). `mark`, when given, is kept
// until just before the handler runs.
template <class... T, class... V>
void complete_at_once(in_flight_mark mark, handler<T...> h, error_code ec, V&&... v) {
    if (!resumed_here(h, mark, ec, std::forward<V>(v)...))
        complete_soon(std::move(mark), std::move(h), ec, std::forward<V>(v)...);
}
template <class... T, class... V>
void complete_at_once(handler<T...> h, error_code ec, V&&... v) {
    complete_at_once(in_flight_mark::none(), std::move(h), ec, std::forward<V>(v)...);
}

}  // namespace tempio::detail
