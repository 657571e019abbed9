/// @file
/// @brief tempio/async_file.hpp: the asynchronous file surface shared by
/// temporary_file, named_temporary_file and spooled_temporary_file (anyio's
/// `AsyncFile`), and an Asio stream (`async_read_some` / `async_write_some`).
///
/// Every operation completes on the handler's associated executor, or the
/// file's executor when the handler has none, never inside the initiating call
/// -- except that a coroutine's `co_await` (net::deferred, net::use_awaitable)
/// of an operation whose result is known at once resumes the coroutine there,
/// at most 16 times in a row: no callback ever runs inside the initiating call.
/// Small writes fill a user-space buffer (`options::buffering` bytes, default
/// 65536; 0 = unbuffered) and complete without a worker hop; the buffer reaches
/// the kernel when full (written behind by a worker while the next one fills),
/// before a read, seek, truncate or fileno, on flush and on close. An error
/// writing a full buffer behind is reported by the next flush or close, which
/// writes those bytes again first. Operations that need the kernel run as one
/// job on a worker.
///
/// One object is used by one strand at a time: start an operation only after
/// the previous one on the same object completed (as with Asio sockets).
///
/// Cancellation (terminal, partial, total): an operation cancelled before its
/// work starts does nothing and completes with `operation_aborted`; one already
/// running completes normally. `async_close` is never cancelled.
/// Errors: `bad_file_descriptor` after close, or reading a file not opened for
/// reading (writing likewise); the system's error otherwise.
#pragma once

#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tempio/config.hpp"
#include "tempio/detail/file_engine.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/unique_fd.hpp"
#include "tempio/whence.hpp"

namespace tempio {

/// @brief The asynchronous file operations of tempio's file classes (anyio's
/// `AsyncFile`), and an Asio `AsyncReadStream` / `AsyncWriteStream`.
///
/// Not created directly: basic_temporary_file, basic_named_temporary_file and
/// basic_spooled_temporary_file derive from it, and their `async_create` makes
/// the file. Objects are move-only; a moved-from file behaves like a closed one.
///
/// Every `async_*` member is an Asio initiating function: it takes a completion
/// token last, `net::deferred` by default (so `co_await f.async_write("x")`
/// works inside a `net::awaitable` coroutine; `net::use_awaitable`,
/// `net::as_tuple(...)`, `net::use_future` and callbacks work too), and returns
/// at once. The handler receives an `error_code` first. It is called on its
/// associated executor, or on this file's executor when it has none, and never
/// from within the initiating function: an operation that needs no system call
/// is posted. One exception, for coroutines: when the handler is the one Asio
/// makes for `co_await` of a `net::deferred` operation or for
/// `net::use_awaitable`, such an operation (and one made on the calling
/// thread on a memory file system: tempio/backend.hpp) resumes the coroutine at once
/// (Asio starts an operation only after the coroutine has suspended, so no
/// code is re-entered), at most 16 times in a row on a thread; the next one is
/// posted, so other handlers of the io_context still run between them.
/// `net::async_write` of a file from a coroutine counts as the coroutine's
/// (its intermediate steps only call `async_write_some` again). Other
/// wrapped handlers (`net::as_tuple(...)`, `net::bind_executor`, other
/// composed operations) are always posted.
///
/// @par Where the work runs
/// - Without a worker hop or a system call (posted at once): every operation on
///   a closed or moved-from file; a spooled file's operations while it is in
///   memory, except a write or truncate that rolls it over, `async_rollover`
///   and `async_fileno`; a write that fits in the user-space buffer (the
///   options' `buffering`, default 65536 bytes; 0 = unbuffered), or that
///   fits in an empty one while the full one is handed to a worker
///   (write-behind: at most one at a time); `async_tell` when the position is
///   known; `async_flush` with nothing buffered or being written behind.
/// - Otherwise as one job on tempio's worker pool (tempio/backend.hpp). With the
///   io_uring backend, `async_read`, `async_readinto`, `async_read_some`, writes
///   past the buffer and a close with nothing buffered and no name to delete
///   are made on the ring of the io_context that runs the completion instead.
///
/// The user-space buffer reaches the kernel when it is full (written behind),
/// before a read, seek, truncate or fileno, and on flush, sync and close; each
/// of those first waits for a buffer being written behind.
///
/// @par Per-operation cancellation
/// Every operation but `async_close` supports `net::cancellation_type::terminal`,
/// `partial` and `total`, before its work starts: cancelled while it waits for a
/// worker, it does nothing and completes with `net::error::operation_aborted`.
/// Once its work started it is not interrupted and completes normally. The
/// work of an operation that completes at once, or runs on an io_uring ring,
/// starts inside the initiating function: such an operation always completes
/// normally. `async_close` is never cancelled.
///
/// @par Lifetime
/// The caller's buffers (`async_write`'s data, the buffers of `async_readinto`,
/// `async_read_some` and `async_write_some`) must stay valid until the
/// completion handler is called. The file object may be destroyed while an
/// operation is in flight: the operation keeps the file open until it
/// completes, then the file is closed (and deleted as configured). An operation
/// initiated after its object is gone (a `net::deferred` operation awaited
/// later) completes with `bad_descriptor`, `async_close` with success.
///
/// @par Errors
/// Errors are `error_code`s in `boost::system::system_category()`, as Asio's
/// own, so `ec == net::error::bad_descriptor` and
/// `ec == std::errc::bad_file_descriptor` both hold.
/// - `bad_descriptor` (`EBADF`): the file is closed or moved from; or a read
///   from a file whose mode cannot read (`"w"`, `"a"`, `"x"` without `+`), a
///   write or truncate to one whose mode cannot write (`"r"`).
/// - `invalid_argument` (`EINVAL`), `EOVERFLOW`, `EFBIG`: a position or size
///   outside `off_t` (see each operation).
/// - `ENOMEM`: a result, or a spooled file's memory, that cannot be allocated;
///   nothing changed.
/// - `EAGAIN` or `ENOMEM`: no worker thread exists and none could be started.
/// - Otherwise the system's error (`ENOSPC`, `EDQUOT`, `EIO`, ...).
///
/// @par Thread safety
/// Distinct objects: safe. Shared objects: unsafe. One object is used by one
/// strand at a time: start an operation only after the previous one on the
/// same object completed (as with Asio sockets).
///
/// @tparam Executor The type of the file's executor, which runs the completions
/// of handlers that have no associated executor.
template <class Executor = net::any_io_executor>
class basic_async_file {
  public:
    /// The type of the executor associated with the object.
    using executor_type = Executor;

    /// @brief Constructs an object that holds no file.
    ///
    /// `is_open()` is false; every operation completes with `bad_descriptor`,
    /// `async_close` with success. The file classes inherit it: an empty object
    /// (a member, say) that a file made by `async_create` is move-assigned to
    /// later.
    /// @param ex The executor for completions of handlers without their own.
    explicit basic_async_file(const executor_type& ex) : executor_(ex) {}
    /// @cond TEMPIO_INTERNAL
    basic_async_file(detail::adopt_core_t, const executor_type& ex, detail::file_ptr core)
        : executor_(ex), core_(std::move(core)), ref_(detail::ref_of(core_.get())) {}
    /// @endcond
    /// @brief Move constructor.
    ///
    /// Moves copy the executor (as Asio's I/O objects do): a moved-from file
    /// behaves like a closed one, its operations complete with
    /// `bad_file_descriptor` through their handler.
    /// @param other The file to move from.
    basic_async_file(basic_async_file&& other) noexcept
        : executor_(other.executor_),
          core_(std::move(other.core_)),
          ref_(std::exchange(other.ref_, {})) {}
    /// @brief Move assignment.
    ///
    /// A file `*this` still held is released as by the destructor (closed and
    /// deleted as configured, synchronously). `other` behaves like a closed
    /// file afterwards; the executor is copied.
    /// @param other The file to move from.
    /// @return `*this`.
    basic_async_file& operator=(basic_async_file&& other) noexcept {
        executor_ = other.executor_;
        core_ = std::move(other.core_);
        ref_ = std::exchange(other.ref_, {});
        return *this;
    }
    /// @brief Destructor: the synchronous fallback of `async_close`.
    ///
    /// Still open at destruction: closed (and deleted as configured)
    /// synchronously, with blocking system calls on the calling thread; errors
    /// are ignored and nothing is thrown. A named file with
    /// `delete_on_close = false` is deleted here. Prefer
    /// `co_await async_close()`, or tempio::with_temporary_file and its
    /// siblings. An operation still in flight keeps the file open until it
    /// completes (see Lifetime in the class description).
    ~basic_async_file() = default;

    /// @brief The executor that runs the completions of handlers that have no
    /// associated executor of their own.
    /// @return A copy of the executor.
    executor_type get_executor() const noexcept { return executor_.get(); }
    /// @brief Whether the object holds an open file.
    /// @return False once `async_close` has completed, and for a moved-from
    /// object or one that never held a file.
    bool is_open() const noexcept { return detail::is_open(core_.get()); }

    /// @brief Writes `data` into the user-space buffer (or a spooled file's
    /// memory) now, when that needs no wait; otherwise writes nothing.
    ///
    /// The synchronous companion of async_write for many small writes: each
    /// `co_await f.async_write(s)` costs a resumption even when it only fills
    /// the buffer; `if (!f.try_write(s)) co_await f.async_write(s);` costs a
    /// memcpy. When the buffer is full it may be handed to a worker to write
    /// (write-behind, as async_write does): `data` then starts the next
    /// buffer. Never blocks, never makes a system call itself, never rolls a
    /// spooled file over. Not while another operation on the object is pending.
    /// @return True: all of `data` was taken. False: nothing was (bigger than
    /// the buffer, the previous full buffer still being written, the write
    /// would roll over, the file is closed or not writable): use async_write,
    /// which also reports any error.
    bool try_write(std::string_view data) noexcept { return detail::try_write(core_.get(), data); }
    /// @brief The native handle type: the descriptor on POSIX, the file's
    /// `HANDLE` on Windows (tempio/unique_fd.hpp).
    using native_handle_type = tempio::native_handle_type;
    /// @brief The file's native handle: its descriptor on POSIX (-1: closed,
    /// or a spooled file still in memory); its `HANDLE` on Windows
    /// (INVALID_HANDLE_VALUE then).
    ///
    /// Bytes written through async_write may still sit in the user-space
    /// buffer: call async_flush (or async_sync) before handing the handle to
    /// code that reads or publishes the file. The handle stays owned by the
    /// object: do not close it.
    /// @return The handle.
    native_handle_type native_handle() const noexcept {
        return detail::handle_of_descriptor(detail::native_handle(core_.get()));
    }
    /// @brief The file's descriptor (-1: closed, or a spooled file still in
    /// memory): on POSIX the same as native_handle(); on Windows the C
    /// runtime's descriptor holding the `HANDLE` (`_read`, `_fstat`...).
    /// Owned by the object, as native_handle() is.
    /// @return The descriptor, or -1.
    int descriptor() const noexcept { return detail::native_handle(core_.get()); }

    /// @brief Reads everything from the position to the end of the file
    /// (Python's `read()`).
    ///
    /// Flushes the write buffer first. Runs on a worker (or the io_uring ring);
    /// in memory, at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::string data)`: the bytes read, empty at end of
    /// file; on error, what was read before it, if anything.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's: the result is owned.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot read); `ENOMEM` (the
    /// result cannot be allocated; the position is unchanged); the system's error.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_read(Token&& token = {}) {
        return async_read(SIZE_MAX, std::forward<Token>(token));
    }
    /// @brief Reads at most `n` bytes (Python's `read(n)`).
    ///
    /// Stops at `n` bytes, at end of file, or after a short read from the
    /// kernel. Flushes the write buffer first. Runs on a worker (or the io_uring
    /// ring); in memory, at once.
    /// @param n The most bytes to read.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::string data)`: at most `n` bytes; empty at end
    /// of file; on error, what was read before it, if anything.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's: the result is owned.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot read); `ENOMEM` (the
    /// result cannot be allocated; the position is unchanged); the system's error.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_read(std::size_t n, Token&& token = {}) {
        return detail::initiate_on<std::string>(
            executor_, std::forward<Token>(token),
            [f = weak_core(), n](auto h) { detail::start_read(f.lock(), n, std::move(h)); });
    }
    /// @brief Reads one line (Python's `readline()`).
    ///
    /// Reads through the next `\n`, inclusive, or to the end of the file.
    /// Flushes the write buffer first. Runs on a worker; in memory, at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::string line)`: the line with its `\n` (the
    /// last one may have none); empty at end of file.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's: the result is owned.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot read); `ENOMEM` (the
    /// line cannot be allocated; the position is unchanged); the system's error.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_readline(Token&& token = {}) {
        return detail::initiate_on_or_now<std::string>(
            executor_, std::forward<Token>(token), ref_,
            [](const auto& f) { return detail::try_readline(f.peek()); },
            [](const auto& f, auto h) { detail::start_readline(f.lock(), std::move(h)); });
    }
    /// @brief Reads the remaining lines (Python's `readlines()`).
    ///
    /// Reads to the end of the file and splits after each `\n`. Flushes the
    /// write buffer first. Runs on a worker; in memory, at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::vector<std::string> lines)`: each line with its
    /// `\n` (the last one may have none); empty at end of file.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's: the result is owned.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot read); `ENOMEM` (the
    /// lines cannot be allocated; the position is back where it was); the
    /// system's error.
    template <net::completion_token_for<void(error_code, std::vector<std::string>)> Token =
                  net::deferred_t>
    auto async_readlines(Token&& token = {}) {
        return detail::initiate_on<std::vector<std::string>>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_readlines(f.lock(), std::move(h)); });
    }
    /// @brief Reads into a caller's buffer (Python's `readinto(b)`).
    ///
    /// One read: at most `b.size()` bytes, possibly fewer. Flushes the write
    /// buffer first. Runs on a worker (or the io_uring ring); in memory, at once.
    /// @param b The buffer to read into.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::size_t n)`: the bytes read; 0 at end of file
    /// (or for an empty buffer), with no error.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// `b` must stay valid until completion.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot read); the system's error.
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_readinto(net::mutable_buffer b, Token&& token = {}) {
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), b](auto h) {
                detail::start_readinto(f.lock(), b, false, std::move(h));
            });
    }
    /// @brief Writes all of `data` (Python's `write(b)`).
    ///
    /// Data that fits in the user-space buffer is copied there and completes
    /// without a worker hop; more goes to the kernel (with what was buffered)
    /// on a worker, or the io_uring ring. A spooled file in memory takes it in
    /// memory, unless the write leaves the position past `max_size`: then it
    /// rolls over on a worker first.
    /// @param data The bytes to write.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::size_t n)`: `data.size()` on success; on
    /// error, how many of its bytes were written (possibly 0).
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// A cancelled write that would have rolled a spooled file over leaves it
    /// in memory, intact.
    /// @par Lifetime
    /// The bytes `data` views must stay valid until completion.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot write); `EFBIG` (the
    /// end would pass `INT64_MAX`); `ENOMEM` (a spooled file in memory cannot
    /// grow; nothing changed); a failed rollover's error (the data stays in
    /// memory); the system's error (`ENOSPC`, `EDQUOT`, `EIO`, ...).
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write(std::string_view data, Token&& token = {}) {
        return detail::initiate_on_or_now<std::size_t>(
            executor_, std::forward<Token>(token), ref_,
            [data](const auto& f) -> std::optional<detail::result_now<std::size_t>> {
                if (!detail::try_write(f.peek(), data)) return std::nullopt;
                return detail::result_now<std::size_t>{error_code(), data.size()};
            },
            [data](const auto& f, auto h) {
                detail::start_write(f.lock(), net::buffer(data), std::move(h));
            });
    }
    /// @brief Writes every line of a range, one after the other (Python's
    /// `writelines()`): no separator is added.
    ///
    /// As async_write with the lines joined into one string.
    /// @param lines A range of string-like elements (each convertible to
    /// `std::string_view`).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// None: the lines are copied before this call returns, even with
    /// `net::deferred`.
    /// @par Errors
    /// As async_write.
    template <std::ranges::input_range Lines,
              net::completion_token_for<void(error_code)> Token = net::deferred_t>
    requires std::convertible_to<std::ranges::range_reference_t<Lines>, std::string_view>
    auto async_writelines(const Lines& lines, Token&& token = {}) {
        std::string joined;
        for (auto&& line : lines) joined += std::string_view(line);
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](std::string data, auto h) {
                detail::start_write_owned(f.lock(), std::move(data), std::move(h));
            },
            std::move(joined));
    }
    /// @brief Moves to `offset` from the start of the file (Python's
    /// `seek(offset)`).
    ///
    /// As `async_seek(offset, whence::set, token)`.
    /// @param offset The new position.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::uint64_t position)`: the new position.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_seek(std::int64_t offset, Token&& token = {}) {
        return async_seek(offset, whence::set, std::forward<Token>(token));
    }
    /// @brief Moves the position (Python's `seek(offset, whence)`).
    ///
    /// Flushes the write buffer first, then `lseek(2)` on a worker; in memory,
    /// at once. A position past the end is allowed (a later write leaves a gap
    /// of zeros).
    /// @param offset The offset from the reference point; may be negative.
    /// @param w The reference point: the start, the position, or the end.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::uint64_t position)`: the new position, from
    /// the start of the file.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); `invalid_argument` (the position would be
    /// negative, or `w` is not a whence value); `EOVERFLOW` (it would pass
    /// `INT64_MAX`); the system's error (a failed flush). The same on a spooled
    /// file before and after its rollover.
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_seek(std::int64_t offset, whence w, Token&& token = {}) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), offset, w](auto h) {
                detail::start_seek(f.lock(), offset, w, std::move(h));
            });
    }
    /// @brief The position (Python's `tell()`), counting the bytes still in the
    /// user-space buffer.
    ///
    /// Completes at once when the position is known; in append mode after a
    /// write, the buffer is flushed and the position asked of the kernel on a
    /// worker.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::uint64_t position)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); the system's error (a failed flush).
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_tell(Token&& token = {}) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_tell(f.lock(), std::move(h)); });
    }
    /// @brief Cuts (or extends) the file to the position (Python's
    /// `truncate()`).
    ///
    /// As `async_truncate(size, token)` with the position as the size. The
    /// position does not move.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::uint64_t size)`: the new size.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_truncate(Token&& token = {}) {
        return truncate_impl(std::nullopt, std::forward<Token>(token));
    }
    /// @brief Resizes the file to `size` bytes (Python's `truncate(size)`).
    ///
    /// Cuts the file, or extends it with zeros. The position does not move.
    /// Flushes the write buffer first, then `ftruncate(2)` on a worker. A
    /// spooled file in memory is resized in memory at once, unless `size` is
    /// greater than a non-zero `max_size`: then it rolls over first, on a worker.
    /// @param size The new size.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::uint64_t size)`: the new size.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed, or a mode that cannot write);
    /// `invalid_argument` (`size` greater than `INT64_MAX`); `ENOMEM` (a
    /// spooled file in memory cannot grow; nothing changed); a failed
    /// rollover's error (the data stays in memory); the system's error.
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_truncate(std::uint64_t size, Token&& token = {}) {
        return truncate_impl(size, std::forward<Token>(token));
    }
    /// @brief Writes the user-space buffer to the kernel (Python's `flush()`);
    /// no `fsync` (see async_sync).
    ///
    /// Completes at once when nothing is buffered, and in memory; else on a
    /// worker.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); the system's error from `write(2)`. What was
    /// not written stays buffered for a later flush.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_flush(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_flush(f.lock(), std::move(h)); });
    }
    /// @brief Makes the file durable: flushes the user-space buffer, then
    /// `fsync(2)`: data and metadata on stable storage.
    ///
    /// A spooled file still in memory: nothing to do, success at once.
    /// Otherwise one job on a worker.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before it starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// `bad_descriptor` (closed); the flush's or `fsync`'s error (`EIO`,
    /// `ENOSPC`, `EDQUOT`, `EINVAL` where the file system cannot sync).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_sync(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_sync(f.lock(), false, std::move(h)); });
    }
    /// @brief As async_sync, with `fdatasync(2)` (metadata only as needed to
    /// read the data back).
    ///
    /// A spooled file still in memory: nothing to do, success at once.
    /// Otherwise one job on a worker.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before it starts (see the class).
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// As async_sync.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_datasync(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_sync(f.lock(), true, std::move(h)); });
    }
    /// @brief Flushes, closes, and deletes the file as configured (Python's
    /// `aclose()`).
    ///
    /// A named file is deleted here unless `keep` or `delete_on_close = false`.
    /// Idempotent: closing a closed or moved-from file succeeds at once. Runs
    /// on a worker (with io_uring, a close with nothing to flush or delete is
    /// one `close` on the ring); in memory, at once.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// None: close is never cancelled.
    /// Pitfall: inside a coroutine that was already cancelled, `co_await
    /// f.async_close()` throws operation_aborted before it starts (Asio's
    /// awaitable checks the cancellation state at every co_await), and the
    /// cleanup falls to the blocking destructor. tempio::with_temporary_file
    /// and its siblings (tempio/scoped.hpp) always await the close.
    /// @par Lifetime
    /// Nothing of the caller's.
    /// @par Errors
    /// The flush's, `close`'s or the unlink's error, reported; the file is
    /// closed anyway (`is_open()` is false). A name that could not be deleted
    /// is tried again by the destructor. A name someone else deleted (or
    /// reused for another file) first is no error, and is left alone.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_close(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_close(f.lock(), std::move(h)); });
    }

    /// @brief Reads some bytes: the `AsyncReadStream` operation, so that
    /// `net::async_read`, `net::async_read_until` and Beast work on these files.
    ///
    /// One read into the first non-empty buffer of the sequence, as
    /// async_readinto.
    /// @param buffers The buffers to read into (only the first non-empty one is
    /// used).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::size_t n)`: the bytes read; at end of file 0
    /// with `net::error::eof`; 0 with no error when every buffer is empty.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// The memory of `buffers` must stay valid until completion (the sequence
    /// object itself may be copied).
    /// @par Errors
    /// `net::error::eof`; otherwise as async_readinto.
    template <class MutableBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token = {}) {
        auto b = detail::first_buffer<net::mutable_buffer>(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), b](auto h) {
                detail::start_readinto(f.lock(), b, true, std::move(h));
            });
    }
    /// @brief Writes some bytes: the `AsyncWriteStream` operation, so that
    /// `net::async_write` and Beast work on these files.
    ///
    /// Gathers the sequence: one buffer is written as is (async_write); several
    /// (up to 1024 buffers and 1 MiB, at least the first) are joined and
    /// written as one write, so `net::async_write` of many small buffers costs
    /// one operation, not one per buffer. On success, all the bytes taken.
    /// @param buffers The buffers to write.
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec, std::size_t n)`: the bytes written.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the work starts (see the class).
    /// @par Lifetime
    /// The memory of `buffers` must stay valid until completion (the sequence
    /// object itself may be copied).
    /// @par Errors
    /// As async_write.
    template <class ConstBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token = {}) {
        detail::gathered_buffers g = detail::gather(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = weak_core(), b = g.single](std::string joined, auto h) {
                if (joined.empty())
                    detail::start_write(f.lock(), b, std::move(h));
                else
                    detail::start_write_joined(f.lock(), std::move(joined), std::move(h));
            },
            std::move(g.joined));
    }

  protected:
    /// @name Publishing (public in temporary_file, named_temporary_file and
    /// spooled_temporary_file; see tempio/publish.hpp, docs/publishing.md)
    /// @{

    /// @brief Publishes the file under `target`, replacing whatever is there
    /// atomically (rename, or linkat for a file that never had a name).
    ///
    /// As `async_persist(target, publish_options{}, token)`.
    /// @param target Where the file goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (see the other
    /// overload).
    /// @par Lifetime
    /// As the other overload.
    /// @par Errors
    /// As the other overload.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, Token&& token = {}) {
        return async_persist(target, publish_options{}, std::forward<Token>(token));
    }
    /// @brief Publishes the file under `target`, replacing whatever is there
    /// atomically (rename, or linkat for a file that never had a name).
    ///
    /// One job on a worker, whatever the backend: the user-space buffer is
    /// flushed, the options applied (permissions, then, when `durable`,
    /// `fdatasync`, or `fsync` when `permissions` is given), then a named
    /// file is renamed, an anonymous or rolled-over one linked (it must have
    /// been opened linkable: temporary_file's `linkable`, or a spooled file's
    /// rollover), and a spooled file still in memory is first written to a
    /// new linkable file in the target's directory. A reader of `target` sees
    /// its old or its complete new content, never a mix. On success the object
    /// refers to `target` (path() of a named file), stays open, and never
    /// deletes it; on failure nothing changed (the object still owns, and
    /// will delete, its temporary).
    ///
    /// The published file has mode 0600, as the temporary was created
    /// (CPython's and Rust's rule for temporaries): readable by its owner
    /// only, unless `o.permissions` is given (then exactly those bits, set
    /// before the publish).
    ///
    /// The target is resolved as rename(2) resolves it: its directory part is
    /// opened (following symbolic links) and the rename or link made relative
    /// to it; a symbolic link at the final component is replaced, never
    /// followed. Any name up to the file system's NAME_MAX (255 bytes) can be
    /// published.
    ///
    /// Error latch: once a write, flush, sync or truncate of this object has
    /// failed (a short write included), every publish fails with that first
    /// error and changes nothing: a truncated file is never published.
    ///
    /// Across file systems the publish fails (`cross_device_link`): create
    /// the file with `dir` on the target's file system. A spooled file still
    /// in memory publishes anywhere, but once rolled over into its `dir`
    /// (default gettempdir()) it fails there: see spooled_temporary_file's
    /// `dir`.
    /// @param target Where the file goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param o Durability and permissions (tempio/publish.hpp).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`: before the job starts, nothing is done
    /// and the operation completes with `operation_aborted`. Once started it
    /// completes, never half-published.
    /// @par Lifetime
    /// None past the initiation: what `target` views is copied when the
    /// operation is initiated (with `net::deferred`, inside the `co_await`
    /// expression), so the caller's string may be destroyed as soon as the
    /// initiating call has returned.
    /// @par Errors
    /// `bad_descriptor` after close; the first error of an earlier failed
    /// write, flush, sync or truncate of this object (the error latch);
    /// `invalid_argument` for an empty target, one with NUL, or a final
    /// component `.` or `..`; `not_a_directory` for a target that ends with
    /// `/` (or whose directory part is not a directory);
    /// `cross_device_link` (target on another file system: nothing is
    /// copied); `operation_not_permitted` (a temporary_file not created
    /// `linkable`); `operation_not_supported` (a spooled file in memory whose
    /// target's file system has no `O_TMPFILE`); `filename_too_long` (a final
    /// component longer than NAME_MAX); the flush's, `fchmod`'s, the sync's,
    /// the rename's or the link's error (`ENOENT`, `EACCES`, `is_a_directory`,
    /// ...). With `durable`, an error of the final directory `fsync` is
    /// reported although the file is published.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(detail::make_publish_spec(target, o, detail::publish_how::replace),
                            std::forward<Token>(token));
    }
    /// @brief As async_persist, but never replaces: file_exists (EEXIST)
    /// when `target` exists (renameat2 RENAME_NOREPLACE or linkat; never a
    /// check-then-rename).
    ///
    /// As `async_persist_noclobber(target, publish_options{}, token)`.
    /// @param target Where the file goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (as async_persist).
    /// @par Lifetime
    /// As async_persist.
    /// @par Errors
    /// `file_exists` when `target` exists; otherwise as async_persist.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, Token&& token = {}) {
        return async_persist_noclobber(target, publish_options{}, std::forward<Token>(token));
    }
    /// @brief As async_persist, but never replaces: file_exists (EEXIST)
    /// when `target` exists (renameat2 RENAME_NOREPLACE or linkat; never a
    /// check-then-rename).
    /// @param target Where the file goes: copied when the operation is
    /// initiated, a relative one resolved against the current directory then
    /// (docs/publishing.md, "Which target is published").
    /// @param o Durability and permissions (tempio/publish.hpp).
    /// @param token The completion token (default `net::deferred`).
    /// @return What the token makes of the operation: with `net::deferred`, an
    /// operation to `co_await` or to start later.
    /// @par Completion signature
    /// `void(error_code ec)`.
    /// @par Per-operation cancellation
    /// `terminal`, `partial`, `total`, before the job starts (as async_persist).
    /// @par Lifetime
    /// As async_persist.
    /// @par Errors
    /// `file_exists` when `target` exists; otherwise as async_persist.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_persist_noclobber(path_view target, publish_options o, Token&& token = {}) {
        return publish_impl(detail::make_publish_spec(target, o, detail::publish_how::noclobber),
                            std::forward<Token>(token));
    }
    /// @}

    /// @cond TEMPIO_INTERNAL
    const detail::file_ptr& core() const noexcept { return core_; }
    // What an initiation holds until it runs: a deferred operation, or an
    // awaitable's frame, may outlive the operation, and must not keep the
    // file's state alive past the object (destroyed means gone). The
    // operations that hop keep this weak_ptr: its lock() stays safe even
    // when a caller breaks the one-operation-at-a-time contract. Only
    // async_write and async_readline, made millions of times and often done
    // at once, peek through ref_ instead (detail::core_ref), which relies on
    // that contract.
    std::weak_ptr<detail::file_core> weak_core() const noexcept { return core_; }
    // Group publishing (tempio/group_publish.hpp) takes the cores of many files.
    friend struct detail::core_access;
    /// @endcond

  private:
    template <class Token>
    auto publish_impl(detail::publish_spec spec, Token&& token) {
        return detail::initiate_on<>(executor_, std::forward<Token>(token),
                                     [f = weak_core(), spec](auto h) {
                                         detail::start_publish(f.lock(), spec, std::move(h));
                                     });
    }
    template <class Token>
    auto truncate_impl(std::optional<std::uint64_t> size, Token&& token) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), size](auto h) {
                detail::start_truncate(f.lock(), size, std::move(h));
            });
    }

    detail::kept_executor<executor_type> executor_;
    detail::file_ptr core_;
    detail::core_ref ref_;  // core_'s, for the operations that peek
};

}  // namespace tempio
