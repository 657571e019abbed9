/// @file
/// @brief tempio/spooled_temporary_file.hpp: data kept in memory until it grows
/// (CPython's `SpooledTemporaryFile` rules, not anyio's).
///
/// In memory until a write leaves the position strictly greater than max_size
/// (max_size == 0: never by itself); then it rolls over to a temporary_file,
/// keeping content and position. async_truncate(size) rolls over when
/// size > max_size; async_fileno() and async_rollover() roll over on demand.
/// A rollover that fails leaves everything in memory, intact and usable, and
/// reports the error.
/// In memory, operations make no system call and no worker hop; they still
/// complete through the executor, never inline (a coroutine's `co_await`
/// resumes at once: see async_file.hpp).
/// Cancellation: as async_file. A cancelled rollover loses nothing.
#pragma once

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

/// @brief A temporary file kept in memory until it grows past `max_size`
/// (CPython's `SpooledTemporaryFile` rules, not anyio's); its operations are
/// basic_async_file's.
///
/// In memory until a write leaves the position strictly greater than
/// `max_size` (`max_size == 0`: never by itself); then it rolls over to an
/// anonymous file, as basic_temporary_file makes, in `dir`, keeping content
/// and position. `async_truncate(size)` rolls over when `size > max_size`
/// (`max_size` non-zero); async_fileno() and async_rollover() roll over on
/// demand. A rollover that fails leaves everything in memory, intact and
/// usable, and reports the error (`dir`'s errors appear then, not at creation).
///
/// In memory, operations make no system call and no worker hop; they still
/// complete through the executor, never inline (a coroutine's `co_await`
/// resumes at once: see async_file.hpp). A rollover runs on a worker.
///
/// @par Per-operation cancellation
/// As basic_async_file: `terminal`, `partial`, `total`, before the work starts.
/// A cancelled rollover (or write or truncate that would roll over) loses
/// nothing: the file stays in memory.
///
/// @tparam Executor The type of the file's executor (default
/// `net::any_io_executor`).
template <class Executor = net::any_io_executor>
class basic_spooled_temporary_file : public basic_async_file<Executor> {
  public:
    /// @brief How the file is kept, in Python's parameter order:
    /// `spooled_temporary_file(ex, {.max_size = 1 << 20, .mode = "w+"})`.
    ///
    /// Views, not owning strings (see tempio/path_view.hpp); the constructor
    /// and async_create copy what they view (async_create when its initiation
    /// runs: with `net::deferred`, keep them alive until the `co_await`
    /// completes).
    struct options {
        /// @brief Rolls over when a write leaves the position past it; 0: never by
        /// itself.
        std::size_t max_size = 0;
        /// @brief Python/`fopen` mode: letters `r w a x + b t`, exactly one of
        /// `r w a x`, each at most once, not both `b` and `t`.
        std::string_view mode = "w+b";
        std::size_t buffering = 65536;    ///< write buffer after rollover; 0 = unbuffered
        std::string_view suffix{};        ///< For the rolled-over file; no `/` or NUL.
        std::string_view prefix = "tmp";  ///< For the rolled-over file; no `/` or NUL.
        /// @brief Where a rollover creates the file; empty: gettempdir().
        ///
        /// To publish the file, give a directory on the target's file system
        /// (the target's directory is simplest): in memory, a publish writes
        /// a new file in the target's directory and works anywhere; once
        /// rolled over, the file lives here and is linked into place, which
        /// fails with `cross_device_link` when the target is on another file
        /// system. With the default, small files publish and large ones fail
        /// (`/tmp` or `/dev/shm` against a data directory on disk):
        /// `{.max_size = 1 << 20, .dir = target_dir}`. docs/publishing.md.
        path_view dir{};
    };

    using basic_async_file<Executor>::basic_async_file;
    // Publishing: a file still in memory is written to a new file in the
    // target's directory first; a rolled-over one is linked (no copy).
    using basic_async_file<Executor>::async_persist;
    using basic_async_file<Executor>::async_persist_noclobber;

    /// @brief Constructs a spooled file in memory.
    ///
    /// Does no I/O. Throws system_error(invalid_argument) for a bad mode,
    /// prefix or suffix.
    /// @param ex The file's executor.
    /// @param o The options; copied, so what they view need only live for the
    /// call.
    /// @throws system_error `invalid_argument` for a bad mode, or a prefix or
    /// suffix with `/` or NUL.
    basic_spooled_temporary_file(const Executor& ex, options o)
        : basic_async_file<Executor>(detail::adopt_core, ex, make(o)) {}

    /// @brief Whether the file has rolled over to disk.
    /// @return True once a rollover succeeded; false in memory, and for an
    /// object that holds no file.
    bool rolled() const noexcept { return detail::rolled(this->core().get()); }

    /// @brief Moves the data from memory to a file on disk now (CPython's
    /// `rollover()`), keeping content and position.
    ///
    /// One job on a worker; already rolled over: nothing to do, success at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts: nothing done, the
    /// file stays in memory, `operation_aborted`.
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); creating the file (`ENOENT`, `ENOTDIR`,
    /// `EACCES`, `invalid_argument` for a `dir` with NUL, ...) or writing it
    /// (`ENOSPC`, ...): the data stays in memory, intact.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_rollover(Token&& token = {}) {
        return detail::initiate_on<>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_rollover(f.lock(), std::move(h)); });
    }
    /// @brief Rolls over, flushes, and completes with the file descriptor
    /// (CPython's `fileno()`).
    ///
    /// One job on a worker. The descriptor stays owned by the object.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, int fd)`: the descriptor; on error, a value not
    /// to use.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts: nothing done,
    /// `operation_aborted`.
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); as async_rollover; a failed flush's error.
    template <net::completion_token_for<void(error_code, int)> Token = net::deferred_t>
    auto async_fileno(Token&& token = {}) {
        return detail::initiate_on<int>(
            this->get_executor(), std::forward<Token>(token),
            [f = this->weak_core()](auto h) { detail::start_fileno(f.lock(), std::move(h)); });
    }

    /// @brief Makes a spooled file in memory, as the constructor, and completes
    /// with it through the executor, for symmetry with the other classes; its
    /// executor is the handler's associated executor.
    /// @param o The options; the strings they view are copied when the
    /// operation starts.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_spooled_temporary_file file)`.
    /// @par Per-operation cancellation
    /// None: the file is made inside the initiating function; it completes
    /// normally.
    /// @par Lifetime
    /// The strings `o` views, until the initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    /// @par Errors
    /// `invalid_argument` for a bad mode, or a prefix or suffix with `/` or NUL.
    template <net::completion_token_for<void(error_code, basic_spooled_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_spooled_temporary_file, detail::file_ptr>(
            std::forward<Token>(token), [o](auto h) { create(o, std::move(h)); });
    }
    /// @brief As the other overload, with `ex` as the file's executor (and the
    /// completion's, when the handler has none).
    /// @param ex The file's executor.
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_spooled_temporary_file file)`.
    /// @par Per-operation cancellation
    /// None, as the other overload.
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
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

/// basic_spooled_temporary_file on `net::any_io_executor`.
using spooled_temporary_file = basic_spooled_temporary_file<>;

}  // namespace tempio
