// The type-erased handlers the compiled engine receives, and the token
// plumbing that turns any completion token into one of them.
#pragma once

#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/execution/blocking.hpp>
#include <boost/asio/prefer.hpp>

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

// Starts an operation without an I/O object: the handler's associated
// executor (the coroutine's, for co_await) runs the completion.
template <class... T, class Token, class Start, class... Args>
auto initiate(Token&& token, Start start, Args&&... args) {
    return net::async_initiate<Token, void(error_code, T...)>(
        [start](auto h, auto&&... a) mutable {
            auto hex = never_blocking(net::get_associated_executor(h));
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
            start(std::move(a)..., handler<T...>(net::bind_executor(hex, std::move(h))));
        },
        token, std::forward<Args>(args)...);
}

}  // namespace tempio::detail
