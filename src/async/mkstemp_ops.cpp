// mkstemp/mkdtemp: the blocking public forms and the async starts.
#include "tempio/mkstemp.hpp"

#include "async/blocking_op.hpp"
#include "async/ring_ops.hpp"
#include "core/create.hpp"
#include "core/remove_tree.hpp"

namespace tempio {
namespace {

detail::name_request names_of(std::string_view prefix, std::string_view suffix, path_view dir) {
    return {std::string(prefix), std::string(suffix), std::string(dir.native())};
}

mkstemp_result make_file(const detail::name_request& req, error_code& ec) {
    mkstemp_result r;
    std::string path;
    r.fd = detail::create_unique_file(req, 0, path, ec);
    r.path = std::move(path);
    return r;
}

std::filesystem::path make_dir(const detail::name_request& req, error_code& ec) {
    std::string path;
    detail::create_unique_directory(req, path, ec);
    return path;
}

// Removes what a creation made that nobody will own: cancelled, or its
// completion destroyed undelivered (io_context stopped and destroyed).
void undo_file(mkstemp_result& r) noexcept {
    r.fd.reset();
    if (!r.path.empty()) detail::remove_file(r.path.native());
    r.path.clear();
}

void undo_dir(std::filesystem::path& p) noexcept {
    try {
        if (!p.empty()) detail::remove_tree(p.native());
    } catch (...) {  // out of memory: the name stays, nothing else is touched
    }
    p.clear();
}

template <class T>
T throw_on_error(T value, const error_code& ec, const char* what) {
    if (ec) throw system_error(ec, what);
    return value;
}

}  // namespace

mkstemp_result mkstemp(const mkstemp_options& o, error_code& ec) {
    return make_file(names_of(o.prefix, o.suffix, o.dir), ec);
}

mkstemp_result mkstemp(const mkstemp_options& o) {
    error_code ec;
    return throw_on_error(mkstemp(o, ec), ec, "tempio::mkstemp");
}

std::filesystem::path mkdtemp(const mkdtemp_options& o, error_code& ec) {
    return make_dir(names_of(o.prefix, o.suffix, o.dir), ec);
}

std::filesystem::path mkdtemp(const mkdtemp_options& o) {
    error_code ec;
    return throw_on_error(mkdtemp(o, ec), ec, "tempio::mkdtemp");
}

namespace detail {

void start_mkstemp(const mkstemp_options& o, handler<mkstemp_result> h) {
    if (ring* r = ring_of(h); r && ring_mkstemp(*r, names_of(o.prefix, o.suffix, o.dir), h)) return;
    run_blocking<mkstemp_result>(
        std::move(h),
        [req = names_of(o.prefix, o.suffix, o.dir)](error_code& ec,
                                                    const std::atomic<bool>& cancelled) {
            mkstemp_result r = make_file(req, ec);
            if (!ec && cancelled.load()) {  // created, but nobody wants it now
                undo_file(r);
                ec = net::error::operation_aborted;
            }
            return r;
        },
        cancellable::yes, [](mkstemp_result& r) { undo_file(r); });
}

void start_mkdtemp(const mkdtemp_options& o, handler<std::filesystem::path> h) {
    if (ring* r = ring_of(h); r && ring_mkdtemp(*r, names_of(o.prefix, o.suffix, o.dir), h)) return;
    run_blocking<std::filesystem::path>(
        std::move(h),
        [req = names_of(o.prefix, o.suffix, o.dir)](error_code& ec,
                                                    const std::atomic<bool>& cancelled) {
            std::filesystem::path p = make_dir(req, ec);
            if (!ec && cancelled.load()) {
                undo_dir(p);
                ec = net::error::operation_aborted;
            }
            return p;
        },
        cancellable::yes, [](std::filesystem::path& p) { undo_dir(p); });
}

}  // namespace detail
}  // namespace tempio
