// The sweep of stale hidden names: the blocking public forms and the async
// start (one job on the pool, whatever the backend: a directory listing and
// a few dependent calls per name, nothing for the ring to overlap).
#include "tempio/sweep.hpp"

#include "async/blocking_op.hpp"
#include "core/sweep.hpp"

namespace tempio {

sweep_result sweep_stale(path_view dir, const sweep_options& o, error_code& ec) {
    auto r = detail::sweep_request_of(dir.utf8(), o, ec);
    if (ec) return {};
    return detail::sweep_stale_names(r, ec);
}

sweep_result sweep_stale(path_view dir, const sweep_options& o) {
    error_code ec;
    auto result = sweep_stale(dir, o, ec);
    if (ec) throw system_error(ec, "tempio::sweep_stale");
    return result;
}

namespace detail {

void start_sweep_stale(path_view dir, const sweep_options& o, handler<sweep_result> h) {
    error_code ec;
    // Copied, and a relative dir pinned, here on the initiating thread.
    auto r = sweep_request_of(dir.utf8(), o, ec);
    if (ec) return complete_soon(std::move(h), ec, sweep_result{});
    run_blocking<sweep_result>(std::move(h), [r = std::move(r)](error_code& ec, const auto&) {
        return sweep_stale_names(r, ec);
    });
}

}  // namespace detail
}  // namespace tempio
