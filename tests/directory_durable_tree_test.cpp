// A durable directory publish flushes the whole tree (docs/publishing.md,
// "Durability"): every regular file and every subdirectory, depth first,
// then the directory itself, all before the rename, and the target's
// directory after it. For a tree of N files and M subdirectories: N+M+1
// fsyncs before the rename, one after, no fdatasync; symbolic links and
// FIFOs are neither followed nor synced.
//
// Counted on the system calls themselves: the test runs its own binary
// under `strace -f -e trace=fsync,fdatasync,renameat2,...` with a filter
// selecting the helper below (which does nothing unless
// TEMPIO_TREE_HELPER_DIR is set), as publishing_durability_order_test does.
// And through the system-call seam: whichever call of the publish fails,
// before the rename nothing is published and the tree stays the
// temporary's own.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "core/os_error.hpp"
#include "core/sys.hpp"
#include "support/files.hpp"
#include "support/strace.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr const char* helper_env = "TEMPIO_TREE_HELPER_DIR";
constexpr auto tuple = net::as_tuple(net::deferred);

// N = 4 files, M = 3 subdirectories (one empty), plus what is never synced:
// a symbolic link to a file, one to a directory, and a FIFO.
constexpr unsigned tree_files = 4;
constexpr unsigned tree_subdirs = 3;

void make_tree(const fs::path& root) {
    spit(root / "a", "a");
    spit(root / "b", "b");
    fs::create_directories(root / "sub1" / "sub2");
    spit(root / "sub1" / "c", "c");
    spit(root / "sub1" / "sub2" / "d", "d");
    fs::create_directory(root / "empty");
    fs::create_symlink("a", root / "link_to_file");
    fs::create_directory_symlink("sub1", root / "link_to_dir");
    ASSERT_EQ(::mkfifo((root / "fifo").c_str(), 0600), 0);
}

void expect_tree(const fs::path& root) {
    EXPECT_EQ(slurp(root / "a"), "a");
    EXPECT_EQ(slurp(root / "b"), "b");
    EXPECT_EQ(slurp(root / "sub1" / "c"), "c");
    EXPECT_EQ(slurp(root / "sub1" / "sub2" / "d"), "d");
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(root / "empty")));
    EXPECT_TRUE(fs::is_symlink(root / "link_to_file"));
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(root / "fifo")));
}

class directory_durable_tree : public tempio::test::test_dir {};

// The helper: one durable persist of the tree, nothing else that syncs.
TEST(directory_durable_tree_helper, publish) {
    const char* where = std::getenv(helper_env);
    if (where == nullptr) GTEST_SKIP() << "run by directory_durable_tree.strace_counts";
    const fs::path dir = where;
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir});
        make_tree(d.path());
        tempio::publish_options o{.durable = true};
        co_await d.async_persist(dir / "target", o);
    });
}

TEST_F(directory_durable_tree, strace_counts) {
    if (!tempio::test::can_trace_system_calls()) GTEST_SKIP() << "no strace on this platform";
    if (!tempio::test::have_strace()) FAIL() << "strace is a test dependency (scripts/deps.sh)";
    const fs::path work = dir_ / "work";
    fs::create_directory(work);
    const fs::path trace = dir_ / "trace";
    const fs::path log = dir_ / "log";
    int status = tempio::test::run_self_under_strace(
        "directory_durable_tree_helper.*", helper_env, work,
        "fsync,fdatasync,sync_file_range,rename,renameat,renameat2", trace, log);
    ASSERT_EQ(status, 0) << slurp(log);
    expect_tree(work / "target");

    // Calls in the order they were entered; a call strace split around
    // another thread's ("<unfinished ...>") is counted where it began.
    std::ifstream in(trace);
    std::string line;
    static const std::regex entered(R"(^\s*[0-9]+\s+([a-z_0-9]+)\()");
    unsigned before = 0, after = 0, datasyncs = 0, renames = 0;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, entered)) continue;  // "<... resumed>", exits
        const std::string call = m[1].str();
        if (call == "fsync")
            ++(renames == 0 ? before : after);
        else if (call == "fdatasync" || call == "sync_file_range")
            ++datasyncs;
        else if (line.find("\"target\"") != std::string::npos)
            ++renames;
    }
    EXPECT_EQ(renames, 1u) << slurp(trace);
    EXPECT_EQ(before, tree_files + tree_subdirs + 1) << slurp(trace);
    EXPECT_EQ(after, 1u) << slurp(trace);
    EXPECT_EQ(datasyncs, 0u);
    fs::remove_all(work);
}

// Every call of the durable publish fails in turn (EIO): before the rename
// the error is reported and nothing is published; after it (the parent's
// fsync), the error is reported and the tree is at the target.
TEST_F(directory_durable_tree, a_failed_flush_publishes_nothing) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    namespace sys = tempio::detail::sys;
    const fs::path target = dir_ / "target";
    unsigned long counted = 0;
    auto attempt = [&](unsigned long k, error_code& ec, bool& published) {
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            const fs::path temp = d.path();
            make_tree(temp);
            tempio::publish_options o{.durable = true};
            sys::arm_fault(k, EIO);
            auto [e] = co_await d.async_persist(target, o, tuple);
            counted = sys::call_count();
            sys::disarm_fault();
            ec = e;
            published = d.path() == target;
            if (published) {
                EXPECT_FALSE(fs::exists(fs::symlink_status(temp)));
                expect_tree(target);
            } else {
                EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << "published something";
                expect_tree(temp);  // still the temporary's own, whole
            }
        });  // the object goes: an unpublished temporary is removed
        fs::remove_all(target);
    };
    error_code ec;
    bool published = false;
    attempt(0, ec, published);
    const unsigned long calls = counted;
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(published);
    unsigned refused = 0;
    for (unsigned long k = 1; k <= calls; ++k) {
        SCOPED_TRACE("call " + std::to_string(k) + " of " + std::to_string(calls));
        attempt(k, ec, published);
        if (!published) {
            EXPECT_EQ(ec, tempio::detail::os_error(EIO));
            ++refused;
        }
        EXPECT_EQ(tempio::test::entries(dir_), std::vector<std::string>{}) << "left behind";
    }
    // At least every fsync before the rename refused the publish.
    EXPECT_GE(refused, tree_files + tree_subdirs + 1);
}

}  // namespace
