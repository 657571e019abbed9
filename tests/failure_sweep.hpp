// The failure sweep's harness, shared by failure_sweep_test.cpp (blocking
// core) and failure_sweep_async_test.cpp (the async API on the worker pool).
//
// A sweep runs one operation once to count its system calls (through the
// seam, src/core/sys.hpp), checks the count against the documented sequence,
// then runs it again for every k = 1..N and every errno the k-th call can
// really return, with exactly that call failing. The body (one per
// operation) builds its objects, brackets the operation with arm()/disarm(),
// asserts the outcome with expect_outcome(), checks the object is still
// usable or cleanly closed, and destroys everything. The harness then
// asserts that the injection happened, that the test directory is empty and
// that /proc/self/fd is as before.
//
// sweep_short does the same with short results instead of errors: every read
// and write of the sequence in turn does about half of what it asked, in
// each fault_kind (the position moved, left in place as io_uring leaves it,
// or left in place and the next read or write failing). The body then
// checks that what was counted is what is on disk (or was read from it).
#pragma once

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/names.hpp"
#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "support/test_dir.hpp"
#include "tempio/config.hpp"

namespace tempio::test {

// What each kind of call the core makes can really fail with, and which of
// those errors the core absorbs (retries, or treats as done).
struct call_kind {
    std::vector<int> errnos;
    std::set<int> absorbed;
};

inline const std::map<std::string, call_kind>& call_kinds() {
    static const std::map<std::string, call_kind> kinds = {
        // openat(O_CREAT|O_EXCL) on a fresh name: EEXIST draws a new name.
        {"open_unique",
         {{EACCES, EMFILE, ENFILE, ENOSPC, EDQUOT, EIO, EROFS, EINTR, EEXIST}, {EINTR, EEXIST}}},
        // openat(dir, O_TMPFILE).
        {"open_tmpfile", {{EACCES, EMFILE, ENFILE, ENOSPC, EDQUOT, EIO, EROFS, EINTR}, {EINTR}}},
        {"mkdir_unique",
         {{EACCES, EMLINK, ENOSPC, EDQUOT, EIO, EROFS, EINTR, EEXIST}, {EINTR, EEXIST}}},
        {"write", {{EIO, ENOSPC, EDQUOT, EFBIG, EINTR}, {EINTR}}},
        {"writev", {{EIO, ENOSPC, EDQUOT, EFBIG, EINTR}, {EINTR}}},
        {"read", {{EIO, EINTR}, {EINTR}}},
        {"pread", {{EIO, EINTR}, {EINTR}}},
        {"lseek", {{EINVAL, EOVERFLOW}, {}}},
        {"ftruncate", {{EIO, EFBIG, EPERM, EINTR}, {EINTR}}},
        // Linux releases the descriptor even when close fails; EINTR means closed.
        {"close", {{EIO, ENOSPC, EDQUOT, EINTR}, {EINTR}}},
        // unlink: EINTR retried.
        {"unlink", {{EACCES, EPERM, EBUSY, EIO, EROFS, EINTR}, {EINTR}}},
        {"getcwd", {{ENOENT, EACCES}, {}}},
        // The identity of a named file: fstat at creation, fstatat of the
        // name before deleting it (a name that is no longer ours is left).
        {"fstat", {{EIO, ENOMEM}, {}}},
        {"fstatat", {{EACCES, EIO, ENOMEM, EINTR}, {EINTR}}},
        {"fsync", {{EIO, ENOSPC, EDQUOT, EINTR}, {EINTR}}},
        // The gettempdir probe: an unusable candidate is skipped, not retried.
        {"probe_open", {{EACCES, EMFILE, ENOSPC, EIO, EROFS, EINTR, EEXIST}, {EINTR, EEXIST}}},
        {"probe_write", {{EIO, ENOSPC, EDQUOT, EINTR}, {}}},
        {"probe_close", {{EIO, ENOSPC, EINTR}, {EINTR}}},
        {"probe_unlink", {{EACCES, EPERM, EBUSY, EIO, EROFS, EINTR}, {EINTR}}},
        // The tree remover (src/core/remove_tree.cpp): its exact sequence
        // depends on the tree, so every call gets the errors any of its
        // calls (openat, fstat, readdir, unlinkat, fchmod, close) can return.
        {"remove_tree", {{EIO, EACCES, EMFILE, ENOMEM, EPERM, EINTR}, {}}},
        // ---- publishing (src/core/publish.cpp, file_publish.cpp) ----
        // fchmod of the file or directory before it is published.
        {"fchmod", {{EPERM, EROFS, EIO, EINTR}, {EINTR}}},
        // The data on stable storage before the rename or link (durable).
        {"fdatasync", {{EIO, ENOSPC, EDQUOT, EINTR}, {EINTR}}},
        // renameat2 over the target (replace).
        {"rename",
         {{EACCES, EPERM, EBUSY, EIO, ENOSPC, EDQUOT, EROFS, EXDEV, EMLINK, EINTR}, {EINTR}}},
        // renameat2(RENAME_NOREPLACE) of a named file: EINVAL (no such flag
        // on this file system) takes link + unlink instead.
        {"rename_noreplace",
         {{EACCES, EPERM, EBUSY, EIO, ENOSPC, EDQUOT, EROFS, EXDEV, EEXIST, EINVAL, EINTR},
          {EINTR, EINVAL}}},
        // The same for a directory: no fallback, EINVAL is reported.
        {"rename_noreplace_dir",
         {{EACCES, EPERM, EBUSY, EIO, ENOSPC, EDQUOT, EROFS, EXDEV, EEXIST, EINVAL, EINTR},
          {EINTR}}},
        {"rename_exchange",
         {{EACCES, EPERM, EBUSY, EIO, EROFS, EXDEV, ENOENT, EINVAL, EINTR}, {EINTR}}},
        // linkat(fd, "", AT_EMPTY_PATH) of an O_TMPFILE to a hidden name
        // (replace: EEXIST draws another name), or to the target
        // (noclobber: EEXIST is the answer). EPERM and ENOENT (no
        // CAP_DAC_READ_SEARCH) take /proc/self/fd/N instead.
        {"link_hidden",
         {{EACCES, EPERM, ENOENT, EIO, ENOSPC, EDQUOT, EMLINK, EROFS, EXDEV, EEXIST, EINTR},
          {EINTR, EEXIST, EPERM, ENOENT}}},
        {"link_target",
         {{EACCES, EPERM, ENOENT, EIO, ENOSPC, EDQUOT, EMLINK, EROFS, EXDEV, EEXIST, EINTR},
          {EINTR, EPERM, ENOENT}}},
        // The same through /proc/self/fd/N (AT_SYMLINK_FOLLOW), where
        // AT_EMPTY_PATH is refused.
        {"link_proc_hidden",
         {{EACCES, EPERM, ENOENT, EIO, ENOSPC, EDQUOT, EMLINK, EROFS, EXDEV, EEXIST, EINTR},
          {EINTR, EEXIST}}},
        {"link_proc_target",
         {{EACCES, EPERM, ENOENT, EIO, ENOSPC, EDQUOT, EMLINK, EROFS, EXDEV, EEXIST, EINTR},
          {EINTR}}},
        // open(O_PATH|O_DIRECTORY) of the target's parent, as written (its
        // leading components followed as rename(2) follows them), at the
        // start of a publish or of an atomic_file; closed (close_dir) when
        // done.
        {"open_parent",
         {{EACCES, ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EMFILE, ENFILE, ENOMEM, EINTR}, {EINTR}}},
        // open(O_DIRECTORY) of the directory to fsync or fchmod.
        {"open_dir", {{EACCES, EMFILE, ENFILE, ENOMEM, EIO, EINTR}, {EINTR}}},
        // Closing that directory descriptor: nothing to report.
        {"close_dir", {{EIO, EINTR}, {EIO, EINTR}}},
        // A durable directory publish flushes the tree (src/core/sync_tree.cpp):
        // fdopendir and readdir of each directory, open, fsync and close of
        // each file, fsync then closedir ("close_dir") of each directory.
        {"fdopendir", {{ENOMEM}, {}}},
        {"readdir", {{EIO, ENOENT}, {}}},
        {"open_sync_file", {{EACCES, EMFILE, ENFILE, ENOMEM, EIO, EINTR}, {EINTR}}},
        {"close_synced", {{EIO, EINTR}, {EIO, EINTR}}},
        // The identity of a file published without ever having had a name:
        // learned for the record (fstat), its failure harmless.
        {"fstat_identity", {{EIO, ENOMEM}, {EIO, ENOMEM}}},
        // async_exchange: the type of what came back (not a directory, or
        // unknown: swapped back). EINTR retried.
        {"stat_exchanged", {{EACCES, EIO, ENOMEM, EINTR}, {EINTR}}},
        // Closing a discarded temporary (abandon): nothing to report.
        {"close_discard", {{EIO, ENOSPC, EDQUOT, EINTR}, {EIO, ENOSPC, EDQUOT, EINTR}}},
        // rmdir of the (empty) tree an exchange replaced; refusals the tree
        // remover works around (EACCES, EPERM, EINTR) are absorbed.
        // statx of a directory an anonymous file is made in, once some file
        // system refused O_TMPFILE; ENOSYS (a kernel before 4.11): nothing
        // learned, O_TMPFILE is tried.
        {"statx", {{EACCES, EIO, ENOMEM, ENOSYS}, {ENOSYS}}},
        {"rmdir_exchanged", {{EACCES, EPERM, EBUSY, EIO, EROFS, EINTR}, {EACCES, EPERM, EINTR}}},
    };
    return kinds;
}

inline const char* errno_name(int e) {
    switch (e) {
        case EACCES:
            return "EACCES";
        case EMFILE:
            return "EMFILE";
        case ENFILE:
            return "ENFILE";
        case ENOSPC:
            return "ENOSPC";
        case EDQUOT:
            return "EDQUOT";
        case EIO:
            return "EIO";
        case EROFS:
            return "EROFS";
        case EINTR:
            return "EINTR";
        case EEXIST:
            return "EEXIST";
        case EMLINK:
            return "EMLINK";
        case EFBIG:
            return "EFBIG";
        case EINVAL:
            return "EINVAL";
        case EOVERFLOW:
            return "EOVERFLOW";
        case EPERM:
            return "EPERM";
        case EBUSY:
            return "EBUSY";
        case ENOENT:
            return "ENOENT";
        case ENOMEM:
            return "ENOMEM";
        case EXDEV:
            return "EXDEV";
        case ENOTEMPTY:
            return "ENOTEMPTY";
        case ENOTDIR:
            return "ENOTDIR";
        case EOPNOTSUPP:
            return "EOPNOTSUPP";
        case ENOSYS:
            return "ENOSYS";
        case ELOOP:
            return "ELOOP";
        case ENAMETOOLONG:
            return "ENAMETOOLONG";
        default:
            return "?";
    }
}

// Totals for one test program, printed at exit by sweep_report.
struct sweep_totals {
    std::set<std::string> operations;
    unsigned long injected = 0;
    unsigned long runs = 0;
};
inline sweep_totals& totals() {
    static sweep_totals t;
    return t;
}

class sweep_report : public ::testing::Environment {
  public:
    explicit sweep_report(const char* what) : what_(what) {}
    void TearDown() override {
        std::cout << "[failure sweep] " << what_ << ": " << totals().operations.size()
                  << " operations covered, " << totals().runs << " runs, " << totals().injected
                  << " failures injected" << std::endl;
    }

  private:
    const char* what_;
};

class sweep_fixture : public test_dir {
  protected:
    using fault_kind = detail::sys::fault_kind;
    struct injection {
        unsigned long k = 0;  // 0: the counting run
        std::string call;
        int err = 0;
        fault_kind kind = fault_kind::error;
    };

    void SetUp() override {
        test_dir::SetUp();
        // The first name drawn on a thread seeds the generator (getrandom):
        // draw one now so that it does not count.
        std::string warm;
        tempio::detail::append_random_name(warm);
    }
    void TearDown() override {
        detail::sys::disarm_fault();
        test_dir::TearDown();
    }

    // Bracket the operation under test.
    void arm() {
        ASSERT_FALSE(armed_) << "arm() twice";
        armed_ = true;
        if (inj_.k == 0)
            detail::sys::arm_fault(0, 0);  // count only
        else if (inj_.kind != fault_kind::error)
            detail::sys::arm_short(inj_.k, inj_.kind, inj_.err);
        else
            detail::sys::arm_fault(inj_.k, inj_.err);
    }
    void disarm() {
        counted_ = detail::sys::call_count();
        detail::sys::disarm_fault();
        armed_ = false;
    }

    bool injecting() const { return inj_.k != 0; }
    // The injected error, if any, is absorbed by the core (retried, or
    // meaning "done"): the operation must succeed. A short result is not an
    // error; only the one after short_then_error's short result is.
    bool absorbed() const {
        if (!injecting()) return true;
        if (inj_.kind != fault_kind::error) return inj_.kind != fault_kind::short_then_error;
        return call_kinds().at(inj_.call).absorbed.count(inj_.err) != 0;
    }
    bool must_fail() const { return !absorbed(); }
    int err() const { return inj_.err; }
    const injection& current() const { return inj_; }
    // Was the failing call one of these (by position in the sequence)?
    bool failed_at(unsigned long k) const { return injecting() && inj_.k == k; }

    // Success when absorbed; otherwise exactly the injected error.
    void expect_outcome(const error_code& ec) {
        if (must_fail())
            EXPECT_EQ(ec, tempio::detail::os_error(inj_.err))
                << "expected the injected " << errno_name(inj_.err) << ", got " << ec.message();
        else
            EXPECT_FALSE(ec) << ec.message();
    }

    // `calls`: the documented system-call sequence of the operation (names
    // from call_kinds()). A single name "remove_tree" means "any number of
    // calls of the tree remover".
    template <class Body>
    void sweep(const std::string& op, const std::vector<std::string>& calls, Body body) {
        SCOPED_TRACE("operation: " + op);
        const auto fds = open_fds();
        const bool open_ended = calls.size() == 1 && calls[0] == "remove_tree";
        inj_ = {};
        body();
        ASSERT_FALSE(armed_);
        const unsigned long n = counted_;
        if (open_ended)
            ASSERT_GT(n, 0u);
        else
            ASSERT_EQ(n, calls.size()) << op << " made another number of system calls";
        ASSERT_TRUE(entries(dir_).empty()) << op << " (no failure) left something";
        ASSERT_EQ(open_fds(), fds);
        unsigned long injected = 0;
        for (unsigned long k = 1; k <= n; ++k) {
            const std::string& call = open_ended ? calls[0] : calls[k - 1];
            for (int e : call_kinds().at(call).errnos) {
                inj_ = {k, call, e};
                SCOPED_TRACE("call " + std::to_string(k) + " of " + std::to_string(n) + " (" +
                             call + ") fails with " + errno_name(e));
                const auto before = detail::sys::faults().injected.load();
                body();
                EXPECT_FALSE(armed_);
                EXPECT_EQ(detail::sys::faults().injected.load() - before, 1u)
                    << "the failure was not injected exactly once";
                EXPECT_EQ(entries(dir_), std::vector<std::string>{}) << "left behind";
                EXPECT_EQ(open_fds(), fds) << "descriptors leaked";
                std::error_code ignored;
                for (const auto& name : entries(dir_))
                    std::filesystem::remove_all(dir_ / name, ignored);
                ++injected;
                ++totals().runs;
                if (::testing::Test::HasFatalFailure()) return;
            }
        }
        inj_ = {};
        totals().operations.insert(op);
        totals().injected += injected;
        std::cout << "[sweep] " << op << ": " << n << " system calls, " << injected
                  << " failures injected" << std::endl;
    }

    static bool reads_or_writes(const std::string& call) {
        return call == "read" || call == "pread" || call == "write" || call == "writev";
    }

    // `calls` as for sweep(); each read or write in it is made short in
    // turn, in each fault_kind (short_then_error: the next read or write
    // fails with EIO, a write with ENOSPC). A call that cannot be short (at
    // the end of the file, under 2 bytes) injects nothing; some call of the
    // sequence must.
    template <class Body>
    void sweep_short(const std::string& op, const std::vector<std::string>& calls, Body body) {
        SCOPED_TRACE("operation: " + op);
        const auto fds = open_fds();
        inj_ = {};
        body();
        ASSERT_FALSE(armed_);
        const unsigned long n = counted_;
        ASSERT_EQ(n, calls.size()) << op << " made " << n << " system calls";
        ASSERT_TRUE(entries(dir_).empty()) << op << " (no failure) left something";
        ASSERT_EQ(open_fds(), fds);
        unsigned long injected = 0;
        for (unsigned long k = 1; k <= n; ++k) {
            const std::string& call = calls[k - 1];
            if (!reads_or_writes(call)) continue;
            for (fault_kind kind : {fault_kind::short_moving, fault_kind::short_in_place,
                                    fault_kind::short_then_error}) {
                inj_ = {k, call, call.find("read") != std::string::npos ? EIO : ENOSPC, kind};
                SCOPED_TRACE("call " + std::to_string(k) + " of " + std::to_string(n) + " (" +
                             call + ") short, " + short_kind_name(kind));
                const auto before = detail::sys::faults().injected.load();
                body();
                EXPECT_FALSE(armed_);
                const auto made = detail::sys::faults().injected.load() - before;
                EXPECT_LE(made, 1u) << "more than one short result";
                EXPECT_EQ(entries(dir_), std::vector<std::string>{}) << "left behind";
                EXPECT_EQ(open_fds(), fds) << "descriptors leaked";
                std::error_code ignored;
                for (const auto& name : entries(dir_))
                    std::filesystem::remove_all(dir_ / name, ignored);
                injected += made;
                ++totals().runs;
                if (::testing::Test::HasFatalFailure()) return;
            }
        }
        inj_ = {};
        EXPECT_GT(injected, 0u) << op << ": no call could be made short";
        totals().operations.insert(op);
        totals().injected += injected;
        std::cout << "[sweep] " << op << ": " << n << " system calls, " << injected
                  << " short results injected" << std::endl;
    }

    bool short_result() const { return injecting() && inj_.kind != fault_kind::error; }
    static const char* short_kind_name(fault_kind kind) {
        switch (kind) {
            case fault_kind::short_moving:
                return "the position moved";
            case fault_kind::short_in_place:
                return "the position left in place";
            case fault_kind::short_then_error:
                return "then the next read or write fails";
            default:
                return "an error";
        }
    }

  private:
    injection inj_;
    bool armed_ = false;
    unsigned long counted_ = 0;
};

}  // namespace tempio::test
