// An event loop with a reactor, for the workloads that need one object across
// repetitions (a file made once, read many times).
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <tempio/tempio.hpp>

namespace bench {

namespace net = tempio::net;

// One io_context for a whole workload, with a reactor as every real
// program's has (a socket, a timer: DESIGN section 6). The timer's service
// starts Asio's reactor task, so the scheduler polls epoll between rounds of
// handlers as it does in a server; a bare io_context would not, and would
// flatter per-operation costs. run() may be called again and again.
class reactor_loop {
  public:
    reactor_loop() : ctx_(1), reactor_(ctx_) {}

    template <class T>
    T run(net::awaitable<T> a) {
        std::exception_ptr error;
        std::optional<T> result;
        net::co_spawn(ctx_, std::move(a), [&](std::exception_ptr e, T v) {
            error = e;
            if (!e) result.emplace(std::move(v));
        });
        drive();
        if (error) std::rethrow_exception(error);
        return std::move(*result);
    }
    void run(net::awaitable<void> a) {
        std::exception_ptr error;
        net::co_spawn(ctx_, std::move(a), [&](std::exception_ptr e) { error = e; });
        drive();
        if (error) std::rethrow_exception(error);
    }

  private:
    void drive() {
        ctx_.restart();
        ctx_.run();
    }

    net::io_context ctx_;
    net::steady_timer reactor_;  // never waited on: constructing it is enough
};

// f() (returning net::awaitable<T>) to completion on a fresh reactor_loop:
// what tempio::run does, with the reactor a real program has.
template <class F>
auto run_with_reactor(F&& f) {
    reactor_loop loop;
    return loop.run(std::forward<F>(f)());
}

}  // namespace bench
