// mkstemp/mkdtemp: the blocking public forms and the async starts.
#include "tempio/mkstemp.hpp"

#include "async/ops/create_ops.hpp"
#include "async/start_op.hpp"
#include "core/create.hpp"
#include "core/remove_tree.hpp"

namespace tempio {
namespace {

detail::name_request names_of(std::string_view prefix, std::string_view suffix, path_view dir) {
    return {std::string(prefix), std::string(suffix), dir.utf8()};
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
    start_op<mkstemp_op>(std::move(h), names_of(o.prefix, o.suffix, o.dir));
}

void start_mkdtemp(const mkdtemp_options& o, handler<std::filesystem::path> h) {
    start_op<mkdtemp_op>(std::move(h), names_of(o.prefix, o.suffix, o.dir));
}

}  // namespace detail
}  // namespace tempio
