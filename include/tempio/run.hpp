// tempio/run.hpp: tempio::run(f), anyio.run's counterpart: runs the coroutine
// f() on a fresh io_context until it finishes; returns its value or rethrows.
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
