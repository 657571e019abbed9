// atomic_file (file_core::create_atomic, commit): a file made in the target's
// directory, published over it by commit in two phases (file_publish.cpp),
// taking what preserve asks of the file it replaces (DESIGN section 12).

#include <cerrno>

#include "core/create.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

using boost::system::system_category;

error_code errno_code() {
    return os_error(errno != 0 ? errno : EIO);
}

}  // namespace

std::shared_ptr<file_core> file_core::create_atomic(file_request req, publish_request to,
                                                    error_code& ec) {
    open_mode mode;
    if ((ec = parse_mode(req.mode, mode))) return nullptr;
    // A new, empty file replaces the target: appending to the old content
    // cannot be promised, and a file that cannot be written is of no use.
    if (mode.append || !mode.writable) {
        ec = os_error(EINVAL);
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
    if (ec && ec != os_error(EOPNOTSUPP)) {
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

bool file_core::take_from_target(const target_place& place, publish_request& r, error_code& ec) {
    const bool want_mode = !r.mode && r.preserve_mode;
    if (!want_mode && !r.preserve_owner && !r.preserve_xattrs) {
        if (!r.mode) r.mode = default_new_file_mode();
        return true;
    }
    // The replaced target, a symbolic link followed (one that leads nowhere,
    // dangling or a loop, is replaced like an absent target).
    sys::file_stat st{};
    int res;
    do res = sys::fstatat(place.dir.get(), place.name.c_str(), &st, 0);
    while (res != 0 && errno == EINTR);
    if (res != 0) {
        if (errno != ENOENT && errno != ELOOP) {
            ec = errno_code();
            return false;
        }
        if (!r.mode) r.mode = default_new_file_mode();
        return true;
    }
    // The owner first: a chown clears the set-user-ID and set-group-ID
    // bits, which the chmod of phase one then sets as the target had them.
    if (r.preserve_owner && (st.st_uid != ::geteuid() || st.st_gid != ::getegid())) {
        int done = sys::fchown(fd_.get(), st.st_uid, st.st_gid);
        if (done != 0 && errno == EPERM)  // not privileged: the group, if we are in it
            done = sys::fchown(fd_.get(), static_cast<uid_t>(-1), st.st_gid);
        if (done != 0 && (r.preserve_strictly || errno != EPERM)) {
            ec = errno_code();
            return false;
        }
    }
    if (r.preserve_xattrs &&
        !platform::copy_extended_attributes(place.dir.get(), place.name.c_str(), fd_.get(),
                                            r.preserve_strictly, ec))
        return false;
    if (!r.mode) r.mode = want_mode ? st.st_mode & 07777 : default_new_file_mode();
    return true;
}

bool file_core::prepare_commit(publish_request& r, prepared& p, error_code& ec) {
    ec.clear();
    if (closed_ || !commit_to_ || !commit_place_) {
        ec = os_error(EBADF);
        return false;
    }
    if (write_error_) {  // the latch: the file may hold part of what was written
        ec = write_error_;
        return false;
    }
    r = *commit_to_;
    // The data first: the replaced target is read as late as it can be.
    return flush_buffer(ec) && take_from_target(*commit_place_, r, ec) &&
           prepare_publish(*commit_place_, r, p, ec);
}

bool file_core::finish_commit(const publish_request& r, prepared& p, bool sync_dir,
                              error_code& ec) {
    if (!name_into_place(*commit_place_, r, p, ec)) return false;
    published(*commit_place_, true, sync_dir, ec);
    return true;
}

void file_core::commit(error_code& ec) {
    publish_request r;
    prepared p;
    if (!prepare_commit(r, p, ec)) return;
    finish_commit(r, p, r.durable, ec);
    if (closed_) commit_place_.reset();  // committed: the directory is no longer needed
}

}  // namespace tempio::detail
