// The coroutine idioms that docs/coroutines.md, the README and the headers
// show, compiled with the project's compiler and run under its sanitizers.
//
// g++ 12 destroys twice a lambda with by-value captures, or an aggregate
// with a member that has a destructor, written as a temporary inside a
// co_await expression ("double free or corruption"; ASan: attempting
// double-free). So every capturing lambda below is a named local first, then
// passed by name or with std::move, as the documentation says. Each capture
// is a heap-allocated string (longer than the small-string buffer), so that
// a second destruction is a double free ASan reports, not a silent no-op.
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using namespace std::chrono_literals;

namespace {

// One worker, so that the deadline test can hold it and decide that the
// publish has not started when its deadline passes.
const bool one_worker = (tempio::set_worker_threads(1), true);

// Longer than any small-string buffer: a double free is a real one.
const std::string long_name = "a-name-long-enough-to-live-on-the-heap.txt";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class safe_idioms : public tempio::test::test_dir {};

}  // namespace

// run_blocking.hpp: name the lambda, then co_await async_run_blocking(name)
// (a copy: the lambda stays usable) or (std::move(name)).
TEST_F(safe_idioms, run_blocking_with_a_named_lambda) {
    const fs::path file = dir_ / long_name;
    { std::ofstream(file) << "twelve bytes"; }
    auto [copied, moved, still_usable] =
        tempio::run([&]() -> net::awaitable<std::tuple<std::uintmax_t, std::uintmax_t, bool>> {
            std::string path = file.string();  // captured by value below
            auto size_of = [path] { return fs::file_size(path); };
            std::uintmax_t a = co_await tempio::async_run_blocking(size_of);
            bool usable = size_of() == a;  // copied in, not moved from
            std::uintmax_t b = co_await tempio::async_run_blocking(std::move(size_of));
            co_return std::tuple{a, b, usable};
        });
    EXPECT_EQ(copied, 12u);
    EXPECT_EQ(moved, 12u);
    EXPECT_TRUE(still_usable);
}

// A named lambda that returns nothing, and one that throws: the exception
// reaches the coroutine.
TEST_F(safe_idioms, run_blocking_void_and_throwing_named_lambdas) {
    const fs::path file = dir_ / long_name;
    std::string message;
    tempio::run([&]() -> net::awaitable<void> {
        std::string path = file.string();
        auto create = [path] { std::ofstream(path) << "made on a worker"; };
        co_await tempio::async_run_blocking(create);
        auto fail = [path]() -> int { throw std::runtime_error("no luck with " + path); };
        try {
            co_await tempio::async_run_blocking(std::move(fail));
        } catch (const std::runtime_error& e) {
            message = e.what();
        }
    });
    EXPECT_EQ(read_file(file), "made on a worker");
    EXPECT_EQ(message, "no luck with " + file.string());
}

// scoped.hpp: name fn, then co_await with_temporary_directory(options, fn)
// or (options, std::move(fn)). fn itself is a coroutine lambda with a
// capture: the helper keeps it alive until fn's coroutine has finished.
TEST_F(safe_idioms, with_temporary_directory_with_a_named_lambda) {
    fs::path seen_first, seen_second;
    std::string first, second;
    tempio::run([&]() -> net::awaitable<void> {
        std::string name = long_name;
        auto fill = [name](tempio::temporary_directory& d) -> net::awaitable<fs::path> {
            fs::path target = d.path() / name;
            co_await tempio::async_write_file_atomically(target, "written in " + name,
                                                         {.durable = false});
            co_return target;
        };
        seen_first = co_await tempio::with_temporary_directory({.dir = dir_}, fill);
        first = name;  // the capture was a copy
        auto fill_and_read = [name](auto& d) -> net::awaitable<std::string> {
            std::string target = (d.path() / name).string();
            co_await tempio::async_write_file_atomically(target, "hello", {.durable = false});
            auto read_back = [target] { return read_file(target); };
            co_return co_await tempio::async_run_blocking(std::move(read_back));
        };
        second = co_await tempio::with_temporary_directory({.dir = dir_}, std::move(fill_and_read));
    });
    EXPECT_EQ(first, long_name);
    EXPECT_EQ(second, "hello");
    EXPECT_EQ(seen_first.filename(), long_name);
    EXPECT_FALSE(fs::exists(seen_first.parent_path()));  // cleaned up at scope exit
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// The same for the file helpers: a named lambda that captures by value.
TEST_F(safe_idioms, with_file_helpers_with_named_lambdas) {
    std::string from_named, from_spooled;
    tempio::run([&]() -> net::awaitable<void> {
        std::string text = "some text that does not fit in a small string";
        auto round_trip = [text](auto& f) -> net::awaitable<std::string> {
            co_await f.async_write(text);
            co_await f.async_seek(0);
            co_return co_await f.async_read();
        };
        from_named = co_await tempio::with_named_temporary_file({.dir = dir_}, round_trip);
        from_spooled = co_await tempio::with_spooled_temporary_file({.max_size = 16, .dir = dir_},
                                                                    std::move(round_trip));
    });
    EXPECT_EQ(from_named, "some text that does not fit in a small string");
    EXPECT_EQ(from_spooled, from_named);
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}

// Options are views, so the natural call with a designated initializer is
// safe inside co_await, even when what they view is a std::string.
TEST_F(safe_idioms, options_in_a_co_await_expression) {
    std::string name;
    tempio::run([&]() -> net::awaitable<void> {
        std::string suffix = "-a-suffix-long-enough-to-live-on-the-heap.txt";
        auto f = co_await tempio::named_temporary_file::async_create(
            {.mode = "w+", .suffix = suffix, .dir = dir_});
        name = f.path().filename().string();
        co_await f.async_persist(dir_ / long_name, {.durable = false, .permissions = {}});
        co_await f.async_close();
    });
    EXPECT_TRUE(name.ends_with("-a-suffix-long-enough-to-live-on-the-heap.txt"));
    EXPECT_TRUE(fs::exists(dir_ / long_name));
}

namespace {

// docs/coroutines.md, "Cancellation and timeouts": a deadline on one
// operation with Boost 1.81 (no net::cancel_after): a timer emits a
// cancellation signal bound to the operation.
net::awaitable<tempio::error_code> persist_before(tempio::named_temporary_file& f,
                                                  const fs::path& target,
                                                  std::chrono::milliseconds limit) {
    net::steady_timer deadline(co_await net::this_coro::executor, limit);
    auto cancel = std::make_shared<net::cancellation_signal>();
    auto on_deadline = [cancel](tempio::error_code ec) {
        if (!ec) cancel->emit(net::cancellation_type::terminal);
    };
    deadline.async_wait(on_deadline);
    auto [ec] = co_await f.async_persist(
        target, net::as_tuple(net::bind_cancellation_slot(cancel->slot(), net::use_awaitable)));
    deadline.cancel();
    co_return ec;
}

}  // namespace

TEST_F(safe_idioms, a_deadline_that_does_not_pass_changes_nothing) {
    const fs::path target = dir_ / "published";
    tempio::error_code result;
    fs::path path_after;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("data");
        result = co_await persist_before(f, target, 10s);
        path_after = f.path();
        co_await f.async_close();
    });
    EXPECT_FALSE(result) << result.message();
    EXPECT_EQ(path_after, target);
    EXPECT_EQ(read_file(target), "data");
}

// The only worker is held until after the deadline: the publish had not
// started, so it does nothing and completes with operation_aborted once a
// worker reaches it; the object still owns its temporary.
TEST_F(safe_idioms, a_deadline_that_passes_before_the_publish_starts_cancels_it) {
    ASSERT_TRUE(one_worker);
    const fs::path target = dir_ / "published";
    std::atomic<bool> holding{false}, release{false};
    tempio::error_code result;
    bool still_owned = false;
    tempio::run([&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("data");
        auto hold = [&] {
            holding = true;
            while (!release) std::this_thread::sleep_for(1ms);
        };
        tempio::async_run_blocking(hold, net::bind_executor(ex, [](std::exception_ptr) {}));
        while (!holding) std::this_thread::sleep_for(1ms);
        // Released well after the 1 ms deadline, on the same io_context.
        net::steady_timer later(ex, 50ms);
        later.async_wait([&](tempio::error_code) { release = true; });
        result = co_await persist_before(f, target, 1ms);
        still_owned = f.path() != target && fs::exists(f.path());
        co_await f.async_close();
    });
    EXPECT_EQ(result, net::error::operation_aborted);
    EXPECT_TRUE(still_owned);
    EXPECT_FALSE(fs::exists(target));
    EXPECT_TRUE(tempio::test::entries(dir_).empty());
}
