// gettempdir/gettempdirb: the blocking public forms and the async starts.
#include "tempio/detail/path_text.hpp"
#include "tempio/tempdir.hpp"

#include "async/blocking_op.hpp"
#include "core/tempdir.hpp"

namespace tempio {
namespace {

std::string candidates_message() {
    std::string msg = "no usable temporary directory found in [";
    bool first = true;
    for (const auto& dir : detail::candidate_tempdirs()) {
        msg += first ? "" : ", ";
        msg += dir;
        first = false;
    }
    return msg + "]";
}

}  // namespace

std::string gettempdirb(error_code& ec) {
    return detail::tempdir(ec);
}

std::string gettempdirb() {
    error_code ec;
    std::string dir = detail::tempdir(ec);
    if (ec) throw system_error(ec, candidates_message());
    return dir;
}

std::filesystem::path gettempdir(error_code& ec) {
    return gettempdirb(ec);
}
std::filesystem::path gettempdir() {
    return gettempdirb();
}

void set_tempdir(std::filesystem::path dir) {
    detail::override_tempdir(detail::utf8_of(dir));
}

namespace detail {

void start_gettempdir(handler<std::filesystem::path> h) {
    run_blocking<std::filesystem::path>(std::move(h), [](error_code& ec, const auto&) {
        return std::filesystem::path(tempdir(ec));
    });
}

void start_gettempdirb(handler<std::string> h) {
    run_blocking<std::string>(std::move(h),
                              [](error_code& ec, const auto&) { return tempdir(ec); });
}

}  // namespace detail
}  // namespace tempio
