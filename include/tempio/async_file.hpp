// tempio/async_file.hpp: the asynchronous file surface shared by
// temporary_file, named_temporary_file and spooled_temporary_file (anyio's
// AsyncFile), and an Asio stream (async_read_some / async_write_some).
//
// Every operation completes on the handler's associated executor, or the
// file's executor when the handler has none, never inside the initiating call.
// Small writes fill a user-space buffer (options::buffering bytes, default
// 8192; 0 = unbuffered) and complete without a worker hop; the buffer reaches
// the kernel when full, before a read, seek, truncate or fileno, on flush and
// on close. Operations that need the kernel run as one job on a worker.
//
// One object is used by one strand at a time: start an operation only after
// the previous one on the same object completed (as with Asio sockets).
//
// Cancellation (terminal, partial, total): an operation cancelled before its
// work starts does nothing and completes with operation_aborted; one already
// running completes normally. async_close is never cancelled.
// Errors: bad_file_descriptor after close, or reading a file not opened for
// reading (writing likewise); the system's error otherwise.
#pragma once

#include <cstdint>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

#include "tempio/config.hpp"
#include "tempio/detail/file_engine.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/whence.hpp"

namespace tempio {

template <class Executor = net::any_io_executor>
class basic_async_file {
  public:
    using executor_type = Executor;

    explicit basic_async_file(const executor_type& ex) : executor_(ex) {}
    basic_async_file(detail::adopt_core_t, const executor_type& ex, detail::file_ptr core)
        : executor_(ex), core_(std::move(core)) {}
    // Moves copy the executor (as Asio's I/O objects do): a moved-from file
    // behaves like a closed one, its operations complete with
    // bad_file_descriptor through their handler.
    basic_async_file(basic_async_file&& other) noexcept
        : executor_(other.executor_), core_(std::move(other.core_)) {}
    basic_async_file& operator=(basic_async_file&& other) noexcept {
        executor_ = other.executor_;
        core_ = std::move(other.core_);
        return *this;
    }
    // Still open at destruction: closed (and deleted as configured)
    // synchronously. Prefer co_await async_close().
    ~basic_async_file() = default;

    executor_type get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return detail::is_open(core_.get()); }
    // The file descriptor (-1: closed, or a spooled file still in memory).
    // Bytes written through async_write may still sit in the user-space
    // buffer: call async_flush (or async_sync) before handing the descriptor
    // to code that reads or publishes the file.
    int native_handle() const noexcept { return detail::native_handle(core_.get()); }

    // read(): everything to the end of the file.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_read(Token&& token = {}) {
        return async_read(SIZE_MAX, std::forward<Token>(token));
    }
    // read(n): at most n bytes; empty at end of file.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_read(std::size_t n, Token&& token = {}) {
        return detail::initiate_on<std::string>(
            executor_, std::forward<Token>(token),
            [f = weak_core(), n](auto h) { detail::start_read(f.lock(), n, std::move(h)); });
    }
    // readline(): through '\n' inclusive; empty at end of file.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_readline(Token&& token = {}) {
        return detail::initiate_on<std::string>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_readline(f.lock(), std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, std::vector<std::string>)> Token =
                  net::deferred_t>
    auto async_readlines(Token&& token = {}) {
        return detail::initiate_on<std::vector<std::string>>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_readlines(f.lock(), std::move(h)); });
    }
    // readinto(b): bytes read, 0 at end of file. `b` must stay valid until completion.
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_readinto(net::mutable_buffer b, Token&& token = {}) {
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), b](auto h) {
                detail::start_readinto(f.lock(), b, false, std::move(h));
            });
    }
    // write(data): writes all of it. `data` must stay valid until completion.
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write(std::string_view data, Token&& token = {}) {
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), data](auto h) {
                detail::start_write(f.lock(), net::buffer(data), std::move(h));
            });
    }
    // writelines(range): the lines are copied before this call returns.
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
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_seek(std::int64_t offset, Token&& token = {}) {
        return async_seek(offset, whence::set, std::forward<Token>(token));
    }
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_seek(std::int64_t offset, whence w, Token&& token = {}) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), offset, w](auto h) {
                detail::start_seek(f.lock(), offset, w, std::move(h));
            });
    }
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_tell(Token&& token = {}) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_tell(f.lock(), std::move(h)); });
    }
    // truncate(): to the current position. Completes with the new size.
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_truncate(Token&& token = {}) {
        return truncate_impl(std::nullopt, std::forward<Token>(token));
    }
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_truncate(std::uint64_t size, Token&& token = {}) {
        return truncate_impl(size, std::forward<Token>(token));
    }
    // flush(): the user-space buffer to the kernel (no fsync).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_flush(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_flush(f.lock(), std::move(h)); });
    }
    // sync(): flushes the user-space buffer, then fsync(2): data and
    // metadata on stable storage. A spooled file still in memory: nothing to
    // do, success. Cancellation (terminal, partial, total) before it starts.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_sync(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_sync(f.lock(), false, std::move(h)); });
    }
    // datasync(): as async_sync, with fdatasync(2) (metadata only as needed
    // to read the data back).
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_datasync(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_sync(f.lock(), true, std::move(h)); });
    }
    // close(): flushes, closes, deletes as configured. Idempotent; never cancelled.
    // Pitfall: inside a coroutine that was already cancelled, `co_await
    // f.async_close()` throws operation_aborted before it starts (Asio's
    // awaitable checks the cancellation state at every co_await), and the
    // cleanup falls to the blocking destructor. tempio::with_temporary_file
    // and its siblings (tempio/scoped.hpp) always await the close.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_close(Token&& token = {}) {
        return detail::initiate_on<>(
            executor_, std::forward<Token>(token),
            [f = weak_core()](auto h) { detail::start_close(f.lock(), std::move(h)); });
    }

    // AsyncReadStream / AsyncWriteStream: net::async_read, net::async_write
    // and Beast work on these files. read_some reports net::error::eof at EOF.
    template <class MutableBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token = {}) {
        auto b = detail::first_buffer<net::mutable_buffer>(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), b](auto h) {
                detail::start_readinto(f.lock(), b, true, std::move(h));
            });
    }
    template <class ConstBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token = {}) {
        auto b = detail::first_buffer<net::const_buffer>(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = weak_core(), b](auto h) { detail::start_write(f.lock(), b, std::move(h)); });
    }

  protected:
    const detail::file_ptr& core() const noexcept { return core_; }
    // What an initiation holds until it runs: a deferred operation, or an
    // awaitable's frame, may outlive the operation, and must not keep the
    // file's state alive past the object (destroyed means gone).
    std::weak_ptr<detail::file_core> weak_core() const noexcept { return core_; }

  private:
    template <class Token>
    auto truncate_impl(std::optional<std::uint64_t> size, Token&& token) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token), [f = weak_core(), size](auto h) {
                detail::start_truncate(f.lock(), size, std::move(h));
            });
    }

    executor_type executor_;
    detail::file_ptr core_;
};

}  // namespace tempio
