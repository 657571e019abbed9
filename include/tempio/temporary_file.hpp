// tempio/temporary_file.hpp: a file with no name (CPython's TemporaryFile).
//
// Created with O_TMPFILE where the file system supports it, so it never has a
// name; elsewhere created with a random name and unlinked at once. Closing
// (or destroying) it releases it.
//
// async_create: one job on a worker. Cancellation (terminal, partial, total):
// before the job starts nothing is created; during it, the file is closed again.
// Both complete with operation_aborted. Errors: invalid_argument for a bad
// mode or prefix/suffix; the system's error for a bad dir.
#pragma once

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

template <class Executor = net::any_io_executor>
class basic_temporary_file : public basic_async_file<Executor> {
  public:
    struct options {
        std::string_view mode = "w+b";
        std::size_t buffering = 8192;  // write buffer; 0 = unbuffered
        std::string_view suffix{};
        std::string_view prefix = "tmp";
        path_view dir{};
    };

    using basic_async_file<Executor>::basic_async_file;

    template <
        net::completion_token_for<void(error_code, basic_temporary_file)> Token = net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_temporary_file, detail::file_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }
    template <
        net::completion_token_for<void(error_code, basic_temporary_file)> Token = net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_temporary_file, detail::file_ptr>(
            ex, std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }

  private:
    static detail::file_spec spec(const options& o) {
        return {.kind = detail::file_kind_tag::anonymous,
                .mode = o.mode,
                .buffering = o.buffering,
                .suffix = o.suffix,
                .prefix = o.prefix,
                .dir = o.dir};
    }
};

using temporary_file = basic_temporary_file<>;

}  // namespace tempio
