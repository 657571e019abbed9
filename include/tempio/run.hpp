/// @file
/// @brief tempio/run.hpp: tempio::run(f), anyio.run's counterpart: runs the
/// coroutine f() on a fresh io_context until it finishes; returns its value or
/// rethrows.
#pragma once

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "tempio/config.hpp"

namespace tempio {

namespace detail {
template <class A>
struct awaitable_value;
template <class T, class E>
struct awaitable_value<net::awaitable<T, E>> {
    using type = T;
};
}  // namespace detail

/// @brief Runs the coroutine `f()` on a fresh io_context until it finishes
/// (anyio's `run`); returns its value or rethrows its exception.
///
/// Blocks the calling thread, which runs the io_context alone (one thread),
/// until the coroutine and everything else on that io_context are done.
/// Example: `int n = tempio::run([]() -> net::awaitable<int> { ... });`.
/// @tparam F A callable with no arguments that returns `net::awaitable<T>`;
/// `T` is void or default constructible (as `net::co_spawn` requires).
/// @param f The callable; called once, on the calling thread. What the
/// coroutine refers to must stay alive until run() returns.
/// @return What the coroutine returns (nothing for `net::awaitable<void>`).
/// @par Exceptions
/// Whatever the coroutine throws is rethrown here.
template <class F>
auto run(F&& f) {
    using T = typename detail::awaitable_value<std::invoke_result_t<F&>>::type;
    net::io_context ctx;
    std::exception_ptr error;
    if constexpr (std::is_void_v<T>) {
        net::co_spawn(ctx, std::forward<F>(f)(), [&](std::exception_ptr e) { error = e; });
        ctx.run();
        if (error) std::rethrow_exception(error);
    } else {
        std::optional<T> result;
        net::co_spawn(ctx, std::forward<F>(f)(), [&](std::exception_ptr e, T value) {
            error = e;
            if (!e) result.emplace(std::move(value));
        });
        ctx.run();
        if (error) std::rethrow_exception(error);
        return std::move(*result);
    }
}

}  // namespace tempio
