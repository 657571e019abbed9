// The state of one temporary directory and its blocking operations.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "core/create.hpp"
#include "core/on_demand_path.hpp"
#include "core/publish.hpp"
#include "core/signal_cleanup.hpp"

namespace tempio::detail {

class directory_core;
using directory_ptr = std::shared_ptr<directory_core>;

class directory_core {
  public:
    struct settings {
        name_request names;
        bool ignore_cleanup_errors = false;
        bool keep = false;
        // On a memory file system (core/memory_fs.hpp): the root's rmdir may
        // run on the calling thread.
        bool on_memory_fs = false;
    };

    static std::shared_ptr<directory_core> create(settings s, error_code& ec);
    // A directory a backend created itself at `path`. Throws std::bad_alloc
    // (the caller removes the directory: finish_or_undo).
    static std::shared_ptr<directory_core> adopt(settings s, std::string path);
    // Removes the tree unless keep or already cleaned; never throws. Only in
    // the creating process: a forked child's copy leaves it alone.
    ~directory_core();

    const std::string& path() const noexcept { return path_.native(); }
    bool on_memory_fs() const noexcept { return settings_.on_memory_fs; }
    // path() as the public headers hand it out (made on first request).
    // Throws std::bad_alloc.
    const std::filesystem::path& public_path() const { return path_.public_path(); }
    // Stop removing it (Rust's keep()).
    const std::string& keep() noexcept {
        settings_.keep = true;
        name_watch_.reset();  // the user's now: not removed on a signal
        return path_.native();
    }
    // Publishing (core/publish.hpp): rename into place (replace: the target
    // absent or an empty directory; noclobber; exchange: swap with an existing
    // directory, whose old tree is then removed by the secure cleanup). Once
    // renamed the object refers to the target and keeps it; before that,
    // failure changes nothing.
    void publish(const publish_request& r, error_code& ec);
    // Writes `data` to a new file `name` (one component: not empty, ".",
    // ".." or with '/' or NUL: EINVAL) in the directory, opened without
    // following a link there; created O_EXCL|O_NOFOLLOW (EEXIST when the
    // name exists), mode 0666 & ~umask. On failure the partial file is
    // removed. ENOENT after cleanup; after a publish, in the published
    // directory (which is the caller's then).
    void write_file(const std::string& name, const std::string& data, error_code& ec);
    // Removes the tree now (even with keep: an explicit request). Idempotent
    // once it succeeded; after a failure, a later call (or the destructor) retries.
    // The error names the first failing entry relative to the root.
    void cleanup(error_code& ec);
    const std::string& error_where() const noexcept { return where_; }
    // Removes the tree whatever the settings say (a cancelled creation).
    void discard() noexcept;

    // --- for a driver that makes the first rmdir itself (ops/file_io_ops.hpp) ---
    // Nothing left to clean: removed already, or published (the object then
    // refers to the target, which is not a temporary any more).
    bool cleaned() const noexcept { return cleaned_ || published_; }
    // Left in place at the end: the keep option, keep(), or published.
    bool kept() const noexcept { return settings_.keep; }
    // The rmdir of the root succeeded (or found nothing): cleaned.
    void note_removed() noexcept {
        cleaned_ = true;
        name_watch_.reset();
    }
    // cleanup() after the root's rmdir failed with `rmdir_errno`.
    void cleanup_after_rmdir(int rmdir_errno, error_code& ec);

  private:
    explicit directory_core(settings s);

    void set_path(std::string path);

    settings settings_;
    on_demand_path path_;  // path() and, for the headers, public_path()
    bool cleaned_ = false;
    bool published_ = false;
    unsigned generation_;  // fork_generation() of the creating process
    std::string where_;    // the first cleanup error's entry, relative to the root
    // The tree, registered for removal on a signal (core/signal_cleanup.hpp)
    // while it is ours to remove.
    signal_cleanup::registered_name name_watch_;
};

#if TEMPIO_TEST_SEAM
// The next directory_core::adopt throws std::bad_alloc (a directory made
// whose state cannot be).
void fail_next_directory_core() noexcept;
#endif

}  // namespace tempio::detail
