/// @file
/// @brief tempio/named_temporary_file.hpp: a file with a visible name
/// (CPython 3.12's `NamedTemporaryFile`).
///
/// Deletion, as CPython: keep=false, delete_on_close=true: deleted by close;
/// keep=false, delete_on_close=false: survives close, deleted when the object
/// is destroyed; keep=true: never deleted. A file someone else deleted first
/// is no error.
///
/// async_create: one job on a worker (the mkstemp retry loop and open); on
/// tmpfs with nothing else in flight, the calling thread (tempio/backend.hpp).
/// Cancellation (terminal, partial, total): before the job starts nothing is
/// created; during it, the file is removed again. Both complete with
/// `operation_aborted`.
#pragma once

#include <filesystem>

#include "tempio/async_file.hpp"
#include "tempio/detail/create_object.hpp"

namespace tempio {

/// @brief A temporary file with a visible name (CPython 3.12's
/// `NamedTemporaryFile`), made by async_create; its operations are
/// basic_async_file's.
///
/// The name is `dir` / prefix + 8 random characters of `[a-z0-9_]` + suffix,
/// opened with `O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC`, mode 0600.
///
/// @par Deletion (as CPython)
/// - `keep = false`, `delete_on_close = true` (the default): deleted by
///   `async_close` (or the destructor).
/// - `keep = false`, `delete_on_close = false`: survives `async_close`; deleted
///   when the object is destroyed (the end of Python's `with` block).
/// - `keep = true`: never deleted.
///
/// The name is deleted only while it still names this file (same device and
/// inode): a file someone else deleted first is no error, and another file
/// that took the name is left alone. A forked child that destroys its copy of
/// the object only closes it: the name belongs to the creating process.
///
/// @tparam Executor The type of the file's executor (default
/// `net::any_io_executor`).
template <class Executor = net::any_io_executor>
class basic_named_temporary_file : public basic_async_file<Executor> {
  public:
    /// @brief What async_create makes, in Python's parameter order:
    /// `named_temporary_file::async_create({.suffix = ".json", .keep = true})`.
    ///
    /// Views, not owning strings (see tempio/path_view.hpp): what they view
    /// must stay alive until async_create's initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    struct options {
        /// @brief Python/`fopen` mode: letters `r w a x + b t`, exactly one of
        /// `r w a x`, each at most once, not both `b` and `t`. `"w+"` and
        /// `"w+b"` behave the same (bytes in `std::string`).
        std::string_view mode = "w+b";
        std::size_t buffering = 65536;    ///< write buffer; 0 = unbuffered
        std::string_view suffix{};        ///< Ends the name; no `/` or NUL.
        std::string_view prefix = "tmp";  ///< Starts the name; no `/` or NUL.
        /// @brief Where the file goes; empty: gettempdir(). To publish it
        /// (async_persist), on the target's file system: a rename cannot
        /// cross file systems (`cross_device_link`).
        path_view dir{};
        bool keep = false;  ///< Python's delete=False: never deleted.
        /// @brief Deleted by `async_close` (true) or only when the object is
        /// destroyed (false). Ignored with `keep`.
        bool delete_on_close = true;
    };

    /// @brief Constructs an object that holds no file (see basic_async_file).
    /// @param ex The executor for completions of handlers without their own.
    explicit basic_named_temporary_file(const Executor& ex) : basic_async_file<Executor>(ex) {}
    /// @cond TEMPIO_INTERNAL
    basic_named_temporary_file(detail::adopt_core_t, const Executor& ex, detail::file_ptr core)
        : basic_async_file<Executor>(detail::adopt_core, ex, std::move(core)) {}
    /// @endcond

    /// @brief The absolute path of the file (Python's .name).
    ///
    /// Set at creation; unchanged by close or deletion; the target once
    /// published (async_persist). Empty for an object that never held a file.
    /// Not to be called while an operation on the object is pending. Made
    /// on the first call (a file nobody asks about costs no
    /// std::filesystem::path).
    /// @return The path.
    /// @throws std::bad_alloc On the first call, when memory runs out.
    const std::filesystem::path& path() const { return detail::public_path_of(this->core().get()); }

    using basic_async_file<Executor>::async_persist;
    using basic_async_file<Executor>::async_persist_noclobber;

    /// @brief Stops deleting the file (Rust's `keep()`), after creation: it
    /// stays when closed or destroyed. No I/O.
    ///
    /// As `keep = true` in the options, decided later. Not to be called while
    /// an operation on the object is pending.
    /// @return path(); empty for an object that holds no file.
    std::filesystem::path keep() { return detail::keep_file(this->core().get()); }

    /// @brief Creates a named temporary file; its executor is the handler's
    /// associated executor (for a coroutine, its own).
    ///
    /// One job on a worker: the name retry loop, `open` and `fstat` (with
    /// io_uring, `openat` calls on the ring when `dir` is given or gettempdir()
    /// is already known). With a plain callback, which has no associated
    /// executor, the file's executor would be Asio's system executor: use the
    /// overload that takes an executor, or `net::bind_executor`.
    /// @param o The options; the strings they view are copied when the
    /// operation starts.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_named_temporary_file file)`: the open file;
    /// on error, an object that holds none.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is
    /// created; if it arrives while the file is being created, the file is
    /// removed again. Both complete with `operation_aborted`. No file or
    /// descriptor is leaked.
    /// @par Lifetime
    /// The strings `o` views, until the initiation has run (with
    /// `net::deferred`, until the `co_await` completes).
    /// @par Errors
    /// `invalid_argument` (a bad mode; a prefix or suffix with `/` or NUL; a
    /// `dir` with NUL); `ENOENT`, `ENOTDIR`, `EACCES`, ... for a bad `dir`, as
    /// the kernel says; `ENOENT` when `dir` is empty and no temporary directory
    /// is usable; `EEXIST` when `TMP_MAX` names were all taken; the system's
    /// error (`EMFILE`, `ENOSPC`, `EROFS`, ...). Nothing is created.
    template <net::completion_token_for<void(error_code, basic_named_temporary_file)> Token =
                  net::deferred_t>
    static auto async_create(options o, Token&& token = {}) {
        return detail::initiate_create<basic_named_temporary_file, detail::file_ptr>(
            std::forward<Token>(token),
            [o](auto h) { detail::start_create_file(spec(o), std::move(h)); });
    }
    /// @brief Creates a named temporary file whose executor is `ex`.
    ///
    /// As the other overload; the completion runs on the handler's associated
    /// executor, or `ex` when it has none.
    /// @param ex The file's executor.
    /// @param o The options.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, basic_named_temporary_file file)`.
    /// @par Per-operation cancellation
    /// As the other overload: `terminal`, `partial`, `total`.
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
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
};

/// basic_named_temporary_file on `net::any_io_executor`.
using named_temporary_file = basic_named_temporary_file<>;

}  // namespace tempio
