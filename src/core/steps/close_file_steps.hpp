// Closing a file on disk, once for every driver and for the core itself:
// the bytes still buffered written out, close(fd), then, for a named file
// deleted at close, its name's identity-checked removal. The first error is
// the one reported; the file is closed and its name removed whatever
// happened before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/system/error_code.hpp>

#include "core/steps/io_steps.hpp"
#include "core/steps/remove_name_steps.hpp"
#include "core/steps/syscall.hpp"

namespace tempio::detail {

class close_file_steps {
  public:
    // `start`: where the unwritten bytes go (write_steps).
    close_file_steps(int fd, std::string unwritten, std::int64_t start,
                     std::optional<remove_name_steps> removing)
        : unwritten_(std::move(unwritten)),
          writing_(fd, std::string_view(), unwritten_, start),
          closing_(fd),
          removing_(std::move(removing)) {}
    // The writes point into unwritten_.
    close_file_steps(const close_file_steps&) = delete;
    close_file_steps& operator=(const close_file_steps&) = delete;

    syscall next() noexcept {
        if (!writing_.finished()) return writing_.next();
        if (!closed_) return closing_.next();
        return removing_ ? removing_->next() : syscall{};
    }
    void on_result(int res) noexcept {
        if (!writing_.finished()) return writing_.on_result(res);
        if (closed_) return removing_->on_result(res);
        closing_.on_result(res);
        closed_ = true;
    }

    const boost::system::error_code& error() const noexcept {
        if (writing_.error()) return writing_.error();
        if (closing_.error() || !removing_) return closing_.error();
        return removing_->error();
    }
    // A name was to be removed, and its removal is over (removal_error()).
    bool removal_finished() const noexcept { return removing_ && removing_->finished(); }
    const boost::system::error_code& removal_error() const noexcept { return removing_->error(); }

  private:
    std::string unwritten_;
    write_steps writing_;
    close_steps closing_;
    bool closed_ = false;
    std::optional<remove_name_steps> removing_;
};

}  // namespace tempio::detail
