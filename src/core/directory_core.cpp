#include "core/directory_core.hpp"

#include <unistd.h>

#include "core/remove_tree.hpp"

namespace tempio::detail {

directory_core::directory_core(settings s) : settings_(std::move(s)), owner_pid_(::getpid()) {}

std::shared_ptr<directory_core> directory_core::create(settings s, error_code& ec) {
    std::shared_ptr<directory_core> core(new directory_core(std::move(s)));
    if (!create_unique_directory(core->settings_.names, core->path_, ec)) {
        core->cleaned_ = true;
        return nullptr;
    }
    return core;
}

std::shared_ptr<directory_core> directory_core::adopt(settings s, std::string path) {
    std::shared_ptr<directory_core> core(new directory_core(std::move(s)));
    core->path_ = std::move(path);
    return core;
}

directory_core::~directory_core() {
    if (cleaned_ || settings_.keep || ::getpid() != owner_pid_) return;
    try {
        remove_tree(path_);
    } catch (...) {
    }
}

void directory_core::cleanup(error_code& ec) {
    cleanup_after_rmdir(0, ec);
}

void directory_core::cleanup_after_rmdir(int rmdir_errno, error_code& ec) {
    ec.clear();
    if (cleaned_) return;
    auto result =
        rmdir_errno == 0 ? remove_tree(path_) : remove_tree_after_rmdir(path_, rmdir_errno);
    // A failed cleanup may be retried (as CPython's): by a later cleanup
    // call, else by the destructor.
    cleaned_ = !result.ec;
    if (!settings_.ignore_cleanup_errors) {
        ec = result.ec;
        where_ = std::move(result.where);
    }
}

void directory_core::discard() noexcept {
    if (cleaned_) return;
    cleaned_ = true;
    try {
        remove_tree(path_);
    } catch (...) {
    }
}

}  // namespace tempio::detail
