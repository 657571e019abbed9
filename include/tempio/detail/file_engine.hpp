// The compiled engine behind the file classes. Header templates only turn
// tokens into handlers and call these; the work is done in src/async/.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "tempio/detail/handler.hpp"
#include "tempio/path_view.hpp"
#include "tempio/publish.hpp"
#include "tempio/whence.hpp"

namespace tempio::detail {

class file_core;
using file_ptr = std::shared_ptr<file_core>;

// Where operations find their file's core: a slot that outlives every core
// (slots are reused, never freed) and the generation of the core in it,
// bumped when that core is destroyed. An operation keeps {slot, generation}
// (core_ref): copied as two words and checked with plain loads, where a
// weak_ptr costs two atomic read-modify-writes per operation (8% of a
// buffered 64-byte write).
struct core_slot {
    std::atomic<std::uint64_t> generation{0};
    std::atomic<file_core*> core{nullptr};
    core_slot* next_free = nullptr;  // the slot pool's (core/core_slots.cpp)
};

// An operation's reference to its file. peek() is the core while it is
// alive, without taking a reference. Sound because an operation starts only
// after the previous one on the same object completed, and a completed
// operation holds no reference: then every reference but the object's own
// is gone, and the core cannot go away on another thread during the
// initiation. lock() takes one, for an operation that runs on (null: gone).
struct core_ref {
    core_slot* slot = nullptr;
    std::uint64_t generation = 0;
    file_core* peek() const noexcept {
        return slot != nullptr && slot->generation.load(std::memory_order_acquire) == generation
                   ? slot->core.load(std::memory_order_relaxed)
                   : nullptr;
    }
    file_ptr lock() const noexcept;
};
core_ref ref_of(const file_core* f) noexcept;  // {} for a null core

enum class file_kind_tag { anonymous, named, spooled };

// What the option structs say, as views; the engine copies what it keeps.
struct file_spec {
    file_kind_tag kind = file_kind_tag::anonymous;
    std::string_view mode{};
    std::size_t buffering = 0;
    std::string_view suffix{};
    std::string_view prefix{};
    path_view dir{};
    bool keep = false;
    bool delete_on_close = true;
    std::size_t max_size = 0;
    bool linkable = false;
};

void start_create_file(const file_spec& spec, handler<file_ptr> h);
file_ptr make_spooled_file(const file_spec& spec, error_code& ec);  // no I/O

// The operations on a file take the core by value: one that completes at
// once drops it before a coroutine resumes (which may destroy the file).
void start_read(file_ptr f, std::size_t max, handler<std::string> h);
void start_readline(file_ptr f, handler<std::string> h);
void start_readlines(file_ptr f, handler<std::vector<std::string>> h);
// eof_is_error: the stream form (read_some) reports net::error::eof at EOF.
void start_readinto(file_ptr f, net::mutable_buffer b, bool eof_is_error, handler<std::size_t> h);
void start_write(file_ptr f, net::const_buffer b, handler<std::size_t> h);
void start_write_owned(file_ptr f, std::string data, handler<> h);
// A gathered write (async_write_some of several buffers): completes with its size.
void start_write_joined(file_ptr f, std::string data, handler<std::size_t> h);
void start_seek(file_ptr f, std::int64_t off, whence w, handler<std::uint64_t> h);
void start_tell(file_ptr f, handler<std::uint64_t> h);
void start_truncate(file_ptr f, std::optional<std::uint64_t> size, handler<std::uint64_t> h);
void start_flush(file_ptr f, handler<> h);
void start_sync(file_ptr f, bool data_only, handler<> h);
void start_close(file_ptr f, handler<> h);
void start_rollover(file_ptr f, handler<> h);
void start_fileno(file_ptr f, handler<int> h);

// Publishing: one job (detail in src/async/publish_ops.cpp).
void start_publish(const file_ptr& f, const publish_spec& spec, handler<> h);
// atomic_file: created in the target's directory; commit publishes and closes.
struct atomic_spec {
    path_view target{};
    std::string_view mode{};
    std::size_t buffering = 0;
    bool replace = true;
    bool durable = true;
    std::optional<std::filesystem::perms> permissions{};
    preserve_options preserve{};
};
void start_create_atomic(const atomic_spec& spec, handler<file_ptr> h);
void start_commit(file_ptr f, handler<> h);
void start_abandon(file_ptr f, handler<> h);
void start_write_file_atomically(const atomic_spec& spec, std::string data, handler<> h);
// What group publishing takes of each file object: its core, held weakly.
struct core_access {
    template <class File>
    static std::weak_ptr<file_core> weak_core(const File& f) noexcept {
        return f.weak_core();
    }
};
// Group publishing (tempio/group_publish.hpp): one job for the group. The
// files are held weakly until the operation is initiated; a file destroyed
// by then is bad_file_descriptor.
void start_commit_all(std::vector<std::weak_ptr<file_core>> files, handler<std::size_t> h);
void start_persist_all(std::vector<std::weak_ptr<file_core>> files,
                       std::vector<std::string> targets, publish_options o, bool noclobber,
                       handler<std::size_t> h);
// The path as the headers hand it out (a reference into the core: it changes
// when the file is published; made on first request); empty for a null core.
const std::filesystem::path& public_path_of(const file_core* f);
// Stop deleting (keep()); returns the path.
std::filesystem::path keep_file(file_core* f);

bool is_open(const file_core* f) noexcept;
bool try_write(file_core* f, std::string_view data) noexcept;
// A line the file can give without a system call (a spooled file in memory,
// or a line in the read buffer): read, with its error; else nothing.
std::optional<result_now<std::string>> try_readline(file_core* f) noexcept;
int native_handle(const file_core* f) noexcept;
bool rolled(const file_core* f) noexcept;
std::filesystem::path path_of(const file_core* f);

// The first non-empty buffer of a sequence (reads use one at a time).
template <class Buffer, class Sequence>
Buffer first_buffer(const Sequence& buffers) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
        Buffer b(*it);
        if (b.size() != 0) return b;
    }
    return Buffer();
}

// A write's buffer sequence: one non-empty buffer, written in place, or
// several joined (up to gather_max_buffers and gather_max_bytes, at least
// the first whole), written as one.
inline constexpr std::size_t gather_max_buffers = 1024;  // IOV_MAX on Linux
inline constexpr std::size_t gather_max_bytes = std::size_t(1) << 20;
struct gathered_buffers {
    net::const_buffer single;
    std::string joined;  // empty: use `single`
};
template <class Sequence>
gathered_buffers gather(const Sequence& buffers) {
    gathered_buffers g;
    std::size_t count = 0, total = 0;
    for (auto it = net::buffer_sequence_begin(buffers);
         it != net::buffer_sequence_end(buffers) && count < gather_max_buffers; ++it) {
        net::const_buffer b(*it);
        if (b.size() == 0) continue;
        if (count > 0 && total + b.size() > gather_max_bytes) break;
        if (count == 1) g.joined.assign(static_cast<const char*>(g.single.data()), g.single.size());
        if (count == 0)
            g.single = b;
        else
            g.joined.append(static_cast<const char*>(b.data()), b.size());
        ++count;
        total += b.size();
    }
    return g;
}

}  // namespace tempio::detail
