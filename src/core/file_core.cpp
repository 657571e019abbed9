#include "core/file_core.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <unistd.h>

#include <boost/system/errc.hpp>

#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;
using boost::system::errc::make_error_code;
namespace errc = boost::system::errc;

}  // namespace

error_code file_core::last_error() {
    return error_code(errno ? errno : EIO, system_category());
}

file_core::file_core(file_request req, open_mode mode)
    : req_(std::move(req)), mode_(mode), owner_pid_(::getpid()) {}

file_core::~file_core() {
    destroy();
}

error_code file_core::prepare(file_request& req, open_mode& mode) {
    if (error_code ec = parse_mode(req.mode, mode)) return ec;
    return validate_affixes(req.names.prefix, req.names.suffix);
}

std::shared_ptr<file_core> file_core::adopt(file_request req, open_mode mode, unique_fd fd,
                                            std::string path) {
    std::shared_ptr<file_core> core(new file_core(std::move(req), mode));
    core->fd_ = std::move(fd);
    core->path_ = std::move(path);
    return core;
}

std::shared_ptr<file_core> file_core::create(file_request req, error_code& ec) {
    open_mode mode;
    if ((ec = prepare(req, mode))) return nullptr;
    std::shared_ptr<file_core> core(new file_core(std::move(req), mode));
    int extra = mode.append ? O_APPEND : 0;
    if (core->req_.kind == file_kind::named)
        core->fd_ = create_unique_file(core->req_.names, extra, core->path_, ec);
    else
        core->fd_ = create_anonymous_file(core->req_.names, extra, ec);
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
    if (::getpid() != owner_pid_) {  // a forked child's copy: never delete
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
    if (!deleted_ && !path_.empty() && !req_.keep) remove_file(path_);
    deleted_ = true;
}

void file_core::discard() noexcept {
    closed_ = true;
    fd_.reset();
    if (!path_.empty() && !deleted_) remove_file(path_);
    deleted_ = true;
}

bool file_core::check(bool want_read, bool want_write, error_code& ec) const {
    if (closed_ || (want_read && !mode_.readable) || (want_write && !mode_.writable)) {
        ec = make_error_code(errc::bad_file_descriptor);
        return false;
    }
    ec.clear();
    return true;
}

bool file_core::write_is_free(std::size_t n) const noexcept {
    if (closed_ || !mode_.writable) return true;  // fails at once
    if (in_memory_) return req_.max_size == 0 || std::max(mem_pos_ + n, mem_pos_) <= req_.max_size;
    return req_.buffer_size != 0 && wbuf_.size() + n <= req_.buffer_size;
}

bool file_core::truncate_is_free(const std::uint64_t* size) const noexcept {
    if (closed_ || !mode_.writable) return true;
    if (!in_memory_) return false;
    return size == nullptr || req_.max_size == 0 || *size <= req_.max_size;
}

// ---- writing ------------------------------------------------------------

bool file_core::flush_buffer(error_code& ec) {
    std::size_t done = 0;
    while (done < wbuf_.size()) {
        ssize_t r = sys::write(fd_.get(), wbuf_.data() + done, wbuf_.size() - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            // Keep what was not written: a later flush may succeed.
            wbuf_.erase(0, done);
            kpos_ += done;
            return false;
        }
        done += static_cast<std::size_t>(r);
    }
    kpos_ += done;
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

std::size_t file_core::write_memory(const char* data, std::size_t n) {
    if (mem_pos_ > mem_.size()) mem_.resize(mem_pos_, '\0');  // sparse write
    std::size_t overlap = std::min(n, mem_.size() - mem_pos_);
    std::memcpy(mem_.data() + mem_pos_, data, overlap);
    mem_.append(data + overlap, n - overlap);
    mem_pos_ += n;
    return n;
}

std::size_t file_core::write_fd(const char* data, std::size_t n, error_code& ec) {
    if (req_.buffer_size != 0 && wbuf_.size() + n <= req_.buffer_size) {
        wbuf_.append(data, n);
        if (mode_.append) pos_known_ = false;
        return n;
    }
    // Too big for the buffer: one writev of buffer + data.
    std::size_t done = 0, buffered = wbuf_.size();
    while (done < buffered + n) {
        iovec iov[2];
        int count = 0;
        if (done < buffered) iov[count++] = {wbuf_.data() + done, buffered - done};
        std::size_t from = done > buffered ? done - buffered : 0;
        iov[count++] = {const_cast<char*>(data) + from, n - from};
        ssize_t r = sys::writev(fd_.get(), iov, count);
        if (r < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            break;
        }
        done += static_cast<std::size_t>(r);
    }
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
        if (mode_.append) mem_pos_ = mem_.size();
        if (req_.max_size != 0 && mem_pos_ + n > req_.max_size) {
            // Roll over first so that a failure leaves memory untouched.
            rollover(ec);
            if (ec) return 0;
            return write_fd(data, n, ec);
        }
        return write_memory(data, n);
    }
    return write_fd(data, n, ec);
}

// ---- positioning ----------------------------------------------------------

std::uint64_t file_core::seek(std::int64_t off, int whence, error_code& ec) {
    if (!check(false, false, ec)) return 0;
    if (whence < SEEK_SET || whence > SEEK_END) {
        ec = make_error_code(errc::invalid_argument);
        return 0;
    }
    if (in_memory_) {
        std::int64_t base = whence == SEEK_SET   ? 0
                            : whence == SEEK_CUR ? static_cast<std::int64_t>(mem_pos_)
                                                 : static_cast<std::int64_t>(mem_.size());
        if (off < 0 ? base < -off : false) {  // same rule as lseek: no negative position
            ec = make_error_code(errc::invalid_argument);
            return 0;
        }
        mem_pos_ = static_cast<std::size_t>(base + off);
        return mem_pos_;
    }
    if (!flush_buffer(ec)) return 0;
    off_t r = sys::lseek(fd_.get(), static_cast<off_t>(off), whence);
    if (r < 0) {
        ec = last_error();
        return 0;
    }
    kpos_ = static_cast<std::uint64_t>(r);
    pos_known_ = true;
    return kpos_;
}

std::uint64_t file_core::tell(error_code& ec) {
    if (!check(false, false, ec)) return 0;
    if (in_memory_) return mem_pos_;
    if (!pos_known_ && !flush_buffer(ec)) return 0;
    return kpos_ + wbuf_.size();
}

std::uint64_t file_core::truncate(const std::uint64_t* size, error_code& ec) {
    if (!check(false, true, ec)) return 0;
    if (in_memory_) {
        std::uint64_t target = size ? *size : mem_pos_;
        if (req_.max_size != 0 && target > req_.max_size) {
            rollover(ec);
            if (ec) return 0;
            return truncate(size, ec);
        }
        mem_.resize(static_cast<std::size_t>(target), '\0');
        return target;
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
    if (!in_memory_) flush_buffer(ec);
}

// ---- closing ------------------------------------------------------------

bool file_core::begin_plain_close(int& fd, bool& unlink) noexcept {
    // Not when close() has more to do: a buffer to write, a position to learn.
    if (closed_ || in_memory_ || !wbuf_.empty() || !pos_known_) return false;
    closed_ = true;
    fd = fd_.release();
    unlink = unlinks_at_close();
    return true;
}

void file_core::end_plain_close(int close_res, int unlink_res, error_code& ec) noexcept {
    ec.clear();
    // As close(): EINTR from close means closed; ENOENT from unlink, removed.
    if (close_res < 0 && close_res != -EINTR) ec.assign(-close_res, system_category());
    if (unlinks_at_close()) {
        deleted_ = unlink_res == 0 || unlink_res == -ENOENT;
        if (!deleted_ && !ec) ec.assign(-unlink_res, system_category());
    }
}

bool file_core::plain_write_ok(std::size_t n) const noexcept {
    return !closed_ && !in_memory_ && mode_.writable && !mode_.append && wbuf_.empty() &&
           !write_is_free(n);
}

void file_core::close(error_code& ec) {
    ec.clear();
    if (closed_) return;
    closed_ = true;
    if (in_memory_) {
        std::string().swap(mem_);
        return;
    }
    flush_buffer(ec);  // reported, but the file is closed and removed anyway
    std::string().swap(wbuf_);
    int fd = fd_.release();
    if (sys::close(fd) != 0 && !ec && errno != EINTR) ec = last_error();
    if (unlinks_at_close()) {
        error_code rm = remove_file(path_);
        // A refused unlink is reported; the destructor tries once more.
        deleted_ = !rm;
        if (!ec) ec = rm;
    }
}

// ---- spooled ------------------------------------------------------------

void file_core::rollover(error_code& ec) {
    ec.clear();
    if (closed_) {
        ec = make_error_code(errc::bad_file_descriptor);
        return;
    }
    if (!in_memory_) return;
    unique_fd fd = create_anonymous_file(req_.names, mode_.append ? O_APPEND : 0, ec);
    if (ec) return;
    // Write the memory image in place (no second copy), then restore the position.
    std::size_t done = 0;
    while (done < mem_.size()) {
        ssize_t r = sys::write(fd.get(), mem_.data() + done, mem_.size() - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            ec = last_error();
            return;  // fd closes; the data stays in memory
        }
        done += static_cast<std::size_t>(r);
    }
    if (sys::lseek(fd.get(), static_cast<off_t>(mem_pos_), SEEK_SET) < 0) {
        ec = last_error();
        return;
    }
    fd_ = std::move(fd);
    kpos_ = mem_pos_;
    pos_known_ = true;
    in_memory_ = false;
    std::string().swap(mem_);
    mem_pos_ = 0;
}

int file_core::fileno(error_code& ec) {
    if (!check(false, false, ec)) return -1;
    rollover(ec);
    if (ec || !flush_buffer(ec)) return -1;
    return fd_.get();
}

}  // namespace tempio::detail
