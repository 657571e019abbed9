#include "core/file_core.hpp"
#include "core/os_error.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>

#include "core/fork_generation.hpp"
#include "core/steps/close_file_steps.hpp"
#include "core/steps/io_steps.hpp"
#include "core/sys.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

// System errors in system_category(), as Asio's: they compare equal to both
// net::error::X and std::errc::Y.
error_code sys_error(int e) {
    return os_error(e);
}

}  // namespace

error_code file_core::last_error() {
    return os_error(errno ? errno : EIO);
}

file_core::file_core(key, file_request&& req, open_mode mode)
    : slot_(take_core_slot(this)),
      req_(std::move(req)),
      mode_(mode),
      generation_(fork_generation()) {}

file_core::~file_core() {
    return_core_slot(slot_);  // operations made on it find it gone from here on
    destroy();
}

error_code file_core::prepare(std::string_view mode_text, std::string_view prefix,
                              std::string_view suffix, open_mode& mode) {
    if (error_code ec = parse_mode(mode_text, mode)) return ec;
    return validate_affixes(prefix, suffix);
}

std::shared_ptr<file_core> file_core::make(file_request&& req, open_mode mode) {
    return std::make_shared<file_core>(key(), std::move(req), mode);
}

std::shared_ptr<file_core> file_core::adopt(file_request&& req, open_mode mode, unique_fd fd,
                                            std::string path, error_code& ec) {
    ec.clear();
    std::shared_ptr<file_core> core;
    try {
        core = make(std::move(req), mode);
        core->set_path(std::move(path));
    } catch (const std::bad_alloc&) {
        // The file exists already and is nobody else's yet: out of memory
        // for its core, it goes (fd closed by its owner, the name removed).
        const std::string& made = core && !core->path_.empty() ? core->path_.native() : path;
        if (!made.empty()) remove_file(made);
        if (core) core->closed_ = core->deleted_ = true;
        ec = os_error(ENOMEM);
        return nullptr;
    }
    core->fd_ = std::move(fd);
    // A driver opens anonymous files with O_TMPFILE only (flags from the request).
    core->linkable_ = core->path_.empty() && core->req_.linkable;
    if (core->req_.on_memory_fs) core->memory_fs_ = memory_fs::yes;
    if (!core->path_.empty() && !core->note_identity(ec)) {
        core->discard();  // just made: nobody else's yet, removed unchecked
        return nullptr;
    }
    if (!core->path_.empty() && !core->req_.keep) core->watch_name();
    return core;
}

void file_core::set_path(std::string path) {
    path_ = std::move(path);
}

bool file_core::note_identity(error_code& ec) {
    sys::file_stat st{};
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
    if ((ec = prepare(req.mode, req.names.prefix, req.names.suffix, mode))) return nullptr;
    std::shared_ptr<file_core> core = make(std::move(req), mode);
    int extra = mode.append ? O_APPEND : 0;
    if (core->req_.kind == file_kind::named) {
        std::string path;
        core->fd_ = create_unique_file(core->req_.names, extra, path, ec);
        core->set_path(std::move(path));
        if (!ec && !core->note_identity(ec)) {
            core->fd_.reset();
            remove_file(core->path_.native());  // just made: nobody else's yet
        }
    } else {
        core->fd_ = create_anonymous_file(core->req_.names, extra, ec,
                                          core->req_.linkable ? &core->linkable_ : nullptr);
    }
    if (ec) {
        core->closed_ = core->deleted_ = true;
        return nullptr;
    }
    if (!core->path_.empty() && !core->req_.keep) core->watch_name();
    return core;
}

std::shared_ptr<file_core> file_core::create_spooled(file_request req, error_code& ec) {
    open_mode mode;
    if ((ec = parse_mode(req.mode, mode))) return nullptr;
    if ((ec = validate_affixes(req.names.prefix, req.names.suffix))) return nullptr;
    req.kind = file_kind::spooled;
    std::shared_ptr<file_core> core = make(std::move(req), mode);
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
    name_watch_.reset();  // removed, or (refused) ours no longer: the object ends
}

error_code file_core::discard() noexcept {
    if (behind_) behind_->finish_here();  // its fd closes here
    behind_.reset();
    closed_ = true;
    fd_.reset();
    error_code ec;
    // A name that could not be removed stays ours: reported, and the
    // destructor tries once more.
    if (!path_.empty() && !deleted_) ec = remove_name();
    deleted_ = !ec;
    if (deleted_) name_watch_.reset();
    commit_place_.reset();  // an atomic_file's target directory: no commit now
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

// ---- closing ------------------------------------------------------------

int file_core::begin_direct_close(std::string& unwritten, std::int64_t& start) noexcept {
    if (closed_ || in_memory_ || !behind_quiet()) return -1;
    start = write_start();
    behind_.reset();  // written whole, if any; its buffer's memory goes too
    closed_ = true;
    unwritten.swap(wbuf_);
    std::string().swap(rbuf_);
    rpos_ = 0;
    return fd_.release();
}

bool file_core::writes_through(std::size_t n) const noexcept {
    // Not past off_t's limit: write_fd's EFBIG.
    return !closed_ && !in_memory_ && mode_.writable && !mode_.append && wbuf_.empty() &&
           read_buffered() == 0 && n <= max_offset - kpos_ && !write_is_free(n) && behind_quiet();
}

void file_core::close(error_code& ec) {
    ec.clear();
    if (closed_) return;
    if (in_memory_) {
        closed_ = true;
        mem_.release();
        return;
    }
    // The same steps as a driver's close (ops/file_io_ops.hpp): a write
    // error is reported, but the file is closed and removed anyway; a
    // refused unlink is reported, and the destructor tries once more.
    error_code behind_ec;
    bool settled = settle_behind(behind_ec);
    std::string unwritten;
    std::int64_t start = at_end;
    int fd = begin_direct_close(unwritten, start);
    close_file_steps closing(fd, std::move(unwritten), start, close_removal());
    run_steps(closing);
    ec = settled ? closing.error() : behind_ec;
    if (closing.removal_finished()) note_name_removed(closing.removal_error());
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
