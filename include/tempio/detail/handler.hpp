// The type-erased handlers the compiled engine receives, and the token
// plumbing that turns any completion token into one of them.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/blocking.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>

#include "tempio/config.hpp"

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

template <class... T>
using handler = net::any_completion_handler<void(error_code, T...)>;

// The io_context that will run the completion of the operation being
// started on this thread, or null (another kind of executor). The erased
// executor cannot be asked, so the initiating function says it for the
// duration of the start call; the engine uses that io_context's io_uring ring.
inline thread_local net::io_context* starting_context = nullptr;

// An io_context executor with any of its property bits, inside a
// polymorphic executor (any_io_executor: what coroutines run on).
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

// io_context executors and strands of them say their context; polymorphic
// executors are looked into; anything else: null.
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

class starting_context_scope {
  public:
    explicit starting_context_scope(net::io_context* ctx) noexcept : saved_(starting_context) {
        starting_context = ctx;
    }
    ~starting_context_scope() { starting_context = saved_; }
    starting_context_scope(const starting_context_scope&) = delete;
    starting_context_scope& operator=(const starting_context_scope&) = delete;

  private:
    net::io_context* saved_;
};

// Starts an operation without an I/O object: the handler's associated
// executor (the coroutine's, for co_await) runs the completion.
template <class... T, class Token, class Start, class... Args>
auto initiate(Token&& token, Start start, Args&&... args) {
    return net::async_initiate<Token, void(error_code, T...)>(
        [start](auto h, auto&&... a) mutable {
            auto hex = never_blocking(net::get_associated_executor(h));
            starting_context_scope scope(io_context_of(hex));
            start(std::move(a)..., handler<T...>(net::bind_executor(hex, std::move(h))));
        },
        token, std::forward<Args>(args)...);
}

// Starts an operation of an I/O object whose executor is `ex`: as in Asio,
// that executor runs the completion unless the handler has its own.
template <class... T, class Executor, class Token, class Start, class... Args>
auto initiate_on(const Executor& ex, Token&& token, Start start, Args&&... args) {
    return net::async_initiate<Token, void(error_code, T...)>(
        [ex, start](auto h, auto&&... a) mutable {
            auto hex = never_blocking(net::get_associated_executor(h, ex));
            starting_context_scope scope(io_context_of(hex));
            start(std::move(a)..., handler<T...>(net::bind_executor(hex, std::move(h))));
        },
        token, std::forward<Args>(args)...);
}

}  // namespace tempio::detail
