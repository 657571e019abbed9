// tempio/config.hpp: the one place that names the Asio flavour in use, so a
// standalone-Asio build only has to change this file.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace tempio {
namespace net = boost::asio;
using error_code = boost::system::error_code;
using system_error = boost::system::system_error;
}  // namespace tempio
