// tempio/named_temporary_file.hpp: a file with a visible name
// (CPython 3.12's NamedTemporaryFile).
//
// Deletion, as CPython: keep=false, delete_on_close=true: deleted by close;
// keep=false, delete_on_close=false: survives close, deleted when the object
// is destroyed; keep=true: never deleted. A file someone else deleted first
// is no error.
//
// async_create: one job on a worker (the mkstemp retry loop and open).
// Cancellation (terminal, partial, total): before the job starts nothing is
// created; during it, the file is removed again. Both complete with
// operation_aborted.
#pragma once

#include <filesystem>

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

template <class Executor = net::any_io_executor>
class basic_named_temporary_file : public basic_async_file<Executor> {
  public:
    struct options {
        std::string_view mode = "w+b";
        std::size_t buffering = 8192;  // write buffer; 0 = unbuffered
        std::string_view suffix{};
        std::string_view prefix = "tmp";
        path_view dir{};
        bool keep = false;  // Python's delete=False
        bool delete_on_close = true;
    };

    explicit basic_named_temporary_file(const Executor& ex) : basic_async_file<Executor>(ex) {}
    basic_named_temporary_file(detail::adopt_core_t, const Executor& ex, detail::file_ptr core)
        : basic_async_file<Executor>(detail::adopt_core, ex, std::move(core)),
          path_(detail::path_of(this->core().get())) {}

    // The absolute path of the file (Python's .name).
    const std::filesystem::path& path() const noexcept { return path_; }

    template <net::completion_token_for<void(error_code, basic_named_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_named_temporary_file, detail::file_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, basic_named_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_named_temporary_file, detail::file_ptr>(
            ex, std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }

  private:
    static detail::file_spec spec(const options& o) {
        return {.kind = detail::file_kind_tag::named,
                .mode = o.mode,
                .buffering = o.buffering,
                .suffix = o.suffix,
                .prefix = o.prefix,
                .dir = o.dir,
                .keep = o.keep,
                .delete_on_close = o.delete_on_close};
    }

    std::filesystem::path path_;
};

using named_temporary_file = basic_named_temporary_file<>;

}  // namespace tempio
