// The operations the io_uring backend runs on a ring instead of the pool:
// unique-name creation (files, directories, mkstemp, mkdtemp), a close with
// nothing buffered, the root rmdir of a directory cleanup, and writes that go
// straight to the kernel. Each start_* function here takes the handler only
// when the ring can do the operation; it returns false (the handler
// untouched) when the pool must.
#pragma once

#include <boost/asio/buffer.hpp>

#include "backend/ring.hpp"
#include "core/create.hpp"
#include "core/directory_core.hpp"
#include "core/file_core.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/mkstemp.hpp"

namespace tempio::detail {

using file_ptr = std::shared_ptr<file_core>;
using directory_ptr = std::shared_ptr<directory_core>;

// The ring for the operation being started (completing through `h`), or
// null: use the pool. The initiating function named the context.
template <class... T>
ring* ring_of(const handler<T...>&) {
    return ring_for(starting_context);
}

bool ring_create_file(ring& r, const file_request& req, handler<file_ptr>& h);
bool ring_create_directory(ring& r, const directory_core::settings& s, handler<directory_ptr>& h);
bool ring_mkstemp(ring& r, const name_request& req, handler<mkstemp_result>& h);
bool ring_mkdtemp(ring& r, const name_request& req, handler<std::filesystem::path>& h);

bool ring_close(ring& r, const file_ptr& f, handler<>& h);
bool ring_cleanup(ring& r, const directory_ptr& d, handler<>& h);
bool ring_write(ring& r, const file_ptr& f, net::const_buffer data, handler<std::size_t>& h);
// read(max) and readinto as read(2) calls on the ring (file_core::read's loop).
bool ring_read(ring& r, const file_ptr& f, std::size_t max, handler<std::string>& h);
bool ring_readinto(ring& r, const file_ptr& f, net::mutable_buffer b, bool eof_is_error,
                   handler<std::size_t>& h);
// Takes `data` (its bytes must outlive the write) only when it takes `h`.
bool ring_write_owned(ring& r, const file_ptr& f, std::string& data, handler<>& h);

// The pool's creation of a file, for the ring path to hand over to when
// O_TMPFILE turns out to be unsupported (file_ops.cpp).
void create_file_on_pool(file_request req, handler<file_ptr> h);

}  // namespace tempio::detail
