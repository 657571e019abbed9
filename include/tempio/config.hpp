/// @file
/// @brief tempio/config.hpp: the one place that names the Asio flavour in use,
/// so a standalone-Asio build only has to change this file.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

/// @brief Asynchronous temporary files and directories on Boost.Asio: the C++
/// counterpart of anyio's and CPython's `tempfile`.
namespace tempio {
// The Asio in use: boost::asio (a namespace alias, which Doxygen cannot
// document).
namespace net = boost::asio;
/// @brief The error type of every completion and `error_code&` overload
/// (`boost::system::error_code`); system errors are in `system_category()`.
using error_code = boost::system::error_code;
/// The exception the throwing forms throw (`boost::system::system_error`).
using system_error = boost::system::system_error;
}  // namespace tempio
