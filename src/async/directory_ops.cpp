// temporary_directory: creation and cleanup, each an operation (ops/) on the
// ring or the pool; a cleanup that finds more than an empty root continues
// as the core's remover on the pool.
#include "core/os_error.hpp"
#include "tempio/temporary_directory.hpp"

#include "async/blocking_op.hpp"
#include "async/ops/create_ops.hpp"
#include "async/ops/file_io_ops.hpp"
#include "async/start_op.hpp"
#include "core/directory_core.hpp"

namespace tempio::detail {

std::filesystem::path path_of(const directory_core* d) {
    return d ? std::filesystem::path(d->path()) : std::filesystem::path();
}

std::string cleanup_error_path(const directory_core* d) {
    return d ? d->error_where() : std::string();
}

bool directory_kept(const directory_core* d) noexcept {
    return d != nullptr && d->kept();
}

void start_create_directory(const directory_spec& spec, handler<directory_ptr> h) {
    directory_core::settings s{
        {std::string(spec.prefix), std::string(spec.suffix), spec.dir.utf8()},
        spec.ignore_cleanup_errors,
        spec.keep};
    start_op<create_directory_op>(std::move(h), std::move(s));
}

void start_cleanup(directory_ptr d, handler<> h) {
    // Nothing to clean (a moved-from object, or cleaned already): done.
    if (!d || d->cleaned()) return complete_soon(std::move(h), error_code());
    start_op<cleanup_op>(std::move(h), std::move(d));
}

// One job on the pool, whatever the backend (an open, writes, a close: the
// ring would add submissions, not concurrency). Name and data were copied
// before the initiating call returned.
void start_write_directory_file(directory_ptr d, std::string name, std::string data, handler<> h) {
    if (!d) return complete_soon(std::move(h), os_error(EBADF));
    run_blocking<void>(std::move(h),
                       [d = std::move(d), name = std::move(name), data = std::move(data)](
                           error_code& ec, const auto&) { d->write_file(name, data, ec); });
}

}  // namespace tempio::detail
