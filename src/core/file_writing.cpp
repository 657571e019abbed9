// file_core's writes and positioning: the write buffer, the kernel's offset
// against the logical position, seek/tell/truncate, flush and sync. The
// rest of file_core is in file_core.cpp (lifecycle, closing, spooled) and
// file_reading.cpp (reads).
#include <cerrno>
#include <cstring>
#include <exception>

#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/os_error.hpp"
#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

error_code sys_error(int e) {
    return os_error(e);
}

// base + off as lseek computes a position: negative is EINVAL, past
// INT64_MAX is EOVERFLOW (POSIX; Linux says EINVAL for both, but a spooled
// file must give one answer before and after its rollover).
bool add_offset(std::uint64_t base, std::int64_t off, std::uint64_t& out, error_code& ec) {
    if (off < 0) {
        std::uint64_t back = std::uint64_t(0) - static_cast<std::uint64_t>(off);  // INT64_MIN too
        if (back > base) {
            ec = sys_error(EINVAL);
            return false;
        }
        out = base - back;
        return true;
    }
    if (static_cast<std::uint64_t>(off) > max_offset - base) {
        ec = sys_error(EOVERFLOW);
        return false;
    }
    out = base + static_cast<std::uint64_t>(off);
    return true;
}

}  // namespace

// ---- writing ------------------------------------------------------------

bool file_core::flush_buffer(error_code& ec) {
    return drop_read_buffer(ec) && flush_writes(ec);
}

bool file_core::drop_read_buffer(error_code& ec) {
    if (std::size_t ahead = read_buffered(); ahead != 0) {
        off_t off = sys::lseek(fd_.get(), static_cast<off_t>(kpos_ - ahead), SEEK_SET);
        if (off < 0) {
            ec = last_error();
            return false;
        }
        kpos_ = static_cast<std::uint64_t>(off);
    }
    rbuf_.clear();
    rpos_ = 0;
    return true;
}

bool file_core::flush_writes(error_code& ec) {
    if (!settle_behind(ec)) return false;
    if (wbuf_.empty()) return sync_position(ec);
    write_steps writing(fd_.get(), std::string_view(), wbuf_, write_start());
    run_steps(writing);
    kpos_ += writing.written();
    if ((ec = writing.error())) {
        wbuf_.erase(0, writing.written());  // kept: a later flush may succeed
        note_write_error(ec);               // ... but the file was short meanwhile: latched
        return false;
    }
    wbuf_.clear();
    return sync_position(ec);
}

// In append mode the kernel moved the offset to the end: learn where.
bool file_core::sync_position(error_code& ec) {
    if (pos_known_) return true;
    off_t off = sys::lseek(fd_.get(), 0, SEEK_CUR);
    if (off < 0) {
        ec = last_error();
        return false;
    }
    kpos_ = static_cast<std::uint64_t>(off);
    pos_known_ = true;
    return true;
}

std::size_t file_core::write_fd(const char* data, std::size_t n, error_code& ec) {
    // Not at the end (append mode) but at the position: its end must stay a
    // valid offset. POSIX says EFBIG (Linux: EINVAL, when it is written).
    if (!mode_.append && n > max_offset - (kpos_ + wbuf_.size())) {
        ec = sys_error(EFBIG);
        return 0;
    }
    if (req_.buffer_size != 0 && wbuf_.size() + n <= req_.buffer_size) {
        try {
            wbuf_.append(data, n);
        } catch (const std::exception&) {
            ec = sys_error(ENOMEM);
            return 0;
        }
        if (mode_.append) pos_known_ = false;
        return n;
    }
    // Too big for the buffer: one writev of buffer + data, after any
    // write-behind. The first time, also learn whether the file is on a
    // memory file system, when asked (learns_memory_fs).
    if (!settle_behind(ec)) return 0;
    if (req_.learns_memory_fs && memory_fs_ == memory_fs::unknown)
        memory_fs_ = fd_on_memory_fs(fd_.get()) ? memory_fs::yes : memory_fs::no;
    std::size_t buffered = wbuf_.size();
    write_steps steps(fd_.get(), wbuf_, std::string_view(data, n), write_start());
    run_steps(steps);
    std::size_t done = steps.written();
    ec = steps.error();
    kpos_ += done;
    if (mode_.append) pos_known_ = false;
    if (done < buffered) {
        wbuf_.erase(0, done);
        return 0;
    }
    wbuf_.clear();
    std::size_t written = done - buffered;
    if (!ec) sync_position(ec);
    return written;
}

// ---- write-behind ----------------------------------------------------------

bool file_core::can_write_behind(std::size_t n) const noexcept {
    return !closed_ && !in_memory_ && mode_.writable && req_.buffer_size != 0 &&
           read_buffered() == 0 && !wbuf_.empty() && n <= req_.buffer_size &&
           wbuf_.size() + n > req_.buffer_size && behind_quiet() &&
           (mode_.append || n <= max_offset - (kpos_ + wbuf_.size()));
}

std::shared_ptr<write_behind> file_core::start_write_behind(const char* data,
                                                            std::size_t n) noexcept {
    if (!can_write_behind(n)) return nullptr;
    try {
        if (!behind_) behind_ = std::make_shared<write_behind>();
        // The previous one was written whole (can_write_behind). The next buffer is the previous
        // round's string, with its capacity.
        behind_->bytes.clear();
        behind_->bytes.append(data, n);
    } catch (...) {  // no memory: nothing changed but an empty string
        return nullptr;
    }
    wbuf_.swap(behind_->bytes);
    behind_->start = write_start();
    kpos_ += behind_->bytes.size();  // where the worker leaves the kernel's offset
    if (mode_.append) pos_known_ = false;
    behind_->fd = fd_.get();
    behind_->written = 0;
    behind_->ec.clear();
    behind_->state.store(write_behind::queued, std::memory_order_release);
    return behind_;
}

bool file_core::settle_behind(error_code& ec) {
    if (!behind_ || behind_->state.load(std::memory_order_relaxed) == write_behind::idle)
        return true;
    write_behind& b = *behind_;
    b.finish_here();
    bool kept = true;
    if (b.ec) {
        note_write_error(b.ec);
        // The worker stopped early: the kernel's offset is where it stopped,
        // and the rest is unwritten buffer again, for the next flush to
        // retry and report (the worker's error is only the first try's).
        std::string_view rest(b.bytes);
        rest.remove_prefix(b.written);
        kpos_ -= rest.size();
        try {
            wbuf_.insert(0, rest);
        } catch (...) {
            // No memory to keep them: one more try to write them, in order.
            write_steps again(fd_.get(), rest, std::string_view(), write_start());
            run_steps(again);
            kpos_ += again.written();
            if (again.error()) {
                ec = again.error();
                kept = false;
            }
        }
    }
    b.bytes.clear();
    b.state.store(write_behind::idle, std::memory_order_relaxed);  // settled
    return kept;
}

std::size_t file_core::write(const char* data, std::size_t n, error_code& ec) {
    if (!check(false, true, ec)) return 0;
    std::size_t done = write_checked(data, n, ec);
    // In memory a refused write (or rollover) changed nothing: not latched.
    if (!in_memory_) note_write_error(ec);
    return done;
}

std::size_t file_core::write_checked(const char* data, std::size_t n, error_code& ec) {
    if (in_memory_) {
        // Past off_t's limit, before anything changes: EFBIG, as write(2)
        // at the maximum offset (POSIX).
        if (n != 0 && n > max_offset - mem_.write_position(mode_.append)) {
            ec = sys_error(EFBIG);
            return 0;
        }
        if (write_rolls_over(n)) {
            // Roll over first so that a failure leaves memory untouched.
            rollover(ec);
            if (ec) return 0;
            return write_fd(data, n, ec);
        }
        return mem_.write(data, n, mode_.append, ec);
    }
    if (!drop_read_buffer(ec)) return 0;  // the write goes where the reader is
    return write_fd(data, n, ec);
}

// ---- positioning ----------------------------------------------------------

std::uint64_t file_core::seek(std::int64_t off, int whence, error_code& ec) {
    if (!check(false, false, ec)) return 0;
    if (whence < SEEK_SET || whence > SEEK_END) {
        ec = sys_error(EINVAL);
        return 0;
    }
    std::uint64_t pos = 0;
    if (in_memory_) {
        std::uint64_t base = whence == SEEK_SET   ? 0
                             : whence == SEEK_CUR ? mem_.position()
                                                  : mem_.size();
        if (!add_offset(base, off, pos, ec)) return 0;
        mem_.set_position(pos);
        return pos;
    }
    if (!flush_buffer(ec)) return 0;  // the position is known from here on
    // The kernel wraps past INT64_MAX into EINVAL: say EOVERFLOW, as in memory.
    if (whence == SEEK_CUR && !add_offset(kpos_, off, pos, ec)) return 0;
    off_t r = sys::lseek(fd_.get(), static_cast<off_t>(off), whence);
    if (r < 0) {
        int err = errno;
        sys::file_stat st{};
        if (err == EINVAL && whence == SEEK_END && off > 0 && sys::fstat(fd_.get(), &st) == 0 &&
            static_cast<std::uint64_t>(off) > max_offset - static_cast<std::uint64_t>(st.st_size))
            err = EOVERFLOW;
        ec = sys_error(err);
        return 0;
    }
    kpos_ = static_cast<std::uint64_t>(r);
    pos_known_ = true;
    return kpos_;
}

std::uint64_t file_core::tell(error_code& ec) {
    if (!check(false, false, ec)) return 0;
    if (in_memory_) return mem_.position();
    if (!pos_known_ && !flush_buffer(ec)) return 0;
    return kpos_ + wbuf_.size() - read_buffered();
}

std::uint64_t file_core::truncate(const std::uint64_t* size, error_code& ec) {
    if (!check(false, true, ec)) return 0;
    if (size && *size > max_offset) {  // a negative off_t: ftruncate's EINVAL (nothing changed)
        ec = sys_error(EINVAL);
        return 0;
    }
    std::uint64_t done = truncate_checked(size, ec);
    if (!in_memory_) note_write_error(ec);
    return done;
}

std::uint64_t file_core::truncate_checked(const std::uint64_t* size, error_code& ec) {
    if (in_memory_) {
        std::uint64_t target = size ? *size : mem_.position();
        if (req_.max_size != 0 && target > req_.max_size) {
            rollover(ec);
            if (ec) return 0;
            return truncate_checked(size, ec);
        }
        return mem_.resize(target, ec) ? target : 0;
    }
    if (!flush_buffer(ec)) return 0;
    std::uint64_t target = size ? *size : kpos_;
    while (sys::ftruncate(fd_.get(), static_cast<off_t>(target)) != 0) {
        if (errno != EINTR) {
            ec = last_error();
            return 0;
        }
    }
    return target;
}

void file_core::flush(error_code& ec) {
    if (!check(false, false, ec)) return;
    if (!in_memory_) flush_writes(ec);
    note_write_error(ec);
}

void file_core::sync(bool data_only, error_code& ec) {
    if (!check(false, false, ec)) return;
    if (in_memory_ || !flush_buffer(ec)) return;  // in memory: nothing on a disk
    while ((data_only ? sys::fdatasync(fd_.get()) : sys::fsync(fd_.get())) != 0) {
        if (errno != EINTR) {
            ec = last_error();
            note_write_error(ec);  // what was written may not be on the disk
            return;
        }
    }
}

}  // namespace tempio::detail
