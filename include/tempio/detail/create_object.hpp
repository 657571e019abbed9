// Token plumbing for the async_create functions: the engine completes with a
// core pointer; the user's handler receives the object built around it.
#pragma once

#include <utility>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>

#include "tempio/detail/handler.hpp"

namespace tempio::detail {

template <class Object, class Core, class Handler>
struct object_maker {
    Handler handler;
    typename Object::executor_type executor;

    void operator()(error_code ec, Core core) {
        std::move(handler)(ec, Object(adopt_core, executor, std::move(core)));
    }
};

// `start(handler<Core>)` runs the creation. With no executor given, the
// object's executor is the handler's associated executor. object_maker only
// builds the object and calls the handler it wraps: wrapping a coroutine's
// own handler, it may be resumed inside the initiation as that handler may.
template <class Object, class Core, class Token, class Start>
auto initiate_create(Token&& token, Start start) {
    return net::async_initiate<Token, void(error_code, Object)>(
        [start](auto h) mutable {
            using executor_type = typename Object::executor_type;
            auto assoc = net::get_associated_executor(h);
            executor_type object_ex(assoc);
            auto slot = net::get_associated_cancellation_slot(h);
            constexpr bool coroutine = is_coroutine_handler<decltype(h)>;
            start(handler_on<Core>(assoc, coroutine, [&](const auto& hex) {
                return net::bind_cancellation_slot(
                    slot, net::bind_executor(hex, object_maker<Object, Core, decltype(h)>{
                                                      std::move(h), object_ex}));
            }));
        },
        token);
}

template <class Object, class Core, class Token, class Start>
auto initiate_create_on(const typename Object::executor_type& ex, Token&& token, Start start) {
    return net::async_initiate<Token, void(error_code, Object)>(
        [start, ex](auto h) mutable {
            auto hex = net::get_associated_executor(h, ex);
            auto slot = net::get_associated_cancellation_slot(h);
            constexpr bool coroutine = is_coroutine_handler<decltype(h)>;
            start(handler_on<Core>(hex, coroutine, [&](const auto& bound) {
                return net::bind_cancellation_slot(
                    slot, net::bind_executor(
                              bound, object_maker<Object, Core, decltype(h)>{std::move(h), ex}));
            }));
        },
        token);
}

}  // namespace tempio::detail
