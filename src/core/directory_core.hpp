// The state of one temporary directory and its blocking operations.
#pragma once

#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "core/create.hpp"

namespace tempio::detail {

class directory_core {
  public:
    struct settings {
        name_request names;
        bool ignore_cleanup_errors = false;
        bool keep = false;
    };

    static std::shared_ptr<directory_core> create(settings s, error_code& ec);
    // A directory a backend created itself at `path`.
    static std::shared_ptr<directory_core> adopt(settings s, std::string path);
    // Removes the tree unless keep or already cleaned; never throws. Only in
    // the creating process: a forked child's copy leaves it alone.
    ~directory_core();

    const std::string& path() const noexcept { return path_; }
    // Removes the tree now (even with keep: an explicit request). Idempotent
    // once it succeeded; after a failure, a later call (or the destructor) retries.
    // The error names the first failing entry relative to the root.
    void cleanup(error_code& ec);
    const std::string& error_where() const noexcept { return where_; }
    // Removes the tree whatever the settings say (a cancelled creation).
    void discard() noexcept;

    // --- for a backend that makes the first rmdir itself (io_uring) ---
    bool cleaned() const noexcept { return cleaned_; }
    // The rmdir of the root succeeded (or found nothing): cleaned.
    void note_removed() noexcept { cleaned_ = true; }
    // cleanup() after the root's rmdir failed with `rmdir_errno`.
    void cleanup_after_rmdir(int rmdir_errno, error_code& ec);

  private:
    explicit directory_core(settings s);

    settings settings_;
    std::string path_;
    bool cleaned_ = false;
    int owner_pid_;
    std::string where_;  // the first cleanup error's entry, relative to the root
};

}  // namespace tempio::detail
