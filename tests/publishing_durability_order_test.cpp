// Durability order (DESIGN section 8): with `durable`, the file's data is
// fdatasync'ed before the rename or link that publishes it, and the target's
// directory is fsync'ed after it. Checked on the system calls themselves:
// this test runs its own binary (/proc/self/exe) under
//   strace -f -e trace=fdatasync,fsync,rename,renameat,renameat2,linkat,openat
// with a filter selecting the helper below, which does one durable
// atomic_file commit and one durable persist of a named file (and nothing
// unless TEMPIO_STRACE_HELPER_DIR is set, so in normal runs it passes at
// once). strace is a test dependency (scripts/deps.sh): missing, the test
// fails and says so.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "support/strace.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;

namespace {

constexpr const char* helper_env = "TEMPIO_STRACE_HELPER_DIR";
constexpr const char* helper_test = "publishing_durability_order_helper.*";

class publishing_durability_order : public tempio::test::test_dir {};

std::string in_quotes(const std::string& s) {
    return "\"" + s + "\"";
}

// The first call at or after `from` whose text matches `re`, or nullopt.
std::optional<std::size_t> find_call(const std::vector<std::string>& calls, const std::regex& re,
                                     std::size_t from = 0, std::smatch* m = nullptr) {
    for (std::size_t i = from; i < calls.size(); ++i) {
        std::smatch local;
        if (std::regex_search(calls[i], m ? *m : local, re)) return i;
    }
    return std::nullopt;
}

std::string regex_escape(const std::string& s) {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex_replace(s, special, R"(\$&)");
}

using tempio::test::have_strace;
using tempio::test::read_text;
using tempio::test::read_trace;

// Runs this binary's helper under strace; returns its exit status.
int run_helper_under_strace(const fs::path& work, const fs::path& trace, const fs::path& log) {
    return tempio::test::run_self_under_strace(
        helper_test, helper_env, work, "fdatasync,fsync,rename,renameat,renameat2,linkat,openat",
        trace, log);
}

struct order {
    std::optional<std::size_t> datasync, publish, dir_open, dir_sync;
};

// The target's directory is opened once (O_PATH, as written) and every
// publishing call names the target relative to that descriptor: the
// publishing regexes capture it (group 1).
//
// In `calls`, from `from`: fdatasync(fd), then the call publishing it
// (`publish_re`), then an open of the directory through that descriptor
// (itself an O_PATH open of `dir`) and an fsync of what it opened.
order find_order(const std::vector<std::string>& calls, std::size_t from, int fd,
                 const std::regex& publish_re, const std::string& dir) {
    order o;
    std::smatch pm;
    o.publish = find_call(calls, publish_re, from, &pm);
    if (!o.publish) return o;
    const std::string dirfd = pm[1].str();
    // fdatasync, or fsync when permissions are set (fdatasync need not
    // write the mode): atomic_file commits with the replaced target's mode.
    const std::regex datasync("^f(data)?sync\\(" + std::to_string(fd) + "\\)");
    for (std::size_t i = from; i < *o.publish; ++i)
        if (std::regex_search(calls[i], datasync)) o.datasync = i;
    // That descriptor is `dir` (an open of it as a directory, O_PATH on
    // Linux, before the publish, that returned it).
    const std::regex path_open("^openat\\(AT_FDCWD, " + regex_escape(in_quotes(dir)) +
                               ", [^)]*O_DIRECTORY[^)]*\\) = " + dirfd + "$");
    bool dir_is_target = false;
    for (std::size_t i = 0; i < *o.publish; ++i)
        if (std::regex_search(calls[i], path_open)) dir_is_target = true;
    EXPECT_TRUE(dir_is_target) << "descriptor " << dirfd << " is not an open of " << dir;
    std::smatch m;
    const std::regex open_dir("^openat\\(" + dirfd +
                              ", \"\\.\", O_RDONLY\\|[^)]*O_DIRECTORY[^)]*\\) = ([0-9]+)");
    o.dir_open = find_call(calls, open_dir, *o.publish, &m);
    if (!o.dir_open) return o;
    const std::regex dir_sync("^fsync\\(" + m[1].str() + "\\)");
    o.dir_sync = find_call(calls, dir_sync, *o.dir_open);
    return o;
}

void expect_in_order(const order& o, const std::string& what, const std::vector<std::string>& calls,
                     const std::string& trace_text) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(o.publish) << "no publishing call found\n" << trace_text;
    ASSERT_TRUE(o.datasync) << "no fdatasync of the file before " << calls[*o.publish] << "\n"
                            << trace_text;
    ASSERT_TRUE(o.dir_open) << "the directory is not opened after " << calls[*o.publish] << "\n"
                            << trace_text;
    ASSERT_TRUE(o.dir_sync) << "no fsync of the directory after " << calls[*o.publish] << "\n"
                            << trace_text;
    EXPECT_LT(*o.datasync, *o.publish);
    EXPECT_LT(*o.publish, *o.dir_sync);
    auto head = [&](std::size_t i) { return calls[i].substr(0, calls[i].find('(')); };
    std::cout << "[order] " << what << ": " << head(*o.datasync) << " #" << *o.datasync << " < "
              << head(*o.publish) << " #" << *o.publish << " < " << head(*o.dir_sync) << " #"
              << *o.dir_sync << std::endl;
}

}  // namespace

// The helper: does nothing unless run by the test below.
TEST(publishing_durability_order_helper, one_durable_commit_and_one_durable_persist) {
    const char* env = std::getenv(helper_env);
    if (env == nullptr) return;
    const fs::path work = env;
    std::ofstream marks(work / "marks");
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::atomic_file::async_create(work / "committed");  // durable
        co_await f.async_write("committed content");
        marks << "atomic " << f.descriptor() << std::endl;
        co_await f.async_commit();

        auto g = co_await tempio::named_temporary_file::async_create({.dir = work});
        co_await g.async_write("persisted content");
        marks << "named " << g.descriptor() << " " << g.path().string() << std::endl;
        co_await g.async_persist(work / "persisted", {.durable = true});
        co_await g.async_close();
    });
}

TEST_F(publishing_durability_order,
       fdatasync_before_the_rename_or_link_and_fsync_of_the_directory_after) {
    if (!tempio::test::can_trace_system_calls()) GTEST_SKIP() << "no strace on this platform";
    ASSERT_TRUE(have_strace())
        << "strace is not installed: this test needs it (scripts/deps.sh installs it; on "
           "Debian: apt-get install strace)";
    const fs::path work = dir_ / "work";
    fs::create_directory(work);
    const fs::path trace = dir_ / "trace", log = dir_ / "log";
    int status = run_helper_under_strace(work, trace, log);
    const std::string trace_text = read_text(trace);
    const std::string log_text = read_text(log);
    ASSERT_EQ(status, 0) << "strace or the helper failed:\n" << log_text;
    ASSERT_NE(log_text.find("[       OK ] publishing_durability_order_helper"), std::string::npos)
        << log_text;

    int atomic_fd = -1, named_fd = -1;
    std::string named_path;
    {
        std::ifstream in(work / "marks");
        std::string word;
        while (in >> word) {
            if (word == "atomic") in >> atomic_fd;
            if (word == "named") in >> named_fd >> named_path;
        }
    }
    ASSERT_GE(atomic_fd, 0);
    ASSERT_GE(named_fd, 0);
    const auto calls = read_trace(trace);
    const std::string dir = work.string();

    // atomic_file: O_TMPFILE linked to ".committed.XXXXXXXX", renamed over
    // the target (or, without O_TMPFILE, its hidden file renamed), both
    // relative to the target's directory, opened when the file was made.
    const std::string hidden = "\\.committed\\.[a-z0-9_]{8}\"";
    const std::regex hidden_rename("^renameat2?\\((?:[0-9]+, \"|AT_FDCWD, \"" +
                                   regex_escape(dir + "/") + ")" + hidden + ", ([0-9]+), " +
                                   regex_escape(in_quotes("committed")));
    const std::regex link_of_fd("^linkat\\((?:" + std::to_string(atomic_fd) +
                                ", \"\"|AT_FDCWD, \"/proc/self/fd/" + std::to_string(atomic_fd) +
                                "\"), ([0-9]+), \"" + hidden);
    auto link = find_call(calls, link_of_fd);
    if (link) {
        order o = find_order(calls, 0, atomic_fd, link_of_fd, dir);
        expect_in_order(o, "atomic_file commit: fdatasync < linkat", calls, trace_text);
        auto rename = find_call(calls, hidden_rename, *link);
        ASSERT_TRUE(rename) << trace_text;
        EXPECT_LT(*rename, *o.dir_sync) << "the directory is synced after the rename";
        o.publish = rename;
        expect_in_order(o, "atomic_file commit: rename < fsync(dir)", calls, trace_text);
    } else {
        order o = find_order(calls, 0, atomic_fd, hidden_rename, dir);
        expect_in_order(o, "atomic_file commit (hidden file)", calls, trace_text);
    }

    // named_temporary_file::async_persist: its name renamed over the target.
    auto committed = find_call(calls, hidden_rename);
    ASSERT_TRUE(committed);
    const std::regex persist_rename("^renameat2?\\(AT_FDCWD, " +
                                    regex_escape(in_quotes(named_path)) + ", ([0-9]+), " +
                                    regex_escape(in_quotes("persisted")));
    order p = find_order(calls, *committed + 1, named_fd, persist_rename, dir);
    expect_in_order(p, "named file persist", calls, trace_text);
}
