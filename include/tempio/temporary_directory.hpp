// tempio/temporary_directory.hpp: a directory removed with everything in it
// (CPython's TemporaryDirectory).
//
// Cleanup never leaves the tree: it works relative to held directory
// descriptors, never follows a symlink (links are removed, their targets left
// alone), and repairs unreadable or read-only directories through those
// descriptors only. See docs/security.md.
//
// async_create: one job on a worker. Cancellation (terminal, partial, total):
// before the job starts nothing is created; during it, the directory is
// removed again. Both complete with operation_aborted.
// async_cleanup: the whole tree in one job; idempotent once it succeeded (a
// failed cleanup is retried by the next call, or the destructor); never cancelled.
// ignore_cleanup_errors: best effort, no error. keep: left in place.
// Errors name the first failing entry relative to the root.
#pragma once

#include <filesystem>
#include <memory>

#include "tempio/detail/create_object.hpp"
#include "tempio/path_view.hpp"

namespace tempio {

namespace detail {
class directory_core;
using directory_ptr = std::shared_ptr<directory_core>;
struct directory_spec {
    std::string_view suffix{};
    std::string_view prefix{};
    path_view dir{};
    bool ignore_cleanup_errors = false;
    bool keep = false;
};
void start_create_directory(const directory_spec& spec, handler<directory_ptr> h);
void start_cleanup(const directory_ptr& d, handler<> h);
std::filesystem::path path_of(const directory_core* d);
std::string cleanup_error_path(const directory_core* d);
}  // namespace detail

template <class Executor = net::any_io_executor>
class basic_temporary_directory {
  public:
    using executor_type = Executor;

    struct options {
        std::string_view suffix{};
        std::string_view prefix = "tmp";
        path_view dir{};
        bool ignore_cleanup_errors = false;
        bool keep = false;  // Python's delete=False
    };

    explicit basic_temporary_directory(const Executor& ex) : executor_(ex) {}
    basic_temporary_directory(detail::adopt_core_t, const Executor& ex, detail::directory_ptr core)
        : executor_(ex), core_(std::move(core)), path_(detail::path_of(core_.get())) {}
    // Moves copy the executor (as Asio's I/O objects do): a moved-from
    // directory has nothing to clean, and async_cleanup completes at once.
    basic_temporary_directory(basic_temporary_directory&& other) noexcept
        : executor_(other.executor_),
          core_(std::move(other.core_)),
          path_(std::move(other.path_)) {}
    basic_temporary_directory& operator=(basic_temporary_directory&& other) noexcept {
        executor_ = other.executor_;
        core_ = std::move(other.core_);
        path_ = std::move(other.path_);
        return *this;
    }
    // Not yet cleaned up at destruction: removed synchronously (unless keep).
    ~basic_temporary_directory() = default;

    executor_type get_executor() const noexcept { return executor_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    // After a failed cleanup: the entry that failed first, relative to path().
    std::string cleanup_error_path() const { return detail::cleanup_error_path(core_.get()); }

    // Pitfall: inside a coroutine that was already cancelled, `co_await
    // d.async_cleanup()` throws operation_aborted before it starts (Asio's
    // awaitable checks the cancellation state at every co_await), and the
    // cleanup falls to the blocking destructor. tempio::with_temporary_directory
    // (tempio/scoped.hpp) always awaits the cleanup.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_cleanup(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [d = std::weak_ptr(core_)](auto h) { detail::start_cleanup(d.lock(), std::move(h)); });
    }

    template <net::completion_token_for<void(error_code, basic_temporary_directory)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_temporary_directory, detail::directory_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_directory(spec(o), std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, basic_temporary_directory)> Token =
                  net::deferred_t>
    static auto async_create(const Executor& ex, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_temporary_directory, detail::directory_ptr>(
            ex, std::forward<Token>(token),
            [o](auto h) { detail::start_create_directory(spec(o), std::move(h)); });
    }

  private:
    static detail::directory_spec spec(const options& o) {
        return {o.suffix, o.prefix, o.dir, o.ignore_cleanup_errors, o.keep};
    }

    executor_type executor_;
    detail::directory_ptr core_;
    std::filesystem::path path_;
};

using temporary_directory = basic_temporary_directory<>;

}  // namespace tempio
