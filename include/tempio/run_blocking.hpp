/// @file
/// @brief tempio/run_blocking.hpp: async_run_blocking(f, token), anyio's
/// `to_thread.run_sync`: the caller's own blocking call (rename, stat, reading
/// an input file) as one job on tempio's worker pool, so a program needs no
/// second pool to keep blocking calls off its event loop.
///
/// `async_run_blocking(f, token)` completes with `void(std::exception_ptr, R)`,
/// R = the result of f() (as `net::co_spawn` does): f's exception, or null and
/// its value. R must be default constructible (the value passed with an
/// error). `async_run_blocking(f)` without a token returns `net::awaitable<R>`:
/// `R r = co_await tempio::async_run_blocking(f);` returns the value or
/// rethrows f's exception. (Why not `net::deferred`, as everywhere else: Boost
/// 1.81, Debian 12's, cannot `co_await` a `void(std::exception_ptr, T)`
/// operation; its `awaitable_async_op_handler` does not compile. With an
/// explicit token inside a coroutine, use `net::as_tuple(net::use_awaitable)`.)
/// The completion runs on the handler's associated executor, never inside this
/// call; f runs on a worker thread and is destroyed there.
///
/// @code
///   auto size_of = [path] { return std::filesystem::file_size(path); };
///   std::uintmax_t n = co_await tempio::async_run_blocking(size_of);  // or std::move(size_of)
/// @endcode
/// Name a lambda that captures by value before the `co_await`, as above:
/// written as a temporary inside the `co_await` expression
/// (`co_await tempio::async_run_blocking([path] {...})`), g++ 12 destroys it
/// twice when a capture has a destructor (a `std::string`, a path): "double
/// free or corruption" (verified with g++ 12.2.0; clang 19 is correct). A
/// lambda that captures only by reference (`[&]`) is not affected.
/// docs/coroutines.md.
///
/// Cancellation (terminal, partial, total): cancelled before it starts, f
/// never runs and the completion carries `system_error(operation_aborted)`.
/// Once f runs it is not interrupted.
/// Lifetime: f is moved into the operation; whatever it refers to must stay
/// alive until the completion.
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"

namespace tempio {

namespace detail {

// The caller's function, type-erased for the compiled pool: run() once on a
// worker; the result or exception stays inside until delivered.
struct user_work {
    virtual ~user_work() = default;
    virtual void run() noexcept = 0;
};
using user_work_ptr = std::unique_ptr<user_work>;
void start_user_work(user_work_ptr w, handler<user_work_ptr> h);

template <class F, class R = std::invoke_result_t<F&>>
struct user_work_of final : user_work {
    explicit user_work_of(F fn) : f(std::move(fn)) {}
    void run() noexcept override {
        try {
            if constexpr (std::is_void_v<R>)
                f();
            else
                value = f();
        } catch (...) {
            error = std::current_exception();
        }
    }
    F f;
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<R>, char, R> value{};
};

template <class R>
struct run_blocking_signature {
    using type = void(std::exception_ptr, R);
};
template <>
struct run_blocking_signature<void> {
    using type = void(std::exception_ptr);
};

}  // namespace detail

/// @brief Runs the caller's blocking function `f()` as one job on tempio's
/// worker pool (anyio's `to_thread.run_sync`), and completes with its result or
/// its exception.
///
/// The completion runs on the handler's associated executor, never inside
/// this call (a plain callback with no associated executor runs on Asio's
/// system executor: bind one with `net::bind_executor`). `f` runs on a worker
/// thread, never on the io_context. Use it for the program's own blocking
/// calls (rename, stat, reading an input file) so that they stay off the
/// event loop without a second pool. With the io_uring backend too, `f` runs
/// on the pool.
/// @tparam R The result of `f()`: void, or default constructible (the value
/// passed with an error).
/// @param f The function, callable with no arguments; decay-copied (moved)
/// into the operation, run at most once, and destroyed on the worker.
/// @param token The completion token (required here; inside a coroutine, use
/// `net::as_tuple(net::use_awaitable)`, or the overload without a token).
/// @return What the token makes of the operation.
/// @par Completion signature
/// `void(std::exception_ptr e, R value)` (`void(std::exception_ptr e)` when
/// R is void), as `net::co_spawn`: null and `f`'s value, or the exception
/// and `R{}`.
/// @par Per-operation cancellation
/// `terminal`, `partial`, `total`, before the job starts: `f` never runs, and
/// `e` holds `system_error(operation_aborted)`. Once `f` runs it is not
/// interrupted.
/// @par Lifetime
/// Whatever `f` refers to must stay alive until the completion.
/// @par Errors
/// `f`'s exception; `system_error(operation_aborted)` when cancelled;
/// `system_error` with `EAGAIN` or `ENOMEM` when no worker thread could be
/// started (`f` did not run).
template <class F, class R = std::invoke_result_t<std::decay_t<F>&>,
          net::completion_token_for<typename detail::run_blocking_signature<R>::type> Token>
requires(std::is_void_v<R> ||
         std::is_default_constructible_v<R>) auto async_run_blocking(F&& f, Token&& token) {
    using Fn = std::decay_t<F>;
    using signature = typename detail::run_blocking_signature<R>::type;
    return net::async_initiate<Token, signature>(
        [](auto h, Fn fn) {
            auto ex = net::get_associated_executor(h);
            auto slot = net::get_associated_cancellation_slot(h);
            auto deliver = [h = std::move(h)](error_code ec, detail::user_work_ptr w) mutable {
                auto* work = static_cast<detail::user_work_of<Fn>*>(w.get());
                std::exception_ptr e;
                if (ec)
                    e = std::make_exception_ptr(
                        boost::system::system_error(ec, "tempio::async_run_blocking"));
                else
                    e = work->error;
                if constexpr (std::is_void_v<R>) {
                    w.reset();
                    std::move(h)(e);
                } else {
                    R value = (ec || e) ? R{} : std::move(work->value);
                    w.reset();
                    std::move(h)(e, std::move(value));
                }
            };
            detail::start_user_work(
                std::make_unique<detail::user_work_of<Fn>>(std::move(fn)),
                detail::handler_on<detail::user_work_ptr>(ex, false, [&](const auto& hex) {
                    return net::bind_cancellation_slot(slot,
                                                       net::bind_executor(hex, std::move(deliver)));
                }));
        },
        token, Fn(std::forward<F>(f)));
}

/// @brief The coroutine form: the value, or f's exception rethrown.
///
/// `R r = co_await tempio::async_run_blocking(f);`: as the overload with a
/// token, awaited with `net::as_tuple(net::use_awaitable)`, then the exception
/// rethrown. Like every `net::awaitable`, it runs when awaited, inside a
/// coroutine on a `net::any_io_executor`.
/// @param f The function, callable with no arguments; copied (an lvalue) or
/// moved into the coroutine frame when awaited. A lambda that captures by
/// value must be a named local, not a temporary inside the `co_await`
/// (g++ 12: see the file description, docs/coroutines.md).
/// @return An awaitable that yields `f()`'s value.
/// @par Per-operation cancellation
/// The awaiting coroutine's cancellation: `terminal`, `partial`, `total`,
/// before the job starts; then `f` never runs and the `co_await` throws
/// `system_error(operation_aborted)`.
/// @par Lifetime
/// Whatever `f` refers to must stay alive until the `co_await` completes.
/// @par Errors
/// Throws `f`'s exception, `system_error(operation_aborted)` when cancelled,
/// or `system_error` (`EAGAIN`, `ENOMEM`) when no worker could be started.
template <class F, class R = std::invoke_result_t<std::decay_t<F>&>>
requires(std::is_void_v<R> ||
         std::is_default_constructible_v<R>) net::awaitable<R> async_run_blocking(F&& f) {
    std::decay_t<F> fn(std::forward<F>(f));
    if constexpr (std::is_void_v<R>) {
        auto [e] = co_await async_run_blocking(std::move(fn), net::as_tuple(net::use_awaitable));
        if (e) std::rethrow_exception(e);
    } else {
        auto [e, value] =
            co_await async_run_blocking(std::move(fn), net::as_tuple(net::use_awaitable));
        if (e) std::rethrow_exception(e);
        co_return std::move(value);
    }
}

}  // namespace tempio
