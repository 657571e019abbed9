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
    basic_async_file(basic_async_file&&) noexcept = default;
    basic_async_file& operator=(basic_async_file&&) noexcept = default;
    // Still open at destruction: closed (and deleted as configured)
    // synchronously. Prefer co_await async_close().
    ~basic_async_file() = default;

    executor_type get_executor() const noexcept { return executor_; }
    bool is_open() const noexcept { return detail::is_open(core_.get()); }
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
            [f = core_, n](auto h) { detail::start_read(f, n, std::move(h)); });
    }
    // readline(): through '\n' inclusive; empty at end of file.
    template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
    auto async_readline(Token&& token = {}) {
        return detail::initiate_on<std::string>(
            executor_, std::forward<Token>(token),
            [f = core_](auto h) { detail::start_readline(f, std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, std::vector<std::string>)> Token =
                  net::deferred_t>
    auto async_readlines(Token&& token = {}) {
        return detail::initiate_on<std::vector<std::string>>(
            executor_, std::forward<Token>(token),
            [f = core_](auto h) { detail::start_readlines(f, std::move(h)); });
    }
    // readinto(b): bytes read, 0 at end of file. `b` must stay valid until completion.
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_readinto(net::mutable_buffer b, Token&& token = {}) {
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = core_, b](auto h) { detail::start_readinto(f, b, false, std::move(h)); });
    }
    // write(data): writes all of it. `data` must stay valid until completion.
    template <net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write(std::string_view data, Token&& token = {}) {
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = core_, data](auto h) { detail::start_write(f, net::buffer(data), std::move(h)); });
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
            [f = core_](std::string data, auto h) {
                detail::start_write_owned(f, std::move(data), std::move(h));
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
            executor_, std::forward<Token>(token),
            [f = core_, offset, w](auto h) { detail::start_seek(f, offset, w, std::move(h)); });
    }
    template <net::completion_token_for<void(error_code, std::uint64_t)> Token = net::deferred_t>
    auto async_tell(Token&& token = {}) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token),
            [f = core_](auto h) { detail::start_tell(f, std::move(h)); });
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
        return detail::initiate_on<>(executor_, std::forward<Token>(token),
                                     [f = core_](auto h) { detail::start_flush(f, std::move(h)); });
    }
    // close(): flushes, closes, deletes as configured. Idempotent; never cancelled.
    template <net::completion_token_for<void(error_code)> Token = net::deferred_t>
    auto async_close(Token&& token = {}) {
        return detail::initiate_on<>(executor_, std::forward<Token>(token),
                                     [f = core_](auto h) { detail::start_close(f, std::move(h)); });
    }

    // AsyncReadStream / AsyncWriteStream: net::async_read, net::async_write
    // and Beast work on these files. read_some reports net::error::eof at EOF.
    template <class MutableBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_read_some(const MutableBufferSequence& buffers, Token&& token = {}) {
        auto b = detail::first_buffer<net::mutable_buffer>(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = core_, b](auto h) { detail::start_readinto(f, b, true, std::move(h)); });
    }
    template <class ConstBufferSequence,
              net::completion_token_for<void(error_code, std::size_t)> Token = net::deferred_t>
    auto async_write_some(const ConstBufferSequence& buffers, Token&& token = {}) {
        auto b = detail::first_buffer<net::const_buffer>(buffers);
        return detail::initiate_on<std::size_t>(
            executor_, std::forward<Token>(token),
            [f = core_, b](auto h) { detail::start_write(f, b, std::move(h)); });
    }

  protected:
    const detail::file_ptr& core() const noexcept { return core_; }

  private:
    template <class Token>
    auto truncate_impl(std::optional<std::uint64_t> size, Token&& token) {
        return detail::initiate_on<std::uint64_t>(
            executor_, std::forward<Token>(token),
            [f = core_, size](auto h) { detail::start_truncate(f, size, std::move(h)); });
    }

    executor_type executor_;
    detail::file_ptr core_;
};

}  // namespace tempio
