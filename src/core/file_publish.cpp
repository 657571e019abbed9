// file_core::publish: a temporary file given its final name (DESIGN section 8).
// Named files are renamed; anonymous and rolled-over ones linked (O_TMPFILE
// without O_EXCL, so no temporary name ever appears); a spooled file still in
// memory is first written to a new such file in the target's directory.
// Failure changes nothing; success makes the object refer to the target and
// never delete it.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "core/create.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

error_code errno_code() {
    return error_code(errno != 0 ? errno : EIO, system_category());
}

// Before the rename or link: permissions, then the data on stable storage
// (*sync_failed: it was the sync that failed).
bool prepare_fd(int fd, const publish_request& r, error_code& ec, bool* sync_failed = nullptr) {
    if (r.mode) {
        int res;
        do res = sys::fchmod(fd, *r.mode);
        while (res != 0 && errno == EINTR);
        if (res != 0) {
            ec = errno_code();
            return false;
        }
    }
    if (r.durable) {
        int res;
        // fdatasync need not write a changed mode: fsync when one was set.
        do res = r.mode ? sys::fsync(fd) : sys::fdatasync(fd);
        while (res != 0 && errno == EINTR);
        if (res != 0) {
            ec = errno_code();
            if (sync_failed) *sync_failed = true;
            return false;
        }
    }
    return true;
}

// The whole content of `from` (read from offset 0) written to `to`.
bool copy_data(int from, int to, error_code& ec) {
    std::string buf(65536, '\0');
    for (off_t off = 0;;) {
        ssize_t n = sys::pread(from, buf.data(), buf.size(), off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ec = errno_code();
            return false;
        }
        if (n == 0) return true;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = sys::write(to, buf.data() + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                ec = w < 0 ? errno_code() : error_code(EIO, system_category());
                return false;
            }
            done += w;
        }
        off += n;
    }
}

// Without anonymous files to link (docs/platforms.md): the data, written
// by `fill`, goes to a hidden ".<name>.XXXXXXXX" file in the target's
// directory, renamed (or, never replacing, linked) into place: as atomic,
// at the cost of a copy. On failure nothing of it is left.
template <class Fill>
unique_fd publish_hidden_copy(const target_place& target, const publish_request& r, int flags,
                              Fill fill, error_code& ec) {
    std::string path;
    const name_request names{hidden_prefix_for(target.name), "", target.dir_path};
    unique_fd fd = create_unique_file(names, flags, path, ec);
    if (ec) return {};
    signal_cleanup::registered_name watch;  // while it is being filled
    watch.watch(path, signal_cleanup::name_kind::file);
    if (fill(fd.get(), ec) && prepare_fd(fd.get(), r, ec) &&
        !(ec = rename_into_place(path, target, r.how, false)))
        return fd;  // the target's now: unregistered
    fd.reset();
    remove_file(path);
    return {};
}

}  // namespace

bool file_core::publish_fd(int fd, const target_place& target, const publish_request& r,
                           error_code& ec) {
    bool sync_failed = false;
    if (!prepare_fd(fd, r, ec, &sync_failed)) {
        // A failed sync may have dropped the written pages (Linux marks
        // them clean): latched, as the sync of async_sync is.
        if (sync_failed) note_write_error(ec);
        return false;
    }
    if (!path_.empty()) {
        ec = rename_into_place(path_.native(), target, r.how, false);
        return !ec;
    }
    std::string hidden;
    ec = link_into_place(fd, target, r.how, &hidden);
    if (ec && !hidden.empty()) {
        // Linked under a hidden name, but the rename over the target failed.
        // Removing that name would make the file impossible to publish ever
        // again (an O_TMPFILE is linkable once): it stays, as this file's
        // temporary name, deleted like a named temporary's (close, or the
        // end of the object), and a second publish renames it.
        set_path(std::move(hidden));
        deleted_ = false;
        error_code ignored;  // unknown: the name is then removed unchecked
        note_identity(ignored);
        watch_name();
    }
    return !ec;
}

void file_core::publish(const publish_request& r, bool close_after, error_code& ec) {
    ec.clear();
    if (closed_) {
        ec.assign(EBADF, system_category());
        return;
    }
    if (write_error_) {  // the latch: the file may hold part of what was written
        ec = write_error_;
        return;
    }
    if (r.how == publish_mode::exchange) {
        ec.assign(EINVAL, system_category());  // directories only
        return;
    }
    target_place place;
    if (!open_target(r, false, place, ec)) return;
    publish_at(place, r, close_after, ec);
}

void file_core::leave_memory(unique_fd fd) noexcept {
    fd_ = std::move(fd);
    kpos_ = mem_.position();
    pos_known_ = true;
    in_memory_ = false;
    mem_.release();
}

void file_core::publish_at(const target_place& target, const publish_request& r, bool close_after,
                           error_code& ec) {
    if (in_memory_) {
        // A new linkable file in the target's directory, published whole;
        // where none can be made (no anonymous files on this platform or
        // file system: docs/platforms.md), a hidden named copy.
        if (platform::anonymous_files) {
            name_request here{req_.names.prefix, req_.names.suffix, target.dir_path};
            bool linkable = false;
            unique_fd fd = create_anonymous_file(here, mode_.append ? O_APPEND : 0, ec, &linkable);
            if (ec) return;
            if (linkable) {
                if (!mem_.copy_to(fd.get(), ec)) return;
                if (!prepare_fd(fd.get(), r, ec)) return;
                if ((ec = link_into_place(fd.get(), target, r.how))) return;
                linkable_ = true;
                leave_memory(std::move(fd));
                return published(target, r, close_after, ec);
            }
        }
        auto fill = [&](int fd, error_code& e) { return mem_.copy_to(fd, e); };
        unique_fd fd = publish_hidden_copy(target, r, mode_.append ? O_APPEND : 0, fill, ec);
        if (!fd) return;
        leave_memory(std::move(fd));
        return published(target, r, close_after, ec);
    } else {
        if (path_.empty() && !linkable_) {
            // Opened O_TMPFILE|O_EXCL: the kernel refuses to give it a name
            // (temporary_file::options::linkable).
            if (req_.kind == file_kind::anonymous && !req_.linkable) {
                ec.assign(EPERM, system_category());
                return;
            }
            // Created and unlinked (no anonymous files on this platform or
            // file system): published as a copy, on its own file system
            // only (as a link would be: EXDEV).
            struct stat mine {
            }, there{};
            if (sys::fstat(fd_.get(), &mine) == 0 && sys::fstat(target.dir.get(), &there) == 0 &&
                mine.st_dev != there.st_dev) {
                ec.assign(EXDEV, system_category());
                return;
            }
            if (!flush_buffer(ec)) return;
            auto fill = [&](int fd, error_code& e) { return copy_data(fd_.get(), fd, e); };
            unique_fd fd = publish_hidden_copy(target, r, mode_.append ? O_APPEND : 0, fill, ec);
            if (!fd) return;
            if (sys::lseek(fd.get(), static_cast<off_t>(kpos_), SEEK_SET) < 0) pos_known_ = false;
            fd_ = std::move(fd);  // the unnamed original goes
            return published(target, r, close_after, ec);
        }
        if (!flush_buffer(ec)) return;
        if (!publish_fd(fd_.get(), target, r, ec)) return;
    }
    published(target, r, close_after, ec);
}

void file_core::published(const target_place& target, const publish_request& r, bool close_after,
                          error_code& ec) {
    // Published: the object now refers to the target, and keeps it. Nothing
    // of ours is left to delete: discard() (an abandon after a commit that
    // reported a late error, async_write_file_atomically's cleanup) must not
    // take the published file away.
    // No fstat for its identity: that only guards the removal of a name of
    // ours, and a published file is never removed (keep, deleted_).
    name_watch_.reset();  // the name is the target's now
    set_path(target.path());
    req_.keep = true;
    deleted_ = true;
    if (r.durable) ec = sync_directory(target);  // published; durability reported
    if (close_after) {
        error_code closing;
        close(closing);
        if (!ec) ec = closing;
    }
}

std::shared_ptr<file_core> file_core::create_atomic(file_request req, publish_request to,
                                                    error_code& ec) {
    open_mode mode;
    if ((ec = parse_mode(req.mode, mode))) return nullptr;
    // A new, empty file replaces the target: appending to the old content
    // cannot be promised, and a file that cannot be written is of no use.
    if (mode.append || !mode.writable) {
        ec.assign(EINVAL, system_category());
        return nullptr;
    }
    // Resolved once, here: the commit publishes in this very directory.
    auto place = std::make_unique<target_place>();
    if (!open_target(to, false, *place, ec)) return nullptr;
    const std::string& dir = place->dir_path;
    req.names = {hidden_prefix_for(place->name), "", dir};  // the fallback's hidden name
    req.linkable = true;
    req.kind = file_kind::anonymous;
    // Where a memory file system never waits on a device, its commit may run
    // on the calling thread (async/publish_ops.cpp). One statfs per
    // directory, cached.
    req.on_memory_fs = req.on_memory_fs || detail::on_memory_fs(dir);
    std::shared_ptr<file_core> core = make(std::move(req), mode);
    core->commit_to_ = std::move(to);
    core->commit_place_ = std::move(place);
    int extra = mode.append ? O_APPEND : 0;
    bool linkable = false;
    // No name at all where the file system has O_TMPFILE: a crash leaves
    // nothing. Where it has not, create_anonymous_file creates and unlinks a
    // file (unusable here: it can never be linked): with the hidden prefix,
    // even that instant's name is one a sweep recognises.
    core->fd_ = create_anonymous_file(core->req_.names, extra, ec, &linkable);
    if (!ec && !linkable) core->fd_.reset();  // created and unlinked: cannot be published
    if (!ec && linkable) {
        core->linkable_ = true;
        return core;
    }
    if (ec && ec != error_code(EOPNOTSUPP, system_category())) {
        core->closed_ = core->deleted_ = true;
        return nullptr;
    }
    // A hidden name in the target's directory, removed unless committed.
    ec.clear();
    std::string path;
    core->fd_ = create_unique_file(core->req_.names, extra, path, ec);
    core->set_path(std::move(path));
    if (!ec && !core->note_identity(ec)) {
        core->fd_.reset();
        remove_file(core->path_.native());
    }
    if (ec) {
        core->closed_ = core->deleted_ = true;
        return nullptr;
    }
    core->req_.kind = file_kind::named;
    core->watch_name();  // the hidden name, until committed or removed
    return core;
}

void file_core::commit(error_code& ec) {
    ec.clear();
    if (closed_ || !commit_to_ || !commit_place_) {
        ec.assign(EBADF, system_category());
        return;
    }
    if (write_error_) {  // the latch: the file may hold part of what was written
        ec = write_error_;
        return;
    }
    const target_place& place = *commit_place_;
    publish_request r = *commit_to_;
    // The data first: the replaced target's mode is read as late as it can be.
    if (!flush_buffer(ec)) return;
    if (!r.mode) {
        // The replaced target's mode, else what open(0666) would give. A
        // symbolic link is followed for its mode; one that leads nowhere
        // (dangling, a loop) is replaced like an absent target.
        struct stat st {};
        int res;
        do res = sys::fstatat(place.dir.get(), place.name.c_str(), &st, 0);
        while (res != 0 && errno == EINTR);
        if (res == 0)
            r.mode = st.st_mode & 07777;
        else if (errno == ENOENT || errno == ELOOP)
            r.mode = default_new_file_mode();
        else {
            ec = errno_code();
            return;
        }
    }
    publish_at(place, r, true, ec);
    if (closed_) commit_place_.reset();  // committed: the directory is no longer needed
}

}  // namespace tempio::detail
