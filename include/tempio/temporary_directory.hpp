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
#include "tempio/publish.hpp"

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
void start_publish_directory(const directory_ptr& d, const publish_spec& spec, handler<> h);
const std::filesystem::path& public_path_of(const directory_core* d) noexcept;
std::filesystem::path keep_directory(directory_core* d);
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
        : executor_(ex), core_(std::move(core)) {}
    // Moves copy the executor (as Asio's I/O objects do): a moved-from
    // directory has nothing to clean, and async_cleanup completes at once.
    basic_temporary_directory(basic_temporary_directory&& other) noexcept
        : executor_(other.executor_), core_(std::move(other.core_)) {}
    basic_temporary_directory& operator=(basic_temporary_directory&& other) noexcept {
        executor_ = other.executor_;
        core_ = std::move(other.core_);
        return *this;
    }
    // Not yet cleaned up at destruction: removed synchronously (unless keep).
    ~basic_temporary_directory() = default;

    executor_type get_executor() const noexcept { return executor_; }
    const std::filesystem::path& path() const noexcept {
        return detail::public_path_of(core_.get());
    }

    /// @brief Stops removing the directory (Rust's `keep()`), after
    /// creation. No I/O. @return path().
    std::filesystem::path keep() { return detail::keep_directory(core_.get()); }

    /// @brief Publishes the directory under `target` by renaming it: the
    /// target must be absent or an empty directory (replaced atomically).
    ///
    /// One job on a worker; completes with `void(error_code)`.
    /// @par Cancellation
    /// terminal, partial, total: before the job starts, nothing is done
    /// (operation_aborted).
    /// @par Errors
    /// directory_not_empty (ENOTEMPTY) for a non-empty target,
    /// cross_device_link, no_such_file_or_directory after cleanup, the
    /// system's error. Failure changes nothing; success: the object refers to
    /// `target` and never removes it. `durable`: the directory is fsynced
    /// before, its new parent after.
    /// @par Lifetime
    /// `target` must stay valid until completion.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, Token&& token = {}) {
        return async_persist(target, publish_options{}, std::forward<Token>(token));
    }
    /// @copydoc async_persist(path_view, Token&&)
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::replace, std::forward<Token>(token));
    }
    /// @brief As async_persist, but never replaces anything: file_exists
    /// (EEXIST) when `target` exists, even as an empty directory
    /// (renameat2 RENAME_NOREPLACE).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, Token&& token = {}) {
        return async_persist_noclobber(target, publish_options{}, std::forward<Token>(token));
    }
    /// @copydoc async_persist_noclobber(path_view, Token&&)
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::noclobber,
                            std::forward<Token>(token));
    }
    /// @brief Swaps the directory with the existing directory `target`
    /// atomically (renameat2 RENAME_EXCHANGE): readers see the old tree or
    /// the new one. The old tree, now at this object's former name, is then
    /// removed by the secure cleanup; an error there is reported, the swap
    /// stands.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_exchange(path_view target, Token&& token = {}) {
        return async_exchange(target, publish_options{}, std::forward<Token>(token));
    }
    /// @copydoc async_exchange(path_view, Token&&)
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_exchange(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(target, o, detail::publish_how::exchange, std::forward<Token>(token));
    }
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

    template <class Token>
    auto publish_impl(path_view target, const publish_options& o, detail::publish_how how,
                      Token&& token) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [d = std::weak_ptr(core_), spec = detail::make_publish_spec(target, o, how)](auto h) {
                detail::start_publish_directory(d.lock(), spec, std::move(h));
            });
    }

    executor_type executor_;
    detail::directory_ptr core_;
};

using temporary_directory = basic_temporary_directory<>;

}  // namespace tempio
