// temporary_directory: creation and cleanup, each on a ring (backend
// io_uring) or as one job on a worker.
#include "tempio/temporary_directory.hpp"

#include "async/blocking_op.hpp"
#include "async/ring_ops.hpp"
#include "core/directory_core.hpp"

namespace tempio::detail {

std::filesystem::path path_of(const directory_core* d) {
    return d ? std::filesystem::path(d->path()) : std::filesystem::path();
}

std::string cleanup_error_path(const directory_core* d) {
    return d ? d->error_where() : std::string();
}

void start_create_directory(const directory_spec& spec, handler<directory_ptr> h) {
    directory_core::settings s{
        {std::string(spec.prefix), std::string(spec.suffix), std::string(spec.dir.native())},
        spec.ignore_cleanup_errors,
        spec.keep};
    if (ring* r = ring_of(h); r && ring_create_directory(*r, s, h)) return;
    run_blocking<directory_ptr>(
        std::move(h),
        [s = std::move(s)](error_code& ec, const std::atomic<bool>& cancelled) mutable {
            auto core = directory_core::create(std::move(s), ec);
            if (core && cancelled.load()) {  // created, but nobody wants it now
                core->discard();
                core.reset();
                ec = net::error::operation_aborted;
            }
            return core;
        });
}

void start_cleanup(const directory_ptr& d, handler<> h) {
    if (!d) return complete_soon(std::move(h), error_code());  // nothing to clean
    if (ring* r = ring_of(h); r && ring_cleanup(*r, d, h)) return;
    run_blocking<void>(
        std::move(h), [d](error_code& ec, const auto&) { d->cleanup(ec); }, cancellable::no);
}

}  // namespace tempio::detail
