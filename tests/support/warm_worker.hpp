// Before an async failure sweep counts system calls: the worker's name
// generator seeds itself (getrandom) at its first name, which must not count.
#pragma once

#include <filesystem>

#include <gtest/gtest.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "tempio/tempio.hpp"

namespace tempio::test {

// One async_mkdtemp in `dir`, removed again. A thread_pool is no io_context,
// so it runs on tempio's pool whatever the backend; joined, its thread is
// gone before the sweep counts descriptors. (Not use_future: the system
// executor's threads would still be starting.)
inline void warm_worker_name_generator(const std::filesystem::path& dir) {
    net::thread_pool completions(1);
    std::filesystem::path warm;
    async_mkdtemp({.dir = dir},
                  net::bind_executor(completions, [&](error_code ec, std::filesystem::path p) {
                      EXPECT_FALSE(ec) << ec.message();
                      warm = std::move(p);
                  }));
    completions.join();
    std::filesystem::remove(warm);
}

}  // namespace tempio::test
