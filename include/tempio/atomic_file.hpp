// tempio/atomic_file.hpp: write, then publish in one atomic step (Qt's
// QSaveFile), and async_write_file_atomically for the one-shot case.
//
// The data is written in the target's directory (so publishing is a rename
// or link, never a copy), as an O_TMPFILE where the file system has it (a
// crash leaves nothing behind, except in the two-call window of a replace,
// link then rename, where one hidden link may remain), else as a hidden file
// ".<target name>.XXXXXXXX" (8 random characters; recognisable, to sweep).
// After a crash or kill -9 at any instant the target holds its old or its
// complete new content, never a mix. docs/publishing.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"
#include "tempio/publish.hpp"

namespace tempio {

template <class Executor = net::any_io_executor>
class basic_atomic_file : public basic_async_file<Executor> {
  public:
    struct options {
        std::string_view mode = "wb";  ///< as the file classes; must allow writing
        std::size_t buffering = 8192;  ///< write buffer; 0 = unbuffered
        bool replace = true;           ///< false: commit never replaces (file_exists)
        /// fdatasync before the publish, fsync of the directory after it.
        bool durable = true;
        /// Default: the replaced target's mode, else 0666 & ~umask (what a
        /// plain open(O_CREAT) would give).
        std::optional<std::filesystem::perms> permissions{};
    };

    using basic_async_file<Executor>::basic_async_file;
    /// @cond TEMPIO_INTERNAL
    basic_atomic_file(detail::adopt_core_t, const Executor& ex, detail::file_ptr core)
        : basic_async_file<Executor>(detail::adopt_core, ex, std::move(core)) {}
    /// @endcond

    /// @brief Creates the file that will become `target`: one job on a worker.
    /// Completes with `void(error_code, basic_atomic_file)`.
    /// @par Cancellation
    /// terminal, partial, total: before the job starts nothing is created;
    /// during it, the file is removed again (operation_aborted).
    /// @par Errors
    /// invalid_argument (bad mode, empty target), the system's error (e.g.
    /// no_such_file_or_directory for a missing directory). `target` must stay
    /// valid until completion.
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(path_view target, Token&& token = {}) {
        return async_create(target, options{}, std::forward<Token>(token));
    }
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(path_view target, options o, Token&& token = {}) {
        return detail::initiate_create<basic_atomic_file, detail::file_ptr>(
            std::forward<Token>(token),
            [s = spec(target, o)](auto h) { detail::start_create_atomic(s, std::move(h)); });
    }
    template <
        net::completion_token_for<void(error_code, basic_atomic_file)> Token = net::deferred_t>
    static auto async_create(const Executor& ex, path_view target, options o, Token&& token = {}) {
        return detail::initiate_create_on<basic_atomic_file, detail::file_ptr>(
            ex, std::forward<Token>(token),
            [s = spec(target, o)](auto h) { detail::start_create_atomic(s, std::move(h)); });
    }

    /// @brief Flushes, (fdatasync,) publishes under the target, (fsyncs the
    /// directory,) and closes: one job. Completes with `void(error_code)`.
    /// @par Cancellation
    /// terminal, partial, total: before the job starts, nothing is done.
    /// @par Errors
    /// file_exists with `replace = false`; cross_device_link cannot happen
    /// (same directory); bad_descriptor after commit or abandon; the
    /// system's error. On failure the target is untouched and the object
    /// still owns its data (commit again, or abandon).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_commit(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_commit(f.lock(), std::move(h)); });
    }
    /// @brief Discards the data; the target is untouched. What destruction
    /// without commit does too (synchronously). Never cancelled.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_abandon(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_abandon(f.lock(), std::move(h)); });
    }

  private:
    static detail::atomic_spec spec(path_view target, const options& o) {
        return {.target = target,
                .mode = o.mode,
                .buffering = o.buffering,
                .replace = o.replace,
                .durable = o.durable,
                .permissions = o.permissions};
    }
};

using atomic_file = basic_atomic_file<>;

/// @brief Writes `data` to `target` atomically: create, write, commit in one
/// job (the options of atomic_file). Completes with `void(error_code)`.
/// `data` is copied before this call returns; `target` must stay valid until
/// completion. Cancellation (terminal, partial, total) before the job starts.
template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
auto async_write_file_atomically(path_view target, std::string_view data, atomic_file::options o,
                                 Token&& token = {}) {
    return detail::initiate<>(
        std::forward<Token>(token),
        [s = detail::atomic_spec{.target = target,
                                 .mode = o.mode,
                                 .buffering = o.buffering,
                                 .replace = o.replace,
                                 .durable = o.durable,
                                 .permissions = o.permissions}](std::string bytes, auto h) {
            detail::start_write_file_atomically(s, std::move(bytes), std::move(h));
        },
        std::string(data));
}

/// @copydoc async_write_file_atomically
template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
auto async_write_file_atomically(path_view target, std::string_view data, Token&& token = {}) {
    return async_write_file_atomically(target, data, atomic_file::options{},
                                       std::forward<Token>(token));
}

}  // namespace tempio
