// file_core::publish: a temporary file given its final name (DESIGN section 8).
// Named files are renamed; anonymous and rolled-over ones linked (O_TMPFILE
// without O_EXCL, so no temporary name ever appears); a spooled file still in
// memory is first written to a new such file in the target's directory.
// Failure changes nothing; success makes the object refer to the target and
// never delete it.

#include <cerrno>

#include "core/create.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/os_error.hpp"
#include "core/signal_cleanup.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

error_code errno_code() {
    return os_error(errno != 0 ? errno : EIO);
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
                ec = w < 0 ? errno_code() : os_error(EIO);
                return false;
            }
            done += w;
        }
        off += n;
    }
}

}  // namespace

file_core::prepared::~prepared() {
    fresh.reset();
    if (!fresh_path.empty()) remove_file(fresh_path);  // not published: ours to remove
}

// A hidden ".<name>.XXXXXXXX" file in the target's directory, filled by
// `fill`, with the request's mode and sync: what phase two renames into
// place. On failure nothing of it is left.
template <class Fill>
bool file_core::copy_beside(const target_place& target, const publish_request& r, Fill fill,
                            prepared& p, error_code& ec) {
    const name_request names{hidden_prefix_for(target.name), "", target.dir_path};
    p.fresh = create_unique_file(names, mode_.append ? O_APPEND : 0, p.fresh_path, ec);
    if (ec) return false;
    p.watch.watch(p.fresh_path, signal_cleanup::name_kind::file);  // until renamed or removed
    if (fill(p.fresh.get(), ec) && prepare_fd(p.fresh.get(), r, ec)) return true;
    p.fresh.reset();
    remove_file(p.fresh_path);
    p.fresh_path.clear();
    p.watch.reset();
    return false;
}

// This file's data, copied beside a target on another file system
// (publish_options::across_file_systems): by the file system where it can
// (a clone, copy_file_range), else read and written.
bool file_core::copy_across(const target_place& target, const publish_request& r, prepared& p,
                            error_code& ec) {
    auto fill = [&](int to, error_code& e) {
        int done = platform::copy_by_file_system(fd_.get(), to);
        if (done < 0) e = errno_code();
        if (done != 0) return done > 0;
        return copy_data(fd_.get(), to, e);
    };
    if (!copy_beside(target, r, fill, p, ec)) return false;
    p.replaces_source = true;
    return true;
}

bool file_core::prepare_publish(const target_place& target, const publish_request& r, prepared& p,
                                error_code& ec) {
    if (in_memory_) {
        // A new linkable file in the target's directory, published whole;
        // where none can be made (no anonymous files on this platform or
        // file system: docs/platforms.md), a hidden named copy.
        if (platform::anonymous_files) {
            name_request here{req_.names.prefix, req_.names.suffix, target.dir_path};
            bool linkable = false;
            p.fresh = create_anonymous_file(here, mode_.append ? O_APPEND : 0, ec, &linkable);
            if (ec) return false;
            if (linkable)
                return mem_.copy_to(p.fresh.get(), ec) && prepare_fd(p.fresh.get(), r, ec);
            p.fresh.reset();
        }
        auto fill = [&](int fd, error_code& e) { return mem_.copy_to(fd, e); };
        return copy_beside(target, r, fill, p, ec);
    }
    if (path_.empty() && !linkable_) {
        // Opened O_TMPFILE|O_EXCL: the kernel refuses to give it a name
        // (temporary_file::options::linkable).
        if (req_.kind == file_kind::anonymous && !req_.linkable) {
            ec = os_error(EPERM);
            return false;
        }
        // Created and unlinked (no anonymous files on this platform or file
        // system): published as a copy, on its own file system only (as a
        // link would be: EXDEV), unless a copy across is asked for.
        if (!r.across_file_systems) {
            sys::file_stat mine{}, there{};
            if (sys::fstat(fd_.get(), &mine) == 0 && sys::fstat(target.dir.get(), &there) == 0 &&
                mine.st_dev != there.st_dev) {
                ec = os_error(EXDEV);
                return false;
            }
        }
        if (!flush_buffer(ec)) return false;
        auto fill = [&](int fd, error_code& e) { return copy_data(fd_.get(), fd, e); };
        return copy_beside(target, r, fill, p, ec);
    }
    if (!flush_buffer(ec)) return false;
    if (r.across_file_systems) {
        // Known before any name changes, so that a group copies (and syncs)
        // in phase one; a rename that still meets EXDEV copies late.
        sys::file_stat mine{}, there{};
        if (sys::fstat(fd_.get(), &mine) == 0 && sys::fstat(target.dir.get(), &there) == 0 &&
            mine.st_dev != there.st_dev)
            return copy_across(target, r, p, ec);
    }
    bool sync_failed = false;
    if (!prepare_fd(fd_.get(), r, ec, &sync_failed)) {
        // A failed sync may have dropped the written pages (Linux marks
        // them clean): latched, as the sync of async_sync is.
        if (sync_failed) note_write_error(ec);
        return false;
    }
    return true;
}

bool file_core::name_into_place(const target_place& target, const publish_request& r, prepared& p,
                                error_code& ec) {
    const error_code exdev = os_error(EXDEV);
    if (!p.fresh) {
        if (!path_.empty()) {
            ec = rename_into_place(path_.native(), target, r.how, false);
        } else {
            std::string hidden;
            ec = link_into_place(fd_.get(), target, r.how, &hidden);
            if (ec && !hidden.empty()) {
                // Linked under a hidden name, but the rename over the target
                // failed. Removing that name would make the file impossible
                // to publish ever again (an O_TMPFILE is linkable once): it
                // stays, as this file's temporary name, deleted like a named
                // temporary's (close, or the end of the object), and a
                // second publish renames it.
                set_path(std::move(hidden));
                deleted_ = false;
                error_code ignored;  // unknown: the name is then removed unchecked
                note_identity(ignored);
                watch_name();
                return false;
            }
        }
        if (ec != exdev || !r.across_file_systems) return !ec;
        // Another file system that the devices did not tell (a bind mount).
        ec.clear();
        if (!copy_across(target, r, p, ec)) return false;
    }
    const bool linked = p.fresh_path.empty();
    if (!linked) {
        if ((ec = rename_into_place(p.fresh_path, target, r.how, false))) return false;
        p.fresh_path.clear();  // published: no longer ours to remove
        p.watch.reset();
    } else if ((ec = link_into_place(p.fresh.get(), target, r.how))) {
        return false;
    }
    if (in_memory_) {
        linkable_ = linked;
        leave_memory(std::move(p.fresh));
        return true;
    }
    if (sys::lseek(p.fresh.get(), static_cast<off_t>(kpos_), SEEK_SET) < 0) pos_known_ = false;
    fd_ = std::move(p.fresh);  // the original goes: unnamed, or named and removed now
    if (p.replaces_source && !path_.empty()) {
        ec = remove_name();  // published; a name left behind is reported
        if (!ec) deleted_ = true;
    }
    return true;
}

void file_core::publish_at(const target_place& target, const publish_request& r, bool close_after,
                           error_code& ec) {
    prepared p;
    if (!prepare_publish(target, r, p, ec) || !name_into_place(target, r, p, ec)) return;
    published(target, close_after, r.durable, ec);
}

void file_core::leave_memory(unique_fd fd) noexcept {
    fd_ = std::move(fd);
    kpos_ = mem_.position();
    pos_known_ = true;
    in_memory_ = false;
    mem_.release();
}

void file_core::published(const target_place& target, bool close_after, bool sync_dir,
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
    if (sync_dir) {  // published; durability reported
        error_code synced = sync_directory(target);
        if (!ec) ec = synced;
    }
    if (close_after) {
        error_code closing;
        close(closing);
        if (!ec) ec = closing;
    }
}

bool file_core::publishable(const publish_request& r, error_code& ec) const {
    if (closed_) {
        ec = os_error(EBADF);
        return false;
    }
    if (write_error_) {  // the latch: the file may hold part of what was written
        ec = write_error_;
        return false;
    }
    if (r.how == publish_mode::exchange) {
        ec = os_error(EINVAL);  // directories only
        return false;
    }
    return true;
}

void file_core::publish(const publish_request& r, bool close_after, error_code& ec) {
    ec.clear();
    target_place place;
    if (!publishable(r, ec) || !open_target(r, false, place, ec)) return;
    publish_at(place, r, close_after, ec);
}

}  // namespace tempio::detail
