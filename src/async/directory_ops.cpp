// temporary_directory: creation and cleanup, each an operation (ops/) on the
// ring or the pool; a cleanup that finds more than an empty root continues
// as the core's remover on the pool.
#include "tempio/temporary_directory.hpp"

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
        {std::string(spec.prefix), std::string(spec.suffix), std::string(spec.dir.native())},
        spec.ignore_cleanup_errors,
        spec.keep};
    start_op<create_directory_op>(std::move(h), std::move(s));
}

void start_cleanup(directory_ptr d, handler<> h) {
    // Nothing to clean (a moved-from object, or cleaned already): done.
    if (!d || d->cleaned()) return complete_soon(std::move(h), error_code());
    start_op<cleanup_op>(std::move(h), std::move(d));
}

}  // namespace tempio::detail
