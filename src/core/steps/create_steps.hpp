// Unique-name creation, once for both drivers: draw a name, open or mkdir it,
// draw again on EEXIST (a file or a directory of that name) up to TMP_MAX
// times, retry EINTR; and, when asked, undo what was made (a creation whose
// operation was cancelled, or never delivered).
#pragma once

#include <cerrno>
#include <string>
#include <utility>

#include <boost/system/error_code.hpp>

#include "core/create.hpp"
#include "core/names.hpp"
#include "core/os_error.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

enum class create_what {
    file,       // openat(O_CREAT|O_EXCL) under a fresh name
    directory,  // mkdirat under a fresh name, 0700
    tmpfile,    // openat(dir, O_TMPFILE): no name at all
};

class create_steps {
  public:
    // `names` already validated and resolved (make_name_source); `flags`:
    // the open flags (files), ignored for directories.
    create_steps(create_what what, name_series&& names, int flags) noexcept
        : what_(what), names_(std::move(names)), flags_(flags) {}

    syscall next() {
        switch (state_) {
            case state::start:
                state_ = state::creating;
                if (what_ != create_what::tmpfile) names_.next(path_);
                [[fallthrough]];
            case state::creating:
                return create_call();
            case state::undo_close:
                return {.what = syscall::kind::close, .fd = fd_};
            case state::undo_unlink:
                return {.what = syscall::kind::unlinkat,
                        .fd = AT_FDCWD,
                        .path = path_.c_str(),
                        .flags = what_ == create_what::directory ? AT_REMOVEDIR : 0};
            case state::made:
            case state::failed:
            case state::undone:
                break;
        }
        return {};
    }

    void on_result(int res) {
        switch (state_) {
            case state::creating:
                if (res == -EINTR) return;
                if (res == -EEXIST && what_ != create_what::tmpfile && ++tries_ < tmp_max) {
                    names_.next(path_);
                    return;
                }
                if (res < 0) {
                    ec_ = os_error(-res);
                    path_.clear();
                    state_ = state::failed;
                    return;
                }
                if (what_ != create_what::directory) fd_ = res;
                state_ = state::made;
                return;
            case state::undo_close:
                fd_ = -1;  // closed whatever close said
                state_ = what_ == create_what::tmpfile ? state::undone : state::undo_unlink;
                return;
            case state::undo_unlink:
                if (res == -EINTR) return;
                state_ = state::undone;  // gone, or (ENOTEMPTY...) left: nothing more to do
                return;
            default:
                return;
        }
    }

    // Nobody wants the result any more (cancelled, or abandoned): before
    // anything was made, stop (error: operation_canceled); once made, remove
    // it again (next() then asks for the calls) and report operation_canceled.
    void cancel() noexcept {
        if (state_ == state::start || state_ == state::creating) {
            ec_ = os_error(ECANCELED);
            path_.clear();
            state_ = state::failed;
        } else if (state_ == state::made) {
            ec_ = os_error(ECANCELED);
            state_ = fd_ >= 0 ? state::undo_close : state::undo_unlink;
        }
    }

    bool made() const noexcept { return state_ == state::made; }
    const error_code& error() const noexcept { return ec_; }
    // What was made: the fd (files; ownership passes to the caller) and the
    // absolute path (empty for a tmpfile).
    int release_fd() noexcept { return std::exchange(fd_, -1); }
    const std::string& path() const noexcept { return path_; }
    // The path, moved out: whoever takes it removes the entry if it must.
    std::string take_path() noexcept { return std::move(path_); }
    const std::string& directory() const noexcept { return names_.dir(); }

  private:
    enum class state { start, creating, made, failed, undo_close, undo_unlink, undone };

    syscall create_call() const noexcept {
        switch (what_) {
            case create_what::file:
                return {.what = syscall::kind::openat,
                        .fd = AT_FDCWD,
                        .path = path_.c_str(),
                        .flags = flags_,
                        .mode = 0600};
            case create_what::directory:
                return {.what = syscall::kind::mkdirat,
                        .fd = AT_FDCWD,
                        .path = path_.c_str(),
                        .mode = 0700};
            case create_what::tmpfile:
                break;
        }
        return {.what = syscall::kind::openat,
                .fd = AT_FDCWD,
                .path = names_.dir().c_str(),
                .flags = flags_,
                .mode = 0600};
    }

    create_what what_;
    name_series names_;
    int flags_;
    state state_ = state::start;
    std::string path_;
    unsigned long tries_ = 0;
    int fd_ = -1;
    error_code ec_;
};

}  // namespace tempio::detail
