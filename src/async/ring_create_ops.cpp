// Unique-name creation on a ring: draw a name, submit openat/mkdirat, draw
// again on EEXIST (up to TMP_MAX times), adopt what was made. A creation
// cancelled while in the kernel is undone on the pool, then reported aborted.
#include <cerrno>
#include <new>

#include "async/blocking_op.hpp"
#include "async/ring_ops.hpp"
#include "core/names.hpp"
#include "core/remove_tree.hpp"
#include "core/sys.hpp"
#include "core/tempdir.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;
using call = ring_request::call;

// What one kind of creation makes. A kind has:
//   value_type, named (draws names; false: O_TMPFILE in the directory),
//   request(path): the call to make,
//   adopt(res, path, ec): the result (on a throw or an error, nothing it
//     took is left open or named),
//   undo(value): removes an adopted result (blocking: runs on the pool),
//   undo_raw(res, path): removes a result not adopted (res: the call's
//     result, an fd for the file kinds; -1: no fd open),
//   hand_over(err, h): takes `h` to another path for this error, or false.

struct file_kind_ring {
    using value_type = file_ptr;
    static constexpr bool undo_undelivered = false;  // the core deletes itself
    file_request req;
    open_mode mode;
    std::string dir;
    bool named = true;

    ring_request request(const std::string& path) const {
        int extra = mode.append ? O_APPEND : 0;
        if (named)
            return {.what = call::openat,
                    .fd = AT_FDCWD,
                    .path = path.c_str(),
                    .flags = unique_file_flags | extra,
                    .mode = 0600};
        return {.what = call::openat,
                .fd = AT_FDCWD,
                .path = dir.c_str(),
                .flags = (req.linkable ? linkable_file_flags : anonymous_file_flags) | extra,
                .mode = 0600};
    }
    value_type adopt(int fd, const std::string& path, error_code& ec) {
        unique_fd owned(fd);
        return file_core::adopt(req, mode, std::move(owned), named ? path : std::string(), ec);
    }
    static void undo(value_type& f) { f->discard(); }
    void undo_raw(int fd, const std::string& path) noexcept {
        if (fd >= 0) sys::close(fd);
        if (named) remove_file(path);
    }
    bool hand_over(int err, handler<value_type>& h) {
        // O_TMPFILE unsupported here: the pool creates and unlinks instead.
        if (named || (err != EOPNOTSUPP && err != EISDIR && err != EINVAL)) return false;
        create_file_on_pool(std::move(req), std::move(h));
        return true;
    }
};

struct mkstemp_kind {
    using value_type = mkstemp_result;
    static constexpr bool undo_undelivered = true;
    static constexpr bool named = true;
    ring_request request(const std::string& path) const {
        return {.what = call::openat,
                .fd = AT_FDCWD,
                .path = path.c_str(),
                .flags = unique_file_flags,
                .mode = 0600};
    }
    value_type adopt(int fd, const std::string& path, error_code&) {
        value_type r;
        r.fd.reset(fd);
        r.path = path;
        return r;
    }
    static void undo(value_type& r) {
        r.fd.reset();
        remove_file(r.path.native());
        r.path.clear();
    }
    void undo_raw(int fd, const std::string& path) noexcept {
        if (fd >= 0) sys::close(fd);
        remove_file(path);
    }
    bool hand_over(int, handler<value_type>&) { return false; }
};

// Directories: mkdtemp's path, or a temporary_directory's core.
void remove_directory(const std::string& path) noexcept {
    try {
        remove_tree(path);
    } catch (...) {  // out of memory: the name stays, nothing else is touched
    }
}

template <class Value>
struct directory_kind {
    using value_type = Value;
    static constexpr bool undo_undelivered = !std::is_same_v<Value, directory_ptr>;
    static constexpr bool named = true;
    directory_core::settings settings;  // temporary_directory only
    ring_request request(const std::string& path) const {
        return {.what = call::mkdirat, .fd = AT_FDCWD, .path = path.c_str(), .mode = 0700};
    }
    value_type adopt(int, const std::string& path, error_code&) {
        if constexpr (std::is_same_v<Value, directory_ptr>)
            return directory_core::adopt(settings, path);
        else
            return path;
    }
    static void undo(value_type& v) {
        if constexpr (std::is_same_v<Value, directory_ptr>) {
            v->discard();
        } else {
            remove_directory(v.native());
            v.clear();
        }
    }
    void undo_raw(int, const std::string& path) noexcept { remove_directory(path); }  // no fd
    bool hand_over(int, handler<value_type>&) { return false; }
};

template <class Kind>
class create_op final : public ring_op {
  public:
    using value_type = typename Kind::value_type;

    static void start(ring& r, Kind kind, name_series names, handler<value_type> h) {
        auto* op = new create_op(r, std::move(kind), std::move(names), std::move(h));
        if (op->kind_.named) op->names_.next(op->path_);
        op->submit_current();  // last: from here on the op may be gone
    }

    void complete(unsigned, int res) noexcept override {
        if (res == -EINTR) return submit_current();
        if (res == -EEXIST && kind_.named && ++tries_ < tmp_max) {
            names_.next(path_);
            return submit_current();
        }
        if (res < 0) {
            clear_slot();
            if (kind_.hand_over(-res, handler_)) return delete this;
            return finish(error_code(-res, system_category()), value_type{});
        }
        value_type made{};
        error_code ec;
        try {
            made = kind_.adopt(res, path_, ec);
        } catch (const std::bad_alloc&) {
            kind_.undo_raw(-1, path_);
            return finish(error_code(ENOMEM, system_category()), value_type{});
        }
        if (ec) return finish(ec, value_type{});  // the core closed and removed it
        if (cancelled_.load()) {                  // made, but nobody wants it now
            clear_slot();
            run_blocking<value_type>(
                std::move(handler_),
                [made = std::move(made)](error_code& ec, const auto&) mutable {
                    Kind::undo(made);
                    ec = net::error::operation_aborted;
                    return value_type{};
                },
                cancellable::no);
            return delete this;
        }
        finish(error_code(), std::move(made));
    }

    void abandon(unsigned, int res) noexcept override {
        if (res >= 0) kind_.undo_raw(res, path_);
        clear_slot();
        delete this;
    }

  private:
    create_op(ring& r, Kind kind, name_series names, handler<value_type> h)
        : ring_(r), kind_(std::move(kind)), names_(std::move(names)), handler_(std::move(h)) {
        slot_ = net::get_associated_cancellation_slot(handler_);
        if (slot_.is_connected())
            slot_.assign([this](net::cancellation_type) { cancelled_.store(true); });
    }

    void submit_current() noexcept {
        ring_request request = kind_.request(path_);
        submit(ring_, *this, {&request, 1});
    }

    void clear_slot() noexcept {
        if (slot_.is_connected()) slot_.clear();
    }

    void finish(error_code ec, value_type v) noexcept {
        clear_slot();
        auto h = std::move(handler_);
        delete this;
        if constexpr (Kind::undo_undelivered) {
            // A bare fd and name (mkstemp) or name (mkdtemp) has no owner to
            // remove it if the completion is never run.
            if (!ec)
                return complete_soon_or_undo(std::move(h), std::move(v),
                                             [](value_type& made) { Kind::undo(made); });
        }
        complete_soon(std::move(h), ec, std::move(v));
    }

    ring& ring_;
    Kind kind_;
    name_series names_;
    handler<value_type> handler_;
    std::string path_;
    unsigned long tries_ = 0;
    net::cancellation_slot slot_;
    std::atomic<bool> cancelled_{false};
};

// Resolving the directory must not probe (the first gettempdir() search
// writes a file): that one is left to the pool.
bool resolvable_here(const name_request& req) {
    return !req.dir.empty() || tempdir_known();
}

template <class Kind>
bool start_create(ring& r, const name_request& names_req, Kind kind,
                  handler<typename Kind::value_type>& h) {
    error_code ec;
    name_series names;
    if (!make_name_source(names_req, names, ec)) {
        complete_soon(std::move(h), ec, typename Kind::value_type{});
        return true;
    }
    if constexpr (std::is_same_v<Kind, file_kind_ring>) kind.dir = names.dir;
    create_op<Kind>::start(r, std::move(kind), std::move(names), std::move(h));
    return true;
}

}  // namespace

bool ring_create_file(ring& r, const file_request& req, handler<file_ptr>& h) {
    bool named = req.kind == file_kind::named;
    if ((!named && tmpfile_unsupported()) || !resolvable_here(req.names)) return false;
    file_kind_ring kind{req, {}, {}, named};
    if (error_code ec = file_core::prepare(kind.req, kind.mode)) {
        complete_soon(std::move(h), ec, file_ptr());
        return true;
    }
    name_request names = kind.req.names;  // `kind` moves before start_create reads it
    return start_create(r, names, std::move(kind), h);
}

bool ring_create_directory(ring& r, const directory_core::settings& s, handler<directory_ptr>& h) {
    if (!resolvable_here(s.names)) return false;
    return start_create(r, s.names, directory_kind<directory_ptr>{s}, h);
}

bool ring_mkstemp(ring& r, const name_request& req, handler<mkstemp_result>& h) {
    if (!resolvable_here(req)) return false;
    return start_create(r, req, mkstemp_kind{}, h);
}

bool ring_mkdtemp(ring& r, const name_request& req, handler<std::filesystem::path>& h) {
    if (!resolvable_here(req)) return false;
    return start_create(r, req, directory_kind<std::filesystem::path>{}, h);
}

}  // namespace tempio::detail
