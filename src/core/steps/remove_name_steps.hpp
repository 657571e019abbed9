// Removing a named temporary file's name, once for both drivers: stat the
// name (not following a symlink; statx on Linux), and unlink it only if it is still the
// file that was created (same device and inode). A name that is gone, or
// that another file took, is left alone: no error. EINTR: again.
//
// Holds no directory descriptor (file_core.cpp says why); a name swapped
// between the statx and the unlink can still be lost: Linux has no
// unlink-if-inode.
#pragma once

#include <cerrno>

#include <boost/system/error_code.hpp>

#include "core/os_error.hpp"
#include "core/steps/syscall.hpp"
#include "core/sys.hpp"

namespace tempio::detail {

// The device and inode a name must still have to be removed.
struct file_identity {
    sys::device_id dev = 0;
    sys::inode_id ino = 0;
};

class remove_name_steps {
  public:
    // `path` must outlive the steps. No identity: unlinked unchecked.
    remove_name_steps(const char* path, const file_identity* identity) noexcept
        : path_(path), state_(identity != nullptr ? state::checking : state::unlinking) {
        if (identity != nullptr) identity_ = *identity;
    }

    syscall next() noexcept {
        switch (state_) {
            case state::checking:
                return {
                    .what = syscall::kind::stat_name, .fd = AT_FDCWD, .path = path_, .st = &st_};
            case state::unlinking:
                return {.what = syscall::kind::unlinkat, .fd = AT_FDCWD, .path = path_};
            case state::done:
                break;
        }
        return {};
    }

    void on_result(int res) noexcept {
        if (res == -EINTR) return;
        if (state_ == state::checking) {
            if (res == -ENOENT || res == -ENOTDIR) return finish(0);  // gone already
            if (res < 0) return finish(res);
            bool ours = platform::device_of(st_) == identity_.dev &&
                        platform::inode_of(st_) == identity_.ino;
            if (!ours) return finish(0);  // not ours any more: leave it
            state_ = state::unlinking;
            return;
        }
        finish(res == -ENOENT ? 0 : res);
    }

    bool finished() const noexcept { return state_ == state::done; }
    const boost::system::error_code& error() const noexcept { return ec_; }

  private:
    enum class state { checking, unlinking, done };
    void finish(int res) noexcept {
        if (res < 0) ec_ = os_error(-res);
        state_ = state::done;
    }

    const char* path_;
    file_identity identity_;
    state state_;
    platform::name_stat st_{};
    boost::system::error_code ec_;
};

}  // namespace tempio::detail
