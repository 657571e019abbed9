// The file operations: each either completes at once (no system call needed:
// memory, buffer, closed file) through a post; or, when it is nothing but
// system calls on the fd, runs as an operation (ops/) on the ring or the pool
// (start_op); or runs the core's blocking code as one worker job.
#include "async/blocking_op.hpp"
#include "async/ops/create_ops.hpp"
#include "async/ops/file_io_ops.hpp"
#include "async/start_op.hpp"
#include "core/file_core.hpp"
#include "core/os_error.hpp"
#include "tempio/async_file.hpp"

namespace tempio::detail {
namespace {

error_code ebadf() {
    return os_error(EBADF);  // compares equal to net::error::bad_descriptor
}

// Runs `op(core, ec)` now when `free` (a coroutine resumes at once:
// complete_at_once), else as a worker job.
template <class T, class Op>
void dispatch(file_ptr f, handler_of<T> h, bool free, Op op, cancellable c = cancellable::yes) {
    if (!f) {
        if constexpr (std::is_void_v<T>)
            return complete_at_once(std::move(h), ebadf());
        else
            return complete_at_once(std::move(h), ebadf(), value_on_error<T>());
    }
    if (free) {
        // On the caller's thread: an exception (out of memory growing a
        // spooled file) must reach the handler, not the initiating call.
        error_code ec;
        if constexpr (std::is_void_v<T>) {
            try {
                op(*f, ec);
            } catch (...) {
                ec = error_of_current_exception();
            }
            f.reset();  // the resumed coroutine may destroy the file
            complete_at_once(std::move(h), ec);
        } else {
            T value = value_on_error<T>();
            try {
                value = op(*f, ec);
            } catch (...) {
                ec = error_of_current_exception();
                value = value_on_error<T>();
            }
            f.reset();  // the resumed coroutine may destroy the file
            complete_at_once(std::move(h), ec, std::move(value));
        }
        return;
    }
    run_blocking<T>(
        std::move(h),
        [f = std::move(f), op](error_code& ec, const auto&) mutable { return op(*f, ec); }, c);
}

// A write-behind's worker job (core/write_behind.hpp): it holds the shared
// part only, never the file.
class write_behind_job final : public job {
  public:
    std::shared_ptr<write_behind> behind;

    void run() noexcept override { behind->run(); }
    void complete() noexcept override { delete this; }  // run() delivered what there is
    void reject(error_code ec) noexcept override {
        std::unique_ptr<write_behind_job> self(this);
        behind->reject(ec);
    }
};

// A write the buffer cannot take, made without a hop: the full buffer goes
// to a worker and `data` starts the next one (file_core::start_write_behind).
// False, nothing changed: not possible now (a write-behind still running,
// the write bigger than the buffer, ...).
bool writes_behind(file_core& f, std::string_view data) noexcept {
    std::unique_ptr<write_behind_job> j;
    try {
        j = std::make_unique<write_behind_job>();  // first: once started, it must run
    } catch (...) {
        return false;
    }
    j->behind = f.start_write_behind(data.data(), data.size());
    if (!j->behind) return false;
    submit(std::move(j));
    return true;
}

// A write of `data` completed at once by writes_behind; false: not possible
// (nothing done).
template <class T>
bool completes_behind(file_ptr& f, std::string_view data, handler_of<T>& h) {
    if (!writes_behind(*f, data)) return false;
    f.reset();  // the resumed coroutine may destroy the file
    if constexpr (std::is_void_v<T>)
        complete_at_once(std::move(h), error_code());
    else
        complete_at_once(std::move(h), error_code(), data.size());
    return true;
}

// A write made on the calling thread: into the buffer or memory, failing at
// once, or bounded on a memory file system (file_core::writes_at_once).
bool writes_now(const file_core* f, std::size_t n) {
    return !f || f->write_is_free(n) || (inline_writes_enabled() && f->writes_at_once(n));
}

bool memory_or_closed(const file_ptr& f) {
    return !f || f->in_memory() || !f->is_open();
}

file_request request_of(const file_spec& s) {
    file_request r;
    r.kind = s.kind == file_kind_tag::named     ? file_kind::named
             : s.kind == file_kind_tag::spooled ? file_kind::spooled
                                                : file_kind::anonymous;
    r.mode = std::string(s.mode);
    r.names = {std::string(s.prefix), std::string(s.suffix), s.dir.utf8()};
    r.buffer_size = s.buffering;
    r.keep = s.keep;
    r.delete_on_close = s.delete_on_close;
    r.max_size = s.max_size;
    r.linkable = s.linkable;
    r.learns_memory_fs = inline_writes_enabled();
    return r;
}

}  // namespace

core_ref ref_of(const file_core* f) noexcept {
    return f != nullptr ? f->ref() : core_ref{};
}
file_ptr core_ref::lock() const noexcept {
    file_core* f = peek();
    return f != nullptr ? f->weak_from_this().lock() : nullptr;
}

bool is_open(const file_core* f) noexcept {
    return f && f->is_open();
}

bool try_write(file_core* f, std::string_view data) noexcept {
    if (f == nullptr) return false;
    if (f->buffer_now(data.data(), data.size())) return true;
    if (!f->accepts_write_now(data.size()))  // a bounded write at once comes first
        return !writes_now(f, data.size()) && writes_behind(*f, data);
    error_code ec;
    std::size_t n = f->write(data.data(), data.size(), ec);
    return !ec && n == data.size();  // a failed buffered write changes nothing
}
std::optional<result_now<std::string>> try_readline(file_core* f) noexcept {
    std::optional<result_now<std::string>> r;  // one object: returned as is
    if (f == nullptr || !f->is_open()) return r;
    try {
        if (f->in_memory()) {
            r.emplace();
            r->value = f->readline(r->ec);
        } else if (std::string_view line = f->buffered_line(); !line.empty()) {
            r.emplace(error_code(), std::string(line));
            f->consume_buffered(line.size());  // only once the string is made
        }
    } catch (...) {  // out of memory for the result: the slow path reports it
        r.reset();
    }
    return r;
}
int native_handle(const file_core* f) noexcept {
    return f ? f->native_handle() : -1;
}
bool rolled(const file_core* f) noexcept {
    return f && !f->in_memory();
}
std::filesystem::path path_of(const file_core* f) {
    return f ? std::filesystem::path(f->path()) : std::filesystem::path();
}

file_ptr make_spooled_file(const file_spec& spec, error_code& ec) {
    return file_core::create_spooled(request_of(spec), ec);
}

void start_create_file(const file_spec& spec, handler<file_ptr> h) {
    error_code ec;
    if (spec.kind == file_kind_tag::spooled) {  // no I/O
        auto core = file_core::create_spooled(request_of(spec), ec);
        return complete_soon(std::move(h), ec, std::move(core));
    }
    // Checked from the views: the operation then builds its request in place.
    open_mode mode;
    if ((ec = file_core::prepare(spec.mode, spec.prefix, spec.suffix, mode)))
        return complete_soon(std::move(h), ec, file_ptr());
    start_op<create_file_op>(
        std::move(h), [&spec] { return request_of(spec); }, mode);
}

void start_read(file_ptr f, std::size_t max, handler<std::string> h) {
    // Served from readline's read buffer: no hop.
    bool free = memory_or_closed(f) || f->read_is_free(max);
    if (!free && f->reads_through()) return start_op<read_op>(std::move(h), std::move(f), max);
    dispatch<std::string>(std::move(f), std::move(h), free,
                          [max](file_core& c, error_code& ec) { return c.read(max, ec); });
}

void start_readline(file_ptr f, handler<std::string> h) {
    // A line already in the read buffer costs no hop (one read(2) fills it
    // for many lines).
    bool free = memory_or_closed(f) || f->readline_is_free();
    dispatch<std::string>(std::move(f), std::move(h), free,
                          [](file_core& c, error_code& ec) { return c.readline(ec); });
}

void start_readlines(file_ptr f, handler<std::vector<std::string>> h) {
    bool free = memory_or_closed(f);
    dispatch<std::vector<std::string>>(
        std::move(f), std::move(h), free,
        [](file_core& c, error_code& ec) { return c.readlines(ec); });
}

void start_readinto(file_ptr f, net::mutable_buffer b, bool eof_is_error, handler<std::size_t> h) {
    // An empty buffer needs no system call: net::async_read_until asks for
    // one whenever a line is already buffered, and must not pay a hop.
    bool free =
        memory_or_closed(f) || (b.size() == 0 && f->flush_is_free()) || f->readinto_is_free();
    if (!free && f->reads_through())
        return start_op<readinto_op>(std::move(h), std::move(f), b, eof_is_error);
    dispatch<std::size_t>(
        std::move(f), std::move(h), free, [b, eof_is_error](file_core& c, error_code& ec) {
            std::size_t n = c.readinto(static_cast<char*>(b.data()), b.size(), ec);
            if (eof_is_error) eof_as_error(ec, n, b.size());
            return n;
        });
}

void start_write(file_ptr f, net::const_buffer b, handler<std::size_t> h) {
    bool free = writes_now(f.get(), b.size());
    if (!free &&
        completes_behind<std::size_t>(f, {static_cast<const char*>(b.data()), b.size()}, h))
        return;
    if (!free && f->writes_through(b.size()))
        return start_op<write_op<std::size_t>>(std::move(h), std::move(f), b, std::string());
    dispatch<std::size_t>(std::move(f), std::move(h), free, [b](file_core& c, error_code& ec) {
        return c.write(static_cast<const char*>(b.data()), b.size(), ec);
    });
}

void start_write_owned(file_ptr f, std::string data, handler<> h) {
    bool free = writes_now(f.get(), data.size());
    if (!free && completes_behind<void>(f, data, h)) return;
    if (!free && f->writes_through(data.size()))
        return start_op<write_op<void>>(std::move(h), std::move(f), net::const_buffer(),
                                        std::move(data));
    dispatch<void>(std::move(f), std::move(h), free,
                   [data = std::move(data)](file_core& c, error_code& ec) {
                       c.write(data.data(), data.size(), ec);
                   });
}

void start_write_joined(file_ptr f, std::string data, handler<std::size_t> h) {
    bool free = writes_now(f.get(), data.size());
    if (!free && completes_behind<std::size_t>(f, data, h)) return;
    if (!free && f->writes_through(data.size()))
        return start_op<write_op<std::size_t>>(std::move(h), std::move(f), net::const_buffer(),
                                               std::move(data));
    dispatch<std::size_t>(std::move(f), std::move(h), free,
                          [data = std::move(data)](file_core& c, error_code& ec) {
                              return c.write(data.data(), data.size(), ec);
                          });
}

void start_seek(file_ptr f, std::int64_t off, whence w, handler<std::uint64_t> h) {
    bool free = memory_or_closed(f);
    dispatch<std::uint64_t>(
        std::move(f), std::move(h), free,
        [off, w](file_core& c, error_code& ec) { return c.seek(off, static_cast<int>(w), ec); });
}

void start_tell(file_ptr f, handler<std::uint64_t> h) {
    bool free = !f || f->tell_is_free();
    dispatch<std::uint64_t>(std::move(f), std::move(h), free,
                            [](file_core& c, error_code& ec) { return c.tell(ec); });
}

void start_truncate(file_ptr f, std::optional<std::uint64_t> size, handler<std::uint64_t> h) {
    bool free = !f || f->truncate_is_free(size ? &*size : nullptr);
    dispatch<std::uint64_t>(std::move(f), std::move(h), free, [size](file_core& c, error_code& ec) {
        return c.truncate(size ? &*size : nullptr, ec);
    });
}

void start_flush(file_ptr f, handler<> h) {
    bool free = !f || f->flush_is_free() || (inline_writes_enabled() && f->flushes_at_once());
    dispatch<void>(std::move(f), std::move(h), free,
                   [](file_core& c, error_code& ec) { c.flush(ec); });
}

void start_close(file_ptr f, handler<> h) {
    if (!f) return complete_soon(std::move(h), error_code());  // closing nothing: fine
    std::string unwritten;
    std::int64_t start = at_end;
    if (int fd = f->begin_direct_close(unwritten, start); fd >= 0)
        return start_op<close_op>(std::move(h), std::move(f), fd, std::move(unwritten), start);
    bool free = memory_or_closed(f);
    dispatch<void>(
        std::move(f), std::move(h), free, [](file_core& c, error_code& ec) { c.close(ec); },
        cancellable::no);
}

void start_sync(file_ptr f, bool data_only, handler<> h) {
    bool free = !f || f->sync_is_free();
    dispatch<void>(std::move(f), std::move(h), free,
                   [data_only](file_core& c, error_code& ec) { c.sync(data_only, ec); });
}

void start_rollover(file_ptr f, handler<> h) {
    bool free = !f || !f->in_memory() || !f->is_open();
    dispatch<void>(std::move(f), std::move(h), free,
                   [](file_core& c, error_code& ec) { c.rollover(ec); });
}

void start_fileno(file_ptr f, handler<int> h) {
    bool free = !f || !f->is_open();
    dispatch<int>(std::move(f), std::move(h), free,
                  [](file_core& c, error_code& ec) { return c.fileno(ec); });
}

}  // namespace tempio::detail
