// Creations as operations both drivers run: the unique-name steps
// (core/steps/create_steps.hpp), then what the caller receives. Written once:
// the pool driver runs the steps as blocking calls in one job, the io_uring
// driver as ring requests; cancellation and undo are the steps' own.
//
// An operation has: value_type; ring_ok() (its calls suit the ring: nothing
// to resolve by blocking first); next()/on_result() (the steps); cancel();
// finish_blocks() and finish(ec) (what the caller receives, after the steps;
// finish_blocks: it needs blocking calls, so the ring driver runs it on the
// pool); abandon() (the io_context is going away: undo, blocking, deliver
// nothing); and, when a result no one owns could be lost, undo_undelivered.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>

#include "backend/inline_level.hpp"
#include "core/create.hpp"
#include "core/directory_core.hpp"
#include "core/file_core.hpp"
#include "core/memory_fs.hpp"
#include "core/mode.hpp"
#include "core/os_error.hpp"
#include "core/remove_tree.hpp"
#include "core/steps/create_steps.hpp"
#include "core/tempdir.hpp"
#include "tempio/mkstemp.hpp"

#include <boost/asio/error.hpp>

namespace tempio::detail {

// The part every creation shares: resolve the names (lazily: on the pool the
// first search of gettempdir() probes, which blocks), run the steps, cancel.
class creation {
  public:
    static constexpr bool cancellable = true;
    static constexpr bool brief = true;  // the calls of one creation (job::brief)

    creation(create_what what, name_request&& names, int flags)
        : what_(what), names_(std::move(names)), flags_(flags) {}
    const name_request& names() const noexcept { return names_; }

    // The ring only when resolving the directory makes no system call (the
    // first gettempdir() search writes a probe file).
    bool ring_ok() const noexcept { return !names_.dir.empty() || tempdir_known(); }
    // On the calling thread when the directory is on a memory file system
    // (and resolving it blocks on nothing). Only TEMPIO_INLINE=on asks the
    // file system here; otherwise a directory not yet known is learned by
    // a creation that went to a worker (on_memory_fs_learned).
    bool inline_ok() {
        if (!ring_ok() || !resolve()) return false;
        const std::string& dir = steps_->directory();
        memory_fs_ = inline_dispatch_level() == inline_level::on ? on_memory_fs(dir)
                                                                 : known_on_memory_fs(dir);
        return memory_fs_;
    }
    // Whether the directory is on a memory file system, so that what was
    // made may close or be removed inline: inline_ok()'s answer, or asked
    // now (once per directory; on a worker, unless the ring driver finishes
    // this on the loop thread). Only after the steps made something.
    bool on_memory_fs_learned() const noexcept {
        return memory_fs_ || (inline_ops_enabled() && on_memory_fs(steps_->directory()));
    }

    syscall next() {
        if (!steps_ && !resolve()) return {};
        return steps_->next();
    }
    void on_result(int res) { steps_->on_result(res); }
    void cancel() noexcept {
        cancelled_ = true;
        if (steps_) steps_->cancel();
    }
    void abandon() noexcept {
        cancel();
        if (steps_) run_steps(*steps_);
    }

    bool made() const noexcept { return steps_ && steps_->made(); }
    // The error to report: the resolution's, the steps', or aborted.
    error_code error() const {
        if (prepare_ec_) return prepare_ec_;
        if (cancelled_) return net::error::operation_aborted;
        return steps_ ? steps_->error() : error_code();
    }
    create_steps& steps() noexcept { return *steps_; }
    // Nothing after the steps blocks (the file op's fallback is the exception).
    bool finish_blocks() const noexcept { return false; }

  private:
    bool resolve() {
        if (steps_) return true;
        if (prepare_ec_) return false;
        name_series series;
        if (!make_name_source(names_, series, prepare_ec_)) return false;
        steps_.emplace(what_, std::move(series), flags_);
        if (cancelled_) steps_->cancel();
        return true;
    }

    create_what what_;
    name_request names_;
    int flags_;
    std::optional<create_steps> steps_;
    error_code prepare_ec_;
    bool cancelled_ = false;
    bool memory_fs_ = false;
};

// A named or anonymous file (temporary_file, named_temporary_file).
class create_file_op {
  public:
    static constexpr bool cancellable = true;
    static constexpr bool brief = true;  // the calls of one creation (job::brief)
    using value_type = file_ptr;
    static constexpr bool undo_undelivered = false;  // the core deletes itself

    // `make()` returns the request, built here in place; its names move to
    // the creation (only the blocking fallback wants them back: finish).
    template <class MakeRequest>
    requires std::is_invocable_r_v<file_request, MakeRequest&> create_file_op(MakeRequest make,
                                                                              open_mode mode)
        : req_(make()),
          mode_(mode),
          create_(req_.kind == file_kind::named ? create_what::file : create_what::tmpfile,
                  std::move(req_.names), flags_of(req_, mode_)) {}

    // An anonymous file where O_TMPFILE is known to be refused goes straight
    // to the blocking fallback (file_core::create).
    bool ring_ok() const noexcept { return create_.ring_ok() && !fallback_only(); }
    bool inline_ok() { return !fallback_only() && create_.inline_ok(); }
    syscall next() { return fallback_only() ? syscall{} : create_.next(); }
    void on_result(int res) { create_.on_result(res); }
    void cancel() noexcept { create_.cancel(); }
    void abandon() noexcept { create_.abandon(); }

    // O_TMPFILE refused by this file system: file_core::create falls back
    // (create-then-unlink) and remembers it, blocking.
    bool finish_blocks() const noexcept {
        return fallback_only() || (!create_.made() && tmpfile_refused_here());
    }
    file_ptr finish(error_code& ec) {
        if (finish_blocks()) {
            req_.names = create_.names();
            return file_core::create(std::move(req_), ec);
        }
        if (!create_.made()) {
            ec = create_.error();
            return nullptr;
        }
        // adopt removes the file when it fails (the steps no longer can).
        req_.on_memory_fs = create_.on_memory_fs_learned();
        std::string path = create_.steps().take_path();
        return file_core::adopt(std::move(req_), mode_, unique_fd(create_.steps().release_fd()),
                                std::move(path), ec);
    }

  private:
    static int flags_of(const file_request& r, const open_mode& m) {
        int extra = m.append ? O_APPEND : 0;
        if (r.kind == file_kind::named) return unique_file_flags | extra;
        return (r.linkable ? linkable_file_flags : anonymous_file_flags) | extra;
    }
    bool fallback_only() const noexcept {
        return req_.kind != file_kind::named && tmpfile_unsupported();
    }
    bool tmpfile_refused_here() const noexcept {
        if (req_.kind == file_kind::named) return false;
        const error_code& e = create_.error();
        return e == os_error(EOPNOTSUPP) || e == os_error(EISDIR) || e == os_error(EINVAL);
    }

    file_request req_;
    open_mode mode_;
    creation create_;
};

// temporary_directory.
class create_directory_op : public creation {
  public:
    using value_type = directory_ptr;
    static constexpr bool undo_undelivered = false;  // the core removes itself

    explicit create_directory_op(directory_core::settings s)
        : creation(create_what::directory, std::move(s.names), 0), settings_(std::move(s)) {}

    directory_ptr finish(error_code& ec) {
        if (!made()) {
            ec = error();
            return nullptr;
        }
        // A copy of the path: when adopt throws, the steps remove the
        // directory (abandon).
        settings_.on_memory_fs = on_memory_fs_learned();
        return directory_core::adopt(std::move(settings_), steps().path());
    }

  private:
    directory_core::settings settings_;
};

// mkstemp: the caller owns the fd and the name.
class mkstemp_op : public creation {
  public:
    using value_type = mkstemp_result;
    static constexpr bool undo_undelivered = true;

    explicit mkstemp_op(name_request names)
        : creation(create_what::file, std::move(names), unique_file_flags) {}

    mkstemp_result finish(error_code& ec) {
        mkstemp_result r;
        ec = error();
        if (!made()) return r;
        r.path = path_of_utf8(steps().path());
        r.fd.reset(steps().release_fd());
        return r;
    }
    // Never delivered (the io_context was destroyed with it queued).
    static void undo(mkstemp_result& r) noexcept {
        r.fd.reset();
        if (!r.path.empty()) remove_file(utf8_of(r.path));
        r.path.clear();
    }
};

// mkdtemp: the caller owns the directory.
class mkdtemp_op : public creation {
  public:
    using value_type = std::filesystem::path;
    static constexpr bool undo_undelivered = true;

    explicit mkdtemp_op(name_request names)
        : creation(create_what::directory, std::move(names), 0) {}

    std::filesystem::path finish(error_code& ec) {
        ec = error();
        return made() ? path_of_utf8(steps().path()) : std::filesystem::path();
    }
    static void undo(std::filesystem::path& p) noexcept {
        try {
            if (!p.empty()) remove_tree(utf8_of(p));
        } catch (...) {  // out of memory: the name stays, nothing else is touched
        }
        p.clear();
    }
};

}  // namespace tempio::detail
