// tempio/spooled_temporary_file.hpp: data kept in memory until it grows
// (CPython's SpooledTemporaryFile rules, not anyio's).
//
// In memory until a write leaves the position strictly greater than max_size
// (max_size == 0: never by itself); then it rolls over to a temporary_file,
// keeping content and position. async_truncate(size) rolls over when
// size > max_size; async_fileno() and async_rollover() roll over on demand.
// A rollover that fails leaves everything in memory, intact and usable, and
// reports the error.
// In memory, operations make no system call and no worker hop; they still
// complete through the executor, never inline.
// Cancellation: as async_file. A cancelled rollover loses nothing.
#pragma once

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

template <class Executor = net::any_io_executor>
class basic_spooled_temporary_file : public basic_async_file<Executor> {
  public:
    struct options {
        std::size_t max_size = 0;
        std::string_view mode = "w+b";
        std::size_t buffering = 8192;  // write buffer after rollover; 0 = unbuffered
        std::string_view suffix{};
        std::string_view prefix = "tmp";
        path_view dir{};
    };

    using basic_async_file<Executor>::basic_async_file;

    // Does no I/O. Throws system_error(invalid_argument) for a bad mode,
    // prefix or suffix.
    basic_spooled_temporary_file(const Executor& ex, options o)
        : basic_async_file<Executor>(detail::adopt_core, ex, make(o)) {}

    bool rolled() const noexcept { return detail::rolled(this->core().get()); }

    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_rollover(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_rollover(f.lock(), std::move(h)); });
    }
    // Rolls over, flushes, and completes with the file descriptor.
    template <net::completion_token_for<void(error_code, int)> Token = net::deferred_t>
    auto async_fileno(Token&& token = {}) {
        return detail::initiate_on<int>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_fileno(f.lock(), std::move(h)); });
    }

    // No I/O either: completes through the executor for symmetry.
    template <net::completion_token_for<void(error_code, basic_spooled_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_spooled_temporary_file, detail::file_ptr>(
            std::forward<Token>(token), [o](auto h) { create(o, std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, basic_spooled_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_spooled_temporary_file, detail::file_ptr>(
            ex, std::forward<Token>(token), [o](auto h) { create(o, std::move(h)); });
    }

  private:
    static detail::file_spec spec(const options& o) {
        return {.kind = detail::file_kind_tag::spooled,
                .mode = o.mode,
                .buffering = o.buffering,
                .suffix = o.suffix,
                .prefix = o.prefix,
                .dir = o.dir,
                .max_size = o.max_size};
    }
    static detail::file_ptr make(const options& o) {
        error_code ec;
        auto core = detail::make_spooled_file(spec(o), ec);
        if (ec) throw system_error(ec, "tempio::spooled_temporary_file");
        return core;
    }
    static void create(const options& o, detail::handler<detail::file_ptr> h) {
        detail::start_create_file(spec(o), std::move(h));
    }
};

using spooled_temporary_file = basic_spooled_temporary_file<>;

}  // namespace tempio
