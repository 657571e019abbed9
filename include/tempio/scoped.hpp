/// @file
/// @brief tempio/scoped.hpp: anyio's `async with` for the four classes.
///
/// @code
///   auto fill = [name](tempio::temporary_directory& d) -> net::awaitable<std::string> {
///       co_await tempio::async_write_file_atomically(d.path() / name, "data");
///       co_return name;
///   };
///   std::string r = co_await tempio::with_temporary_directory({}, std::move(fill));
/// @endcode
///
/// Name `fn` before the `co_await`, as above, whenever it captures by value
/// something with a destructor (a `std::string`, a path): g++ 12 destroys
/// such a lambda twice when it is written as a temporary inside the
/// `co_await` expression ("double free or corruption"; verified with g++
/// 12.2.0; clang 19 is correct). A lambda that captures only by reference,
/// or nothing, is not affected. docs/coroutines.md.
///
/// Each helper creates the object, awaits fn(object), then awaits its
/// async_close / async_cleanup whether fn returned, threw, or its coroutine was
/// cancelled, and returns fn's result or rethrows fn's exception. If fn
/// succeeded and the cleanup failed, the cleanup's error is thrown
/// (system_error). A directory kept by then (the `keep` option, keep(), or
/// a publish) is left in place, as CPython's `__exit__` leaves it. fn, and
/// what it captured, stays alive until fn's coroutine has finished.
///
/// Why: once a coroutine is cancelled, Asio's awaitable throws
/// operation_aborted at every co_await before the operation starts, so a plain
/// `co_await f.async_close()` in a catch handler never runs and cleanup falls
/// to the blocking destructor (22.8 ms on the loop for a 5,000-file tree).
/// These helpers switch throw_if_cancelled off around the cleanup (and restore
/// it); close and cleanup are never cancelled themselves.
///
/// Must stay alive: the strings the options view, until the co_await
/// completes (as for async_create). fn is called once, with the object by
/// reference; the object is destroyed when the helper returns.
#pragma once

#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "tempio/config.hpp"
#include "tempio/named_temporary_file.hpp"
#include "tempio/run.hpp"
#include "tempio/spooled_temporary_file.hpp"
#include "tempio/temporary_directory.hpp"
#include "tempio/temporary_file.hpp"

namespace tempio {

namespace detail {

template <class Fn, class X>
using scoped_result_t = typename awaitable_value<std::invoke_result_t<Fn&, X&>>::type;

// The end of the scope: close a file; clean a directory up unless it is
// kept (the keep option, keep(), or published), as CPython's __exit__.
inline net::awaitable<std::tuple<error_code>> finish_scope(auto& x) {
    if constexpr (requires { x.kept(); }) {
        if (x.kept()) co_return std::tuple<error_code>{};
        co_return co_await x.async_cleanup(net::as_tuple(net::use_awaitable));
    } else {
        co_return co_await x.async_close(net::as_tuple(net::use_awaitable));
    }
}

// Runs fn(x), then always awaits x's close or cleanup.
template <class X, class Fn>
net::awaitable<scoped_result_t<Fn, X>> run_scoped(X x, Fn fn) {
    using T = scoped_result_t<Fn, X>;
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> result;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await fn(x);
            result.emplace();
        } else {
            result.emplace(co_await fn(x));
        }
    } catch (...) {
        error = std::current_exception();
    }
    const bool throws = co_await net::this_coro::throw_if_cancelled();
    co_await net::this_coro::throw_if_cancelled(false);
    auto [ec] = co_await finish_scope(x);
    co_await net::this_coro::throw_if_cancelled(throws);
    if (error) std::rethrow_exception(error);
    if (ec) throw boost::system::system_error(ec, "tempio: cleanup at scope exit");
    if constexpr (!std::is_void_v<T>) co_return std::move(*result);
}

}  // namespace detail

/// @brief Creates a temporary file, awaits `fn(object)`, then always awaits its
/// `async_close` (anyio's `async with TemporaryFile(...) as x`).
///
/// `T r = co_await tempio::with_temporary_file({...}, fn);`. The cleanup is awaited
/// whether `fn` returned, threw, or its coroutine was cancelled (the cleanup
/// itself is never cancelled and never falls back to the blocking
/// destructor); then the helper returns `fn`'s result, or rethrows `fn`'s
/// exception. If `fn` succeeded and the cleanup failed, the cleanup's error is
/// thrown.
/// @param o The options, as for temporary_file::async_create.
/// @param fn Called once, with the object by reference, as `fn(x)`; returns
/// `net::awaitable<T>`. Moved into the coroutine. A lambda that captures
/// by value must be a named local, passed by name or moved, not a temporary
/// inside the `co_await` (g++ 12: docs/coroutines.md).
/// @return An awaitable, run when awaited (on the awaiting coroutine's
/// executor, which becomes the object's), that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// The awaiting coroutine's (`terminal`, `partial`, `total`): one that comes
/// before the object is made throws `operation_aborted` and leaves nothing
/// behind (see temporary_file::async_create); afterwards it reaches `fn`'s own
/// operations, and the cleanup still runs before the exception propagates.
/// @par Lifetime
/// The strings `o` views, until the `co_await` completes (as for
/// async_create). The object lives until the helper returns: `fn` must not
/// keep a reference to it, nor leave operations on it running.
/// @par Errors
/// Throws `system_error`: temporary_file::async_create's errors (nothing was made, `fn`
/// is not called); the cleanup's error (message "tempio: cleanup at scope
/// exit") when `fn` succeeded. Otherwise whatever `fn` throws.
template <class Fn>
net::awaitable<detail::scoped_result_t<Fn, temporary_file>> with_temporary_file(
    temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await temporary_file::async_create(o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}
/// @brief As the overload without an executor, with `ex` as the object's
/// executor.
/// @param ex The executor of the object (for the completions of its
/// operations' handlers that have none).
/// @param o The options, as for temporary_file::async_create.
/// @param fn Called once, with the object by reference; returns
/// `net::awaitable<T>`.
/// @return An awaitable that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <class Executor, class Fn>
net::awaitable<detail::scoped_result_t<Fn, temporary_file>> with_temporary_file(
    const Executor& ex, temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await temporary_file::async_create(ex, o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}

/// @brief Creates a named temporary file, awaits `fn(object)`, then always awaits its
/// `async_close` (anyio's `async with NamedTemporaryFile(...) as x`).
///
/// `T r = co_await tempio::with_named_temporary_file({...}, fn);`. The cleanup is awaited
/// whether `fn` returned, threw, or its coroutine was cancelled (the cleanup
/// itself is never cancelled and never falls back to the blocking
/// destructor); then the helper returns `fn`'s result, or rethrows `fn`'s
/// exception. If `fn` succeeded and the cleanup failed, the cleanup's error is
/// thrown. The file is deleted by the close as its options say
/// (`delete_on_close = false`: when the object is destroyed, as the helper
/// returns; `keep`: never).
/// @param o The options, as for named_temporary_file::async_create.
/// @param fn Called once, with the object by reference, as `fn(x)`; returns
/// `net::awaitable<T>`. Moved into the coroutine. A lambda that captures
/// by value must be a named local, passed by name or moved, not a temporary
/// inside the `co_await` (g++ 12: docs/coroutines.md).
/// @return An awaitable, run when awaited (on the awaiting coroutine's
/// executor, which becomes the object's), that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// The awaiting coroutine's (`terminal`, `partial`, `total`): one that comes
/// before the object is made throws `operation_aborted` and leaves nothing
/// behind (see named_temporary_file::async_create); afterwards it reaches `fn`'s own
/// operations, and the cleanup still runs before the exception propagates.
/// @par Lifetime
/// The strings `o` views, until the `co_await` completes (as for
/// async_create). The object lives until the helper returns: `fn` must not
/// keep a reference to it, nor leave operations on it running.
/// @par Errors
/// Throws `system_error`: named_temporary_file::async_create's errors (nothing was made, `fn`
/// is not called); the cleanup's error (message "tempio: cleanup at scope
/// exit") when `fn` succeeded. Otherwise whatever `fn` throws.
template <class Fn>
net::awaitable<detail::scoped_result_t<Fn, named_temporary_file>> with_named_temporary_file(
    named_temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await named_temporary_file::async_create(o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}
/// @brief As the overload without an executor, with `ex` as the object's
/// executor.
/// @param ex The executor of the object (for the completions of its
/// operations' handlers that have none).
/// @param o The options, as for named_temporary_file::async_create.
/// @param fn Called once, with the object by reference; returns
/// `net::awaitable<T>`.
/// @return An awaitable that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <class Executor, class Fn>
net::awaitable<detail::scoped_result_t<Fn, named_temporary_file>> with_named_temporary_file(
    const Executor& ex, named_temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await named_temporary_file::async_create(ex, o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}

/// @brief Creates a spooled temporary file, awaits `fn(object)`, then always awaits its
/// `async_close` (anyio's `async with SpooledTemporaryFile(...) as x`).
///
/// `T r = co_await tempio::with_spooled_temporary_file({...}, fn);`. The cleanup is awaited
/// whether `fn` returned, threw, or its coroutine was cancelled (the cleanup
/// itself is never cancelled and never falls back to the blocking
/// destructor); then the helper returns `fn`'s result, or rethrows `fn`'s
/// exception. If `fn` succeeded and the cleanup failed, the cleanup's error is
/// thrown.
/// @param o The options, as for spooled_temporary_file::async_create.
/// @param fn Called once, with the object by reference, as `fn(x)`; returns
/// `net::awaitable<T>`. Moved into the coroutine. A lambda that captures
/// by value must be a named local, passed by name or moved, not a temporary
/// inside the `co_await` (g++ 12: docs/coroutines.md).
/// @return An awaitable, run when awaited (on the awaiting coroutine's
/// executor, which becomes the object's), that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// The awaiting coroutine's (`terminal`, `partial`, `total`): one that comes
/// before the object is made throws `operation_aborted` and leaves nothing
/// behind (see spooled_temporary_file::async_create); afterwards it reaches `fn`'s own
/// operations, and the cleanup still runs before the exception propagates.
/// @par Lifetime
/// The strings `o` views, until the `co_await` completes (as for
/// async_create). The object lives until the helper returns: `fn` must not
/// keep a reference to it, nor leave operations on it running.
/// @par Errors
/// Throws `system_error`: spooled_temporary_file::async_create's errors (nothing was made, `fn`
/// is not called); the cleanup's error (message "tempio: cleanup at scope
/// exit") when `fn` succeeded. Otherwise whatever `fn` throws.
template <class Fn>
net::awaitable<detail::scoped_result_t<Fn, spooled_temporary_file>> with_spooled_temporary_file(
    spooled_temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await spooled_temporary_file::async_create(o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}
/// @brief As the overload without an executor, with `ex` as the object's
/// executor.
/// @param ex The executor of the object (for the completions of its
/// operations' handlers that have none).
/// @param o The options, as for spooled_temporary_file::async_create.
/// @param fn Called once, with the object by reference; returns
/// `net::awaitable<T>`.
/// @return An awaitable that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <class Executor, class Fn>
net::awaitable<detail::scoped_result_t<Fn, spooled_temporary_file>> with_spooled_temporary_file(
    const Executor& ex, spooled_temporary_file::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await spooled_temporary_file::async_create(ex, o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}

/// @brief Creates a temporary directory, awaits `fn(object)`, then always awaits its
/// `async_cleanup` (anyio's `async with TemporaryDirectory(...) as x`).
///
/// `T r = co_await tempio::with_temporary_directory({...}, fn);`. The cleanup is awaited
/// whether `fn` returned, threw, or its coroutine was cancelled (the cleanup
/// itself is never cancelled and never falls back to the blocking
/// destructor); then the helper returns `fn`'s result, or rethrows `fn`'s
/// exception. If `fn` succeeded and the cleanup failed, the cleanup's error is
/// thrown.
/// A directory that is kept when `fn` ends is left in place, as CPython's
/// `__exit__` leaves it: the `keep = true` option, a call of `keep()`, or a
/// successful publish (`async_persist`, `async_persist_noclobber`,
/// `async_exchange`). Only a directory that is not kept is cleaned up.
/// @param o The options, as for temporary_directory::async_create.
/// @param fn Called once, with the object by reference, as `fn(x)`; returns
/// `net::awaitable<T>`. Moved into the coroutine. A lambda that captures
/// by value must be a named local, passed by name or moved, not a temporary
/// inside the `co_await` (g++ 12: docs/coroutines.md).
/// @return An awaitable, run when awaited (on the awaiting coroutine's
/// executor, which becomes the object's), that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// The awaiting coroutine's (`terminal`, `partial`, `total`): one that comes
/// before the object is made throws `operation_aborted` and leaves nothing
/// behind (see temporary_directory::async_create); afterwards it reaches `fn`'s own
/// operations, and the cleanup still runs before the exception propagates.
/// @par Lifetime
/// The strings `o` views, until the `co_await` completes (as for
/// async_create). The object lives until the helper returns: `fn` must not
/// keep a reference to it, nor leave operations on it running.
/// @par Errors
/// Throws `system_error`: temporary_directory::async_create's errors (nothing was made, `fn`
/// is not called); the cleanup's error (message "tempio: cleanup at scope
/// exit") when `fn` succeeded. Otherwise whatever `fn` throws.
template <class Fn>
net::awaitable<detail::scoped_result_t<Fn, temporary_directory>> with_temporary_directory(
    temporary_directory::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await temporary_directory::async_create(o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}
/// @brief As the overload without an executor, with `ex` as the object's
/// executor.
/// @param ex The executor of the object (for the completions of its
/// operations' handlers that have none).
/// @param o The options, as for temporary_directory::async_create.
/// @param fn Called once, with the object by reference; returns
/// `net::awaitable<T>`.
/// @return An awaitable that yields `fn`'s `T`.
/// @par Per-operation cancellation
/// As the other overload.
/// @par Lifetime
/// As the other overload.
/// @par Errors
/// As the other overload.
template <class Executor, class Fn>
net::awaitable<detail::scoped_result_t<Fn, temporary_directory>> with_temporary_directory(
    const Executor& ex, temporary_directory::options o, Fn fn) {
    // A named local, not a temporary inside co_await (g++ 12: docs/coroutines.md).
    auto x = co_await temporary_directory::async_create(ex, o, net::use_awaitable);
    co_return co_await detail::run_scoped(std::move(x), std::move(fn));
}

}  // namespace tempio
