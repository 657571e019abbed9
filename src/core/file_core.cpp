#include "core/file_core.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>

#include <unistd.h>

#include "core/fork_generation.hpp"
#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

// System errors in system_category(), as Asio's: they compare equal to both
// net::error::X and std::errc::Y.
error_code sys_error(int e) {
    return error_code(e, system_category());
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

error_code file_core::last_error() {
    return error_code(errno ? errno : EIO, system_category());
}

file_core::file_core(file_request req, open_mode mode)
    : req_(std::move(req)), mode_(mode), generation_(fork_generation()) {}

file_core::~file_core() {
    destroy();
}

error_code file_core::prepare(file_request& req, open_mode& mode) {
    if (error_code ec = parse_mode(req.mode, mode)) return ec;
    return validate_affixes(req.names.prefix, req.names.suffix);
}

std::shared_ptr<file_core> file_core::adopt(file_request req, open_mode mode, unique_fd fd,
                                            std::string path, error_code& ec) {
    ec.clear();
    std::shared_ptr<file_core> core(new file_core(std::move(req), mode));
    core->fd_ = std::move(fd);
    core->set_path(std::move(path));
    // A driver opens anonymous files with O_TMPFILE only (flags from the request).
    core->linkable_ = core->path_.empty() && core->req_.linkable;
    if (!core->path_.empty() && !core->note_identity(ec)) {
        core->discard();  // just made: nobody else's yet, removed unchecked
        return nullptr;
    }
    return core;
}

void file_core::set_path(std::string path) {
    path_ = std::move(path);
    public_path_ = path_;
}

bool file_core::note_identity(error_code& ec) {
    struct stat st {};
    if (sys::fstat(fd_.get(), &st) != 0) {
        ec = last_error();
        return false;
    }
    identity_ = file_identity{st.st_dev, st.st_ino};
    return true;
}

// By path, holding no directory descriptor: one more descriptor per named
// file would halve how many fit under RLIMIT_NOFILE, and every creation
// would have to open the directory first. The identity check is
// what spares an unrelated file that took the name; a held directory would
// add only a guard against the directory itself being renamed and replaced.
error_code file_core::remove_name() {
    remove_name_steps removing = name_removal();
    run_steps(removing);
    return removing.error();
}

remove_name_steps file_core::name_removal() const noexcept {
    return remove_name_steps(path_.c_str(), identity_ ? &*identity_ : nullptr);
}

std::shared_ptr<file_core> file_core::create(file_request req, error_code& ec) {
    open_mode mode;
    if ((ec = prepare(req, mode))) return nullptr;
    std::shared_ptr<file_core> core(new file_core(std::move(req), mode));
    int extra = mode.append ? O_APPEND : 0;
    if (core->req_.kind == file_kind::named) {
        std::string path;
        core->fd_ = create_unique_file(core->req_.names, extra, path, ec);
        core->set_path(std::move(path));
        if (!ec && !core->note_identity(ec)) {
            core->fd_.reset();
            remove_file(core->path_);  // just made: nobody else's yet
        }
    } else {
        core->fd_ = create_anonymous_file(core->req_.names, extra, ec,
                                          core->req_.linkable ? &core->linkable_ : nullptr);
    }
    if (ec) {
        core->closed_ = core->deleted_ = true;
        return nullptr;
    }
    return core;
}

std::shared_ptr<file_core> file_core::create_spooled(file_request req, error_code& ec) {
    open_mode mode;
    if ((ec = parse_mode(req.mode, mode))) return nullptr;
    if ((ec = validate_affixes(req.names.prefix, req.names.suffix))) return nullptr;
    req.kind = file_kind::spooled;
    std::shared_ptr<file_core> core(new file_core(std::move(req), mode));
    core->in_memory_ = true;
    return core;
}

void file_core::destroy() noexcept {
    if (fork_generation() != generation_) {  // a forked child's copy: never delete
        fd_.reset();
        closed_ = deleted_ = true;
        return;
    }
    error_code ignored;
    if (!closed_) {
        try {
            close(ignored);
        } catch (...) {
        }
    }
    // delete_on_close=false: the name lives until the end of the object.
    if (!deleted_ && !path_.empty() && !req_.keep) remove_name();
    deleted_ = true;
}

error_code file_core::discard() noexcept {
    closed_ = true;
    fd_.reset();
    error_code ec;
    // A name that could not be removed stays ours: reported, and the
    // destructor tries once more.
    if (!path_.empty() && !deleted_) ec = remove_name();
    deleted_ = !ec;
    return ec;
}

bool file_core::check(bool want_read, bool want_write, error_code& ec) const {
    if (closed_ || (want_read && !mode_.readable) || (want_write && !mode_.writable)) {
        ec = sys_error(EBADF);
        return false;
    }
    ec.clear();
    return true;
}

// CPython's rule: in memory until a write leaves the position past max_size
// (max_size 0: never by itself). In append mode the write goes to the end.
bool file_core::write_rolls_over(std::size_t n) const noexcept {
    std::uint64_t pos = mem_.write_position(mode_.append);
    return req_.max_size != 0 && (pos > req_.max_size || n > req_.max_size - pos);
}

bool file_core::write_is_free(std::size_t n) const noexcept {
    if (closed_ || !mode_.writable) return true;  // fails at once
    if (in_memory_) return !write_rolls_over(n);
    return read_buffered() == 0 && req_.buffer_size != 0 && wbuf_.size() + n <= req_.buffer_size;
}

bool file_core::truncate_is_free(const std::uint64_t* size) const noexcept {
    if (closed_ || !mode_.writable) return true;
    if (!in_memory_) return false;
    std::uint64_t target = size ? *size : mem_.position();  // truncate() cuts at the position
    return req_.max_size == 0 || target <= req_.max_size || target > max_offset;
}

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
    if (wbuf_.empty()) return sync_position(ec);
    write_steps writing(fd_.get(), std::string_view(), wbuf_);
    run_steps(writing);
    kpos_ += writing.written();
    if ((ec = writing.error())) {
        wbuf_.erase(0, writing.written());  // kept: a later flush may succeed
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
    // Too big for the buffer: one writev of buffer + data.
    std::size_t buffered = wbuf_.size();
    write_steps steps(fd_.get(), wbuf_, std::string_view(data, n));
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

std::size_t file_core::write(const char* data, std::size_t n, error_code& ec) {
    if (!check(false, true, ec)) return 0;
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
        struct stat st {};
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
    if (size && *size > max_offset) {  // a negative off_t: ftruncate's EINVAL
        ec = sys_error(EINVAL);
        return 0;
    }
    if (in_memory_) {
        std::uint64_t target = size ? *size : mem_.position();
        if (req_.max_size != 0 && target > req_.max_size) {
            rollover(ec);
            if (ec) return 0;
            return truncate(size, ec);
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
}

void file_core::sync(bool data_only, error_code& ec) {
    if (!check(false, false, ec)) return;
    if (in_memory_ || !flush_buffer(ec)) return;  // in memory: nothing on a disk
    while ((data_only ? sys::fdatasync(fd_.get()) : sys::fsync(fd_.get())) != 0) {
        if (errno != EINTR) {
            ec = last_error();
            return;
        }
    }
}

// ---- closing ------------------------------------------------------------

int file_core::begin_direct_close(std::string& unwritten) noexcept {
    if (closed_ || in_memory_) return -1;
    closed_ = true;
    unwritten.swap(wbuf_);
    std::string().swap(rbuf_);
    rpos_ = 0;
    return fd_.release();
}

bool file_core::writes_through(std::size_t n) const noexcept {
    // Not past off_t's limit: write_fd's EFBIG.
    return !closed_ && !in_memory_ && mode_.writable && !mode_.append && wbuf_.empty() &&
           read_buffered() == 0 && n <= max_offset - kpos_ && !write_is_free(n);
}

void file_core::close(error_code& ec) {
    ec.clear();
    if (closed_) return;
    closed_ = true;
    if (in_memory_) {
        mem_.release();
        return;
    }
    flush_writes(ec);  // reported, but the file is closed and removed anyway
    std::string().swap(wbuf_);
    close_steps closing(fd_.release());
    run_steps(closing);
    if (!ec) ec = closing.error();
    if (unlinks_at_close()) {
        error_code rm = remove_name();
        // A refused unlink is reported; the destructor tries once more.
        deleted_ = !rm;
        if (!ec) ec = rm;
    }
}

// ---- spooled ------------------------------------------------------------

void file_core::rollover(error_code& ec) {
    ec.clear();
    if (closed_) {
        ec = sys_error(EBADF);
        return;
    }
    if (!in_memory_) return;
    bool linkable = false;  // a rollover file can always be published
    unique_fd fd = create_anonymous_file(req_.names, mode_.append ? O_APPEND : 0, ec, &linkable);
    if (ec) return;
    // The image in place (no second copy), at its position. On failure the
    // fd closes and the data stays in memory.
    if (!mem_.copy_to(fd.get(), ec)) return;
    fd_ = std::move(fd);
    linkable_ = linkable;
    kpos_ = mem_.position();
    pos_known_ = true;
    in_memory_ = false;
    mem_.release();
}

int file_core::fileno(error_code& ec) {
    if (!check(false, false, ec)) return -1;
    rollover(ec);
    if (ec || !flush_buffer(ec)) return -1;
    return fd_.get();
}

}  // namespace tempio::detail
