// Publishing and atomic_file: each operation is one job on the pool, whatever
// the backend (a few dependent system calls with nothing to overlap: the
// ring would add submissions, not concurrency), or, in a directory on a
// memory file system and with no other operation in flight, the same calls
// on the calling thread (backend/inline_driver.hpp). Cancellable before the
// job starts; once it runs it completes, never half-published.
#include "async/blocking_op.hpp"
#include "backend/inline_driver.hpp"
#include "core/directory_core.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/os_error.hpp"
#include "core/publish.hpp"
#include "tempio/detail/file_engine.hpp"
#include "tempio/temporary_directory.hpp"

namespace tempio::detail {
namespace {

error_code ebadf() {
    return os_error(EBADF);
}

// Copies the target and pins the current directory for a relative one, here
// on the initiating thread (docs/publishing.md: "copied when the operation
// is initiated"); resolved by the job (open_target).
publish_request request_of(const publish_spec& s, error_code& ec) {
    publish_request r;
    r.target = s.target.utf8();
    r.base = pin_current_directory(r.target, ec);
    r.how = s.how == publish_how::noclobber  ? publish_mode::noclobber
            : s.how == publish_how::exchange ? publish_mode::exchange
                                             : publish_mode::replace;
    r.durable = s.durable;
    if (s.permissions) r.mode = static_cast<mode_t>(*s.permissions) & 07777;
    r.across_file_systems = s.across_file_systems;
    return r;
}

file_request file_request_of(const atomic_spec& s) {
    file_request r;
    r.mode = std::string(s.mode);
    r.buffer_size = s.buffering;
    r.learns_memory_fs = inline_writes_enabled();
    return r;
}

// Whether the target's directory is known (no statfs here, on the calling
// thread) to be on a memory file system: a textual guess, only to choose
// where the job runs; file_core::create_atomic resolves the target and
// learns it for the commit.
bool target_known_on_memory_fs(const publish_request& to) {
    std::string dir = target_directory_hint(to.target);
    return !dir.empty() && known_on_memory_fs(dir);
}

publish_request commit_request_of(const atomic_spec& s, error_code& ec) {
    publish_spec spec{.target = s.target,
                      .how = s.replace ? publish_how::replace : publish_how::noclobber,
                      .durable = s.durable,
                      .permissions = s.permissions};
    publish_request r = request_of(spec, ec);
    r.preserve_mode = s.preserve.mode;
    r.preserve_owner = s.preserve.owner;
    r.preserve_xattrs = s.preserve.xattrs;
    r.preserve_strictly = s.preserve.strict;
    return r;
}

}  // namespace

const std::filesystem::path& public_path_of(const file_core* f) {
    static const std::filesystem::path none;
    return f ? f->public_path() : none;
}

std::filesystem::path keep_file(file_core* f) {
    return f ? std::filesystem::path(f->keep()) : std::filesystem::path();
}

void start_publish(const file_ptr& f, const publish_spec& spec, handler<> h) {
    if (!f) return complete_soon(std::move(h), ebadf());
    error_code ec;
    publish_request r = request_of(spec, ec);
    if (ec) return complete_soon(std::move(h), ec);
    run_blocking<void>(std::move(h), [f, r = std::move(r)](error_code& ec, const auto&) {
        f->publish(r, false, ec);
    });
}

void start_create_atomic(const atomic_spec& spec, handler<file_ptr> h) {
    error_code pinned;
    auto to = commit_request_of(spec, pinned);
    if (pinned) return complete_soon(std::move(h), pinned, file_ptr());
    bool memory_fs = target_known_on_memory_fs(to);
    run_blocking_or_inline<file_ptr>(
        memory_fs, std::move(h),
        [req = file_request_of(spec), to = std::move(to)](
            error_code& ec, const std::atomic<bool>& cancelled) mutable {
            auto core = file_core::create_atomic(std::move(req), std::move(to), ec);
            if (core && cancelled.load()) {  // nobody wants it now
                core->discard();
                core.reset();
                ec = net::error::operation_aborted;
            }
            return core;
        });
}

// The file is moved into the work, which is destroyed before a coroutine
// resumed at once runs (the coroutine may destroy the file).
void start_commit(file_ptr f, handler<> h) {
    if (!f) return complete_soon(std::move(h), ebadf());
    bool memory_fs = f->on_memory_fs();
    run_blocking_or_inline<void>(
        memory_fs, std::move(h),
        [f = std::move(f)](error_code& ec, const auto&) { f->commit(ec); });
}

void start_abandon(file_ptr f, handler<> h) {
    if (!f) return complete_soon(std::move(h), error_code());
    // Never cancelled, like close: it is what releases the temporary.
    bool memory_fs = f->on_memory_fs();
    run_blocking_or_inline<void>(
        memory_fs, std::move(h),
        [f = std::move(f)](error_code& ec, const auto&) { ec = f->discard(); }, cancellable::no);
}

void start_write_file_atomically(const atomic_spec& spec, std::string data, handler<> h) {
    error_code pinned;
    auto to = commit_request_of(spec, pinned);
    if (pinned) return complete_soon(std::move(h), pinned);
    bool memory_fs = target_known_on_memory_fs(to);
    run_blocking_or_inline<void>(memory_fs, std::move(h),
                                 [req = file_request_of(spec), to = std::move(to),
                                  data = std::move(data)](error_code& ec, const auto&) mutable {
                                     auto core = file_core::create_atomic(std::move(req),
                                                                          std::move(to), ec);
                                     if (!core) return;
                                     core->write(data.data(), data.size(), ec);
                                     if (!ec) core->commit(ec);
                                     if (ec) core->discard();
                                 });
}

// ---- groups (core/group_publish.cpp) ----------------------------------------

namespace {

std::vector<file_ptr> lock_all(const std::vector<std::weak_ptr<file_core>>& files) {
    std::vector<file_ptr> cores;
    cores.reserve(files.size());
    for (const auto& f : files) cores.push_back(f.lock());  // null: EBADF in the core
    return cores;
}

}  // namespace

void start_commit_all(std::vector<std::weak_ptr<file_core>> files, handler<std::size_t> h) {
    run_blocking<std::size_t>(std::move(h), [cores = lock_all(files)](error_code& ec, const auto&) {
        return file_core::commit_all(cores, ec);
    });
}

void start_persist_all(std::vector<std::weak_ptr<file_core>> files,
                       std::vector<std::string> targets, publish_options o, bool noclobber,
                       handler<std::size_t> h) {
    std::vector<publish_request> requests;
    requests.reserve(targets.size());
    error_code ec;
    for (const std::string& target : targets) {
        publish_spec spec =
            make_publish_spec(target, o, noclobber ? publish_how::noclobber : publish_how::replace);
        requests.push_back(request_of(spec, ec));
        if (ec) return complete_soon(std::move(h), ec, std::size_t(0));
    }
    run_blocking<std::size_t>(
        std::move(h),
        [cores = lock_all(files), requests = std::move(requests)](error_code& ec, const auto&) {
            return file_core::publish_all(cores, requests, ec);
        });
}

// ---- temporary_directory -------------------------------------------------

const std::filesystem::path& public_path_of(const directory_core* d) {
    static const std::filesystem::path none;
    return d ? d->public_path() : none;
}

std::filesystem::path keep_directory(directory_core* d) {
    return d ? std::filesystem::path(d->keep()) : std::filesystem::path();
}

void start_publish_directory(const directory_ptr& d, const publish_spec& spec, handler<> h) {
    if (!d) return complete_soon(std::move(h), ebadf());
    error_code ec;
    publish_request r = request_of(spec, ec);
    if (ec) return complete_soon(std::move(h), ec);
    run_blocking<void>(std::move(h),
                       [d, r = std::move(r)](error_code& ec, const auto&) { d->publish(r, ec); });
}

}  // namespace tempio::detail
