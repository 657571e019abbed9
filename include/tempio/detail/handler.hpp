// The type-erased handlers the compiled engine receives, and the token
// plumbing that turns any completion token into one of them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/blocking.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>

#include "tempio/config.hpp"
#include "tempio/detail/asio_compat.hpp"  // is_coroutine_handler

namespace tempio::detail {

// Tags the constructors that adopt a core made by the engine, so they never
// compete with the public constructors in overload resolution.
struct adopt_core_t {
    explicit adopt_core_t() = default;
};
inline constexpr adopt_core_t adopt_core{};

// The executor a completion is delivered through. The engine only sees an
// any_completion_executor, which cannot express blocking.never; requiring it
// here, where the real executor type is known, is what keeps completions
// from ever running inside the initiating call.
template <class Executor>
auto never_blocking(const Executor& ex) {
    return net::prefer(ex, net::execution::blocking.never);
}

// An io_context executor, with any of its (public) property bits, inside a
// polymorphic executor (any_io_executor: what coroutines run on).
// execution_context is not polymorphic, so the context cannot be asked.
template <class Executor, std::uintptr_t... Bits>
net::io_context* io_context_target(const Executor& ex,
                                   std::integer_sequence<std::uintptr_t, Bits...>) {
    net::io_context* found = nullptr;
    (..., (found = found ? found : [&]() -> net::io_context* {
         using target = net::io_context::basic_executor_type<std::allocator<void>, Bits>;
         const target* t = ex.template target<target>();
         return t ? &t->context() : nullptr;
     }()));
    return found;
}

// The io_context that runs an executor's work, or null (another kind of
// executor). The engine gives operations whose completion runs on an
// io_context to that io_context's io_uring ring: io_context executors and
// strands of them say their context; polymorphic executors are looked into.
template <class Executor>
net::io_context* io_context_of(const Executor& ex) {
    if constexpr (net::can_query<const Executor&, net::execution::context_t>::value) {
        using context_type = decltype(net::query(ex, net::execution::context));
        if constexpr (std::is_convertible_v<context_type, net::io_context&>)
            return &net::query(ex, net::execution::context);
        else if constexpr (requires { ex.template target<net::io_context::executor_type>(); })
            return io_context_target(ex, std::make_integer_sequence<std::uintptr_t, 8>());
    }
    return nullptr;
}

// The execution context an executor's work runs in (for any executor that
// can say: io_context, strand, thread_pool, system, any_io_executor), or
// null. Its destruction is what ends a completion's executor: the engine
// watches it so that no worker touches it afterwards (async/blocking_op.hpp).
// Asked here, where the executor's type is known: the engine's
// any_completion_executor cannot be queried for its context.
template <class Executor>
net::execution_context* execution_context_of(const Executor& ex) {
    if constexpr (net::can_query<const Executor&, net::execution::context_t>::value) {
        if constexpr (requires { static_cast<bool>(ex); })
            if (!static_cast<bool>(ex)) return nullptr;  // an empty polymorphic executor
        net::execution_context& ctx = net::query(ex, net::execution::context);
        return &ctx;
    }
    return nullptr;
}

// Coroutines resumed inside an initiation and not yet returned, on this
// thread (async/inline_resumption.cpp). constinit: read without a call.
extern thread_local constinit unsigned inline_resumptions_nested;

// Bounds the coroutines resumed inside their initiation on this thread:
// each one nests on the stack until a completion is posted, so after `limit`
// in a row the next is posted, which unwinds the stack and lets the
// io_context's other handlers run (a coroutine that only fills a buffer
// cannot starve them).
class inline_resumption {
  public:
    static constexpr unsigned limit = 16;
    inline_resumption() noexcept : taken_(inline_resumptions_nested < limit) {  // a slot if free
        if (taken_) ++inline_resumptions_nested;
    }
    ~inline_resumption() {
        if (taken_) --inline_resumptions_nested;
    }
    inline_resumption(const inline_resumption&) = delete;
    inline_resumption& operator=(const inline_resumption&) = delete;
    explicit operator bool() const noexcept { return taken_; }

  private:
    bool taken_;
};

// What the compiled engine receives: the type-erased completion handler
// (bound to its never-blocking executor) and the io_context that executor
// runs on, if any, as an argument (there is no other channel).
template <class... T>
class handler {
  public:
    using erased_type = net::any_completion_handler<void(error_code, T...)>;
    using executor_type = net::any_completion_executor;
    using cancellation_slot_type = net::cancellation_slot;
    using allocator_type = typename erased_type::allocator_type;

    handler() = default;
    handler(erased_type h, net::io_context* io, net::execution_context* context,
            bool coroutine = false, bool posts_to_io = false) noexcept
        : h_(std::move(h)),
          io_(io),
          context_(context),
          coroutine_(coroutine),
          posts_to_io_(posts_to_io) {}

    executor_type get_executor() const noexcept { return net::get_associated_executor(h_); }
    cancellation_slot_type get_cancellation_slot() const noexcept {
        return h_.get_cancellation_slot();
    }
    allocator_type get_allocator() const noexcept { return h_.get_allocator(); }
    net::io_context* io_context() const noexcept { return io_; }
    // The execution context the handler's executor belongs to
    // (execution_context_of), or null when unknown.
    net::execution_context* context() const noexcept { return context_; }
    // A coroutine's own handler (is_coroutine_handler): a result known inside
    // the initiation may resume it there.
    bool resumes_coroutine() const noexcept { return coroutine_; }
    // The handler's executor is io_context()'s own, never blocking: a
    // completion may be posted to the io_context directly (handler_on).
    bool posts_to_io_context() const noexcept { return posts_to_io_; }
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }

    template <class... A>
    void operator()(A&&... a) && {
        std::move(h_)(std::forward<A>(a)...);
    }

  private:
    erased_type h_;
    net::io_context* io_ = nullptr;
    net::execution_context* context_ = nullptr;
    bool coroutine_ = false;
    bool posts_to_io_ = false;
};

// The engine's handler for a handler whose associated executor is `ex`:
// `bind(hex)` binds it to `hex`, `ex` made never-blocking. A coroutine on an
// io_context (co_spawn on one: an any_io_executor around the context's own
// executor) is bound to that executor itself, unwrapped. Bound to an
// any_io_executor, every completion would convert it to the engine's
// any_completion_executor, which allocates (a shared target) and calls
// through two tables; unwrapped, the completion is posted to the io_context
// directly (posts_to_io_context). Where it runs is the same: that
// io_context, never inside the initiating call.
template <class... T, class Executor, class Bind>
handler<T...> handler_on(const Executor& ex, bool coroutine, Bind bind) {
    if constexpr (std::is_same_v<Executor, net::any_io_executor>) {
        if (const auto* plain = ex.template target<net::io_context::executor_type>()) {
            auto hex = net::require(*plain, net::execution::blocking.never);
            net::io_context& io = plain->context();
            return handler<T...>(bind(hex), &io, &io, coroutine, true);
        }
    } else if constexpr (std::is_same_v<Executor, net::io_context::executor_type>) {
        // bind_executor(io_context, ...): the same, already unwrapped.
        auto hex = net::require(ex, net::execution::blocking.never);
        net::io_context& io = ex.context();
        return handler<T...>(bind(hex), &io, &io, coroutine, true);
    }
    auto hex = never_blocking(ex);
    return handler<T...>(bind(hex), io_context_of(hex), execution_context_of(hex), coroutine);
}

// An I/O object's executor as its operations keep it, for the one case that
// needs it: a handler without an executor of its own. Copying, moving and
// destroying an any_io_executor are indirect calls; an operation does each a
// few times (deferred, then started), 82 of the 520 instructions of a
// buffered 64-byte write. One around a plain io_context executor (what
// co_spawn on an io_context gives) is kept as the io_context's address.
template <class Executor>
class kept_executor {
  public:
    explicit kept_executor(const Executor& ex) : ex_(ex) {}
    const Executor& get() const noexcept { return ex_; }

  private:
    Executor ex_;
};
template <>
class kept_executor<net::any_io_executor> {
  public:
    explicit kept_executor(const net::any_io_executor& ex) {
        if (const auto* plain = ex.target<net::io_context::executor_type>())
            io_ = &plain->context();
        else
            other_.emplace(ex);
    }
    net::any_io_executor get() const noexcept {
        return io_ ? net::any_io_executor(io_->get_executor()) : *other_;
    }

  private:
    net::io_context* io_ = nullptr;
    std::optional<net::any_io_executor> other_;  // when io_ is null
};
template <class Executor>
kept_executor<Executor> keep(const Executor& ex) {
    return kept_executor<Executor>(ex);
}
template <class Executor>
const kept_executor<Executor>& keep(const kept_executor<Executor>& kept) {
    return kept;
}

template <class H>
inline constexpr bool is_executor_binder = false;
template <class H, class Executor>
inline constexpr bool is_executor_binder<net::executor_binder<H, Executor>> = true;

// What an executor_binder binds (its executor is the associated one, which
// handler_on binds again): Asio cannot bind a binder to an executor of
// another type. Its other associations (allocator, cancellation slot) are
// the target's own.
template <class H>
decltype(auto) binder_target(H&& h) {
    if constexpr (is_executor_binder<std::decay_t<H>>)
        return binder_target(std::move(h.get()));
    else
        return std::forward<H>(h);
}

// The engine's handler for a completion handler `h` whose associated
// executor is `ex`.
template <class... T, class H, class Executor>
handler<T...> make_handler(H&& h, const Executor& ex) {
    return handler_on<T...>(ex, is_coroutine_handler<std::decay_t<H>>, [&](const auto& hex) {
        return net::bind_executor(hex, binder_target(std::forward<H>(h)));
    });
}

// Starts an operation without an I/O object: the handler's associated
// executor (the coroutine's, for co_await) runs the completion.
template <class... T, class Token, class Start, class... Args>
auto initiate(Token&& token, Start start, Args&&... args) {
    return net::async_initiate<Token, void(error_code, T...)>(
        [start](auto h, auto&&... a) mutable {
            auto ex = net::get_associated_executor(h);
            start(std::move(a)..., make_handler<T...>(std::move(h), ex));
        },
        token, std::forward<Args>(args)...);
}

// Starts an operation of an I/O object whose executor is `ex` (or a
// kept_executor of it): as in Asio, that executor runs the completion
// unless the handler has its own.
template <class... T, class Executor, class Token, class Start, class... Args>
auto initiate_on(const Executor& ex, Token&& token, Start start, Args&&... args) {
    return net::async_initiate<Token, void(error_code, T...)>(
        [ex = keep(ex), start](auto h, auto&&... a) mutable {
            auto hex = net::get_associated_executor(h, ex.get());
            start(std::move(a)..., make_handler<T...>(std::move(h), hex));
        },
        token, std::forward<Args>(args)...);
}

// A result an operation could produce inside its initiation: its work was
// done without a system call (a buffered write, a buffered line).
template <class T>
struct result_now {
    error_code ec;
    T value;
};

// As initiate_on, for an operation that can often finish at once: when the
// handler is a coroutine's own (is_coroutine_handler), `now(target)` is
// tried first, and a result resumes the coroutine here if a slot of
// inline_resumption is free, else through a post; either way through no
// type erasure. Otherwise, or when `now` returns nothing (it then did
// nothing), `start(target, handler)` runs as with initiate_on. `target`
// (the file's core_ref) is captured once for both. Nothing of the initiation
// may be touched once the coroutine resumed: it may have destroyed the
// operation.
template <class T, class Executor, class Token, class Target, class Now, class Start>
auto initiate_on_or_now(const Executor& ex, Token&& token, Target target, Now now, Start start) {
    return net::async_initiate<Token, void(error_code, T)>(
        [ex = keep(ex), target = std::move(target), now, start](auto h) mutable {
            if constexpr (is_coroutine_handler<decltype(h)>) {
                inline_resumption slot;
                if (std::optional<result_now<T>> r = now(target)) {
                    if (slot) {
                        std::move(h)(r->ec, std::move(r->value));
                    } else {
                        auto hex = net::get_associated_executor(h, ex.get());
                        net::post(hex, [h = std::move(h), r = std::move(*r)]() mutable {
                            std::move(h)(r.ec, std::move(r.value));
                        });
                    }
                    return;
                }
            }
            auto hex = net::get_associated_executor(h, ex.get());
            start(target, make_handler<T>(std::move(h), hex));
        },
        token);
}

}  // namespace tempio::detail
