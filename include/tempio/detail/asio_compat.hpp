// The one place that names Asio's internals (net::detail::) to tell a
// coroutine's own completion handler from any other. Asio's detail
// namespace is not an interface: its names and template parameters change
// between Boost releases, so the detection is enabled only for the Asio
// versions whose internals were checked, and everywhere else falls back to
// treating no handler as a coroutine's, which is correct with any Asio:
// every completion is then posted, only slower (docs/design-decisions.md,
// "Coroutines resume at once").
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/version.hpp>
#include <boost/asio/write.hpp>

#include "tempio/config.hpp"

// The Asio versions whose internals match the specializations below:
// 1.26.0 (Boost 1.81, the oldest tempio builds with) up to 1.32.x (Boost
// 1.86). Checked in boostorg/asio at each release tag: detail::
// awaitable_async_op_handler<Signature, Executor> (impl/awaitable.hpp),
// detail::awaitable_handler<Executor, T...> (impl/use_awaitable.hpp),
// detail::write_op<Stream, Buffers, Iterator, Condition, Handler>
// (impl/write.hpp), and an initiation started only after the coroutine
// suspended (awaitable_frame::after_suspend). Asio 1.34.0 (Boost 1.87)
// gave awaitable_async_op_handler a third template parameter, so from there
// on the fallback applies until those versions are checked and added here.
// TEMPIO_FORCE_ASIO_FALLBACK (the CMake option TEMPIO_ASIO_FALLBACK) forces
// the fallback with any Asio, to test it.
#if defined(TEMPIO_FORCE_ASIO_FALLBACK) && TEMPIO_FORCE_ASIO_FALLBACK
#define TEMPIO_DETAIL_ASIO_HANDLER_DETECTION 0
#elif BOOST_ASIO_VERSION >= 102600 && BOOST_ASIO_VERSION < 103400
#define TEMPIO_DETAIL_ASIO_HANDLER_DETECTION 1
#else
#define TEMPIO_DETAIL_ASIO_HANDLER_DETECTION 0
#endif

namespace tempio::detail {

// Whether is_coroutine_handler recognizes Asio's coroutine handlers (true)
// or is false for every handler (the fallback).
inline constexpr bool asio_handler_detection = TEMPIO_DETAIL_ASIO_HANDLER_DETECTION;

// Asio's own handlers for a coroutine's `co_await` (of a net::deferred
// operation, or with net::use_awaitable). Asio starts an operation only
// after the coroutine has suspended (awaitable_frame::after_suspend), so
// such a handler may be called from inside the initiation: the coroutine
// resumes at once instead of through the scheduler. No user code runs
// inside the initiating call that it could re-enter, which is what the
// never-inline rule protects callbacks from (docs/design-decisions.md,
// "Coroutines resume at once"). In the fallback no handler is one, and
// every completion is posted.
template <class H>
inline constexpr bool is_coroutine_handler = false;

#if TEMPIO_DETAIL_ASIO_HANDLER_DETECTION
template <class Signature, class Executor>
inline constexpr bool
    is_coroutine_handler<net::detail::awaitable_async_op_handler<Signature, Executor>> = true;
template <class Executor, class... T>
inline constexpr bool is_coroutine_handler<net::detail::awaitable_handler<Executor, T...>> = true;
// net::async_write's own operation, for a coroutine: it only calls
// async_write_some again or, at the end, the coroutine's handler. (It passes
// at most 16 buffers per call: 1,000 small buffers are 63 calls.)
template <class Stream, class Buffers, class Iterator, class Condition, class Handler>
inline constexpr bool
    is_coroutine_handler<net::detail::write_op<Stream, Buffers, Iterator, Condition, Handler>> =
        is_coroutine_handler<Handler>;
#endif

}  // namespace tempio::detail

#undef TEMPIO_DETAIL_ASIO_HANDLER_DETECTION
