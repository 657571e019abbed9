// Where a publish lands (docs/publishing.md, "Where a target is"): a target
// is resolved by the kernel, as rename(2) resolves it, never as text. Each
// publishing operation is run against a table of targets on a small tree
// with symbolic links, and the same tree is given to rename(2) or
// renameat2(2) directly: the outcome (error or success) and the tree after
// must be the same, except where docs/publishing.md documents otherwise
// ("." and ".." and "" are invalid_argument; an exchange never swaps in
// something that is not a directory).
//
// The tree, in a fresh directory that is the current directory:
//   config            a file ("old")
//   plainfile         a file ("plain")
//   real/sub/         an empty directory
//   link -> real/sub
//   dangling -> nowhere
//   loop -> loop
//   tmp/              where the temporaries are made (left out of the comparison)
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/os_error.hpp"
#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr auto tuple = net::as_tuple(net::deferred);

error_code sys_error(int e) {
    return tempio::detail::os_error(e);
}

enum class kind { file, directory };
enum class how { replace, noclobber, exchange };

// One publishing operation: makes its temporary in `tmp`, holding "new" (a
// file) or a file "inside" (a directory), and publishes it to `target`.
using publish_fn = net::awaitable<error_code> (*)(fs::path tmp, fs::path target);

// What the operation needs of the platform (tempio/platform.hpp): where it
// is missing, the operation completes with operation_not_supported.
enum class needs { nothing, exchange, noclobber_directories };

bool platform_has(needs n) {
    switch (n) {
        case needs::exchange:
            return tempio::can_exchange_directories();
        case needs::noclobber_directories:
            return tempio::can_publish_directories_without_replacing();
        case needs::nothing:
            break;
    }
    return true;
}

struct operation {
    const char* name;
    kind what;
    how mode;
    publish_fn run;
    // atomic_file: the mode the published file gets (the replaced target's,
    // followed, else 0666 & ~umask), not the temporary's 0600.
    bool takes_target_mode = false;
    needs platform = needs::nothing;
};

net::awaitable<error_code> named_persist(fs::path tmp, fs::path target) {
    auto f = co_await tempio::named_temporary_file::async_create({.dir = tmp});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist(target, tuple);
    co_return ec;
}
net::awaitable<error_code> named_noclobber(fs::path tmp, fs::path target) {
    auto f = co_await tempio::named_temporary_file::async_create({.dir = tmp});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist_noclobber(target, tuple);
    co_return ec;
}
net::awaitable<error_code> anonymous_persist(fs::path tmp, fs::path target) {
    auto f = co_await tempio::temporary_file::async_create({.dir = tmp, .linkable = true});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist(target, tuple);
    co_return ec;
}
net::awaitable<error_code> anonymous_noclobber(fs::path tmp, fs::path target) {
    auto f = co_await tempio::temporary_file::async_create({.dir = tmp, .linkable = true});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist_noclobber(target, tuple);
    co_return ec;
}
net::awaitable<error_code> spooled_in_memory_persist(fs::path tmp, fs::path target) {
    auto f = co_await tempio::spooled_temporary_file::async_create({.dir = tmp});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist(target, tuple);
    co_return ec;
}
net::awaitable<error_code> spooled_rolled_over_persist(fs::path tmp, fs::path target) {
    auto f = co_await tempio::spooled_temporary_file::async_create({.max_size = 2, .dir = tmp});
    co_await f.async_write("new");
    auto [ec] = co_await f.async_persist(target, tuple);
    co_return ec;
}
net::awaitable<error_code> atomic_commit(fs::path, fs::path target) {
    auto [ec, f] = co_await tempio::atomic_file::async_create(target, tuple);
    if (ec) co_return ec;
    co_await f.async_write("new");
    auto [committed] = co_await f.async_commit(tuple);
    co_return committed;
}
net::awaitable<error_code> atomic_commit_noclobber(fs::path, fs::path target) {
    auto [ec, f] = co_await tempio::atomic_file::async_create(target, {.replace = false}, tuple);
    if (ec) co_return ec;
    co_await f.async_write("new");
    auto [committed] = co_await f.async_commit(tuple);
    co_return committed;
}
net::awaitable<error_code> write_atomically(fs::path, fs::path target) {
    auto [ec] = co_await tempio::async_write_file_atomically(target, "new", tuple);
    co_return ec;
}
net::awaitable<tempio::temporary_directory> directory_in(const fs::path& tmp) {
    auto d = co_await tempio::temporary_directory::async_create({.dir = tmp});
    spit(d.path() / "inside", "new");
    co_return d;
}
net::awaitable<error_code> directory_persist(fs::path tmp, fs::path target) {
    auto d = co_await directory_in(tmp);
    auto [ec] = co_await d.async_persist(target, tuple);
    co_return ec;
}
net::awaitable<error_code> directory_noclobber(fs::path tmp, fs::path target) {
    auto d = co_await directory_in(tmp);
    auto [ec] = co_await d.async_persist_noclobber(target, tuple);
    co_return ec;
}
net::awaitable<error_code> directory_exchange(fs::path tmp, fs::path target) {
    auto d = co_await directory_in(tmp);
    auto [ec] = co_await d.async_exchange(target, tuple);
    co_return ec;
}

const std::vector<operation>& operations() {
    static const std::vector<operation> ops = {
        {"named_temporary_file::async_persist", kind::file, how::replace, named_persist},
        {"named_temporary_file::async_persist_noclobber", kind::file, how::noclobber,
         named_noclobber},
        {"temporary_file::async_persist (linkable)", kind::file, how::replace, anonymous_persist,
         false, needs::nothing},
        {"temporary_file::async_persist_noclobber (linkable)", kind::file, how::noclobber,
         anonymous_noclobber, false, needs::nothing},
        {"spooled_temporary_file::async_persist (in memory)", kind::file, how::replace,
         spooled_in_memory_persist, false, needs::nothing},
        {"spooled_temporary_file::async_persist (rolled over)", kind::file, how::replace,
         spooled_rolled_over_persist, false, needs::nothing},
        {"atomic_file::async_commit", kind::file, how::replace, atomic_commit, true},
        {"atomic_file::async_commit (replace = false)", kind::file, how::noclobber,
         atomic_commit_noclobber, true},
        {"async_write_file_atomically", kind::file, how::replace, write_atomically, true},
        {"temporary_directory::async_persist", kind::directory, how::replace, directory_persist},
        {"temporary_directory::async_persist_noclobber", kind::directory, how::noclobber,
         directory_noclobber, false, needs::noclobber_directories},
        {"temporary_directory::async_exchange", kind::directory, how::exchange, directory_exchange,
         false, needs::exchange},
    };
    return ops;
}

const std::string name_255(255, 'n');
const std::string name_256(256, 'n');

// The targets, relative to the tree (made absolute where `absolute`).
struct target_case {
    std::string target;
    bool absolute = false;
    // Documented to differ from rename(2): the error tempio gives instead,
    // the tree left as it was.
    std::optional<int> documented = std::nullopt;
};

std::vector<target_case> target_cases(const operation& op) {
    std::vector<target_case> cases = {
        {"config"},
        {"absent"},
        {"config", true},
        {"./config"},
        {"real/../config"},  // no link on the way: text and kernel agree
        {"link/../config"},  // link -> real/sub: real/config, never ./config
        {"link/x"},
        {"link"},  // the link itself is replaced, never followed
        {"dangling"},
        {"loop"},
        {"loop/x"},
        {"dangling/x"},
        {"plainfile/x"},
        {"missing/x"},
        {"plainfile/"},
        {"absent/"},
        {"real/sub"},
        {"real/sub/"},
        {"link/"},
        {"real//sub/../config"},
        {name_255},
        {"real/" + name_255},
        {name_256},
        {".", false, EINVAL},
        {"..", false, EINVAL},
        {"real/..", false, EINVAL},
        {"real/.", false, EINVAL},
        {"", false, EINVAL},
    };
    if (op.mode == how::exchange) {
        // RENAME_EXCHANGE swaps any two names; async_exchange swaps back
        // and refuses what is not a directory.
        for (auto& c : cases)
            if (c.target == "config" || c.target == "./config" || c.target == "link" ||
                c.target == "dangling" || c.target == "loop" || c.target == "plainfile/" ||
                c.target == "link/" || c.target == "real/../config" || c.target == name_255)
                c.documented = ENOTDIR;
    }
    return cases;
}

// The tree above, in `root`.
void make_tree(const fs::path& root) {
    fs::create_directory(root);
    spit(root / "config", "old");
    ::chmod((root / "config").c_str(), 0640);
    spit(root / "plainfile", "plain");
    fs::create_directories(root / "real" / "sub");
    fs::create_directory_symlink("real/sub", root / "link");
    fs::create_symlink("nowhere", root / "dangling");
    fs::create_symlink("loop", root / "loop");
    fs::create_directory(root / "tmp");
    // The 255-byte name exists for the replace cases at the top level.
    spit(root / name_255, "old");
}

// Everything below `dir` without following links (tree_snapshot's iterator
// asks the status of a looping link, and throws): relative path -> mode and
// link target or content.
void snapshot(const fs::path& dir, const fs::path& rel, std::map<std::string, std::string>& out) {
    for (const auto& e : fs::directory_iterator(dir)) {
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        std::string v = std::to_string(st.st_mode) + ":";
        if (S_ISLNK(st.st_mode)) v += fs::read_symlink(e.path()).string();
        if (S_ISREG(st.st_mode)) v += slurp(e.path());
        out[(rel / e.path().filename()).string()] = v;
        if (S_ISDIR(st.st_mode)) snapshot(e.path(), rel / e.path().filename(), out);
    }
}

// The tree without the temporaries' directory.
std::map<std::string, std::string> visible(const fs::path& root) {
    std::map<std::string, std::string> snap;
    snapshot(root, {}, snap);
    for (auto it = snap.begin(); it != snap.end();)
        it = it->first == "tmp" || it->first.rfind("tmp/", 0) == 0 ? snap.erase(it) : std::next(it);
    return snap;
}

// What open(O_CREAT, 0666) gives here.
mode_t default_file_mode() {
    mode_t mask = ::umask(0);
    ::umask(mask);
    return 0666 & ~mask;
}

// rename(2) / renameat2(2) of a temporary made like the operation's to the
// same target, in the current directory: the errno (0: success).
int kernel_publish(const operation& op, const std::string& target) {
    if (op.what == kind::file) {
        spit("tmp/src", "new");
        mode_t mode = 0600;
        if (op.takes_target_mode) {
            struct stat st {};
            mode = ::stat(target.c_str(), &st) == 0 ? st.st_mode & 07777 : default_file_mode();
        }
        ::chmod("tmp/src", mode);
    } else {
        fs::create_directory("tmp/src");
        ::chmod("tmp/src", 0700);
        spit("tmp/src/inside", "new");
    }
    unsigned flags = op.mode == how::noclobber  ? RENAME_NOREPLACE
                     : op.mode == how::exchange ? RENAME_EXCHANGE
                                                : 0;
    int r = ::renameat2(AT_FDCWD, "tmp/src", AT_FDCWD, target.c_str(), flags);
    return r == 0 ? 0 : errno;
}

class publish_paths : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        char buf[4096];
        ASSERT_NE(::getcwd(buf, sizeof buf), nullptr);
        cwd_ = buf;
    }
    void TearDown() override {
        EXPECT_EQ(::chdir(cwd_.c_str()), 0);
        test_dir::TearDown();
    }
    fs::path cwd_;
};

}  // namespace

TEST_F(publish_paths, every_operation_lands_where_rename_would) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    int round = 0;
    for (const auto& op : operations()) {
        if (!platform_has(op.platform)) {
            // Not here: a clear refusal that changes nothing.
            SCOPED_TRACE(std::string(op.name) + ": not on this platform");
            const fs::path mine = dir_ / "unsupported";
            make_tree(mine);
            const auto before = visible(mine);
            error_code ec = tempio::run([&]() -> net::awaitable<error_code> {
                co_return co_await op.run(mine / "tmp", mine / "absent");
            });
            EXPECT_EQ(ec, net::error::operation_not_supported) << ec.message();
            EXPECT_EQ(visible(mine), before);
            EXPECT_TRUE(fs::is_empty(mine / "tmp"));
            fs::remove_all(mine);
            continue;
        }
        for (const auto& c : target_cases(op)) {
            SCOPED_TRACE(std::string(op.name) + " to \"" + c.target + "\"" +
                         (c.absolute ? " (absolute)" : ""));
            const fs::path mine = dir_ / ("t" + std::to_string(round));
            const fs::path kernels = dir_ / ("k" + std::to_string(round));
            ++round;
            make_tree(mine);
            make_tree(kernels);
            const auto before = visible(mine);

            ASSERT_EQ(::chdir(kernels.c_str()), 0);
            std::string kt = c.absolute ? (kernels / c.target).string() : c.target;
            int kernel_errno = c.documented ? 0 : kernel_publish(op, kt);

            ASSERT_EQ(::chdir(mine.c_str()), 0);
            fs::path target = c.absolute ? mine / c.target : fs::path(c.target);
            error_code ec = tempio::run([&]() -> net::awaitable<error_code> {
                co_return co_await op.run(mine / "tmp", target);
            });
            ASSERT_EQ(::chdir(cwd_.c_str()), 0);

            if (c.documented) {
                EXPECT_EQ(ec, sys_error(*c.documented)) << ec.message();
                EXPECT_EQ(visible(mine), before) << "a refused target changed the tree";
            } else {
                EXPECT_EQ(ec, sys_error(kernel_errno))
                    << "tempio: " << ec.message() << "; rename(2): " << std::strerror(kernel_errno);
                EXPECT_EQ(visible(mine), visible(kernels));
            }
            EXPECT_TRUE(fs::is_empty(mine / "tmp")) << "a temporary was left";
            fs::remove_all(mine);
            fs::remove_all(kernels);
            if (HasFailure()) return;  // one case at a time: the first says most
        }
    }
}

TEST_F(publish_paths, a_target_with_a_nul_byte_is_invalid_and_changes_nothing) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    make_tree(dir_ / "t");
    const auto before = visible(dir_ / "t");
    const fs::path target = dir_ / "t" / std::string("con\0fig", 7);
    for (const auto& op : operations()) {
        SCOPED_TRACE(op.name);
        error_code ec = tempio::run([&]() -> net::awaitable<error_code> {
            co_return co_await op.run(dir_ / "t" / "tmp", target);
        });
        EXPECT_EQ(ec, sys_error(EINVAL)) << ec.message();
        EXPECT_EQ(visible(dir_ / "t"), before);
        EXPECT_TRUE(fs::is_empty(dir_ / "t" / "tmp"));
    }
}

// Occupies a worker until *go.
net::awaitable<void> hold_a_worker(std::atomic<bool>* go) {
    auto hold = [go] {
        while (!go->load()) ::usleep(200);
    };
    co_await tempio::async_run_blocking(hold);
}

template <class Publish>
net::awaitable<void> publish_then_count(Publish publish, error_code* out, int* left) {
    auto [ec] = co_await publish(tuple);
    *out = ec;
    --*left;
}

// The current directory of a relative target is the one when the operation
// is initiated, even when its job runs after a chdir (the workers busy
// until then).
TEST_F(publish_paths, a_relative_target_is_relative_to_the_directory_current_at_initiation) {
    const fs::path first = dir_ / "first", second = dir_ / "second", tmp = dir_ / "tmp";
    fs::create_directory(first);
    fs::create_directory(second);
    fs::create_directory(tmp);
    ASSERT_EQ(::chdir(first.c_str()), 0);
    error_code results[5];
    // Outside the coroutine: the workers' jobs that were still queued when
    // it finished read it after (tempio::run waits for them).
    std::atomic<bool> go{false};
    tempio::run([&]() -> net::awaitable<void> {
        auto ex = co_await net::this_coro::executor;
        auto named = co_await tempio::named_temporary_file::async_create({.dir = tmp});
        co_await named.async_write("named");
        auto anonymous =
            co_await tempio::temporary_file::async_create({.dir = tmp, .linkable = true});
        co_await anonymous.async_write("anonymous");
        auto directory = co_await tempio::temporary_directory::async_create({.dir = tmp});
        auto atomic = co_await tempio::atomic_file::async_create("atomic");  // resolved here
        co_await atomic.async_write("atomic");

        const unsigned busy = 4 * std::max(1u, std::thread::hardware_concurrency());
        for (unsigned i = 0; i < busy; ++i) net::co_spawn(ex, hold_a_worker(&go), net::detached);
        int left = 4;
        auto persist_named = [&](auto token) { return named.async_persist("named", token); };
        auto persist_anonymous = [&](auto token) {
            return anonymous.async_persist("anonymous", token);
        };
        auto persist_directory = [&](auto token) {
            return directory.async_persist("directory", token);
        };
        auto write_whole = [&](auto token) {
            return tempio::async_write_file_atomically("whole", "whole", token);
        };
        net::co_spawn(ex, publish_then_count(persist_named, &results[0], &left), net::detached);
        net::co_spawn(ex, publish_then_count(persist_anonymous, &results[1], &left), net::detached);
        net::co_spawn(ex, publish_then_count(persist_directory, &results[2], &left), net::detached);
        net::co_spawn(ex, publish_then_count(write_whole, &results[3], &left), net::detached);
        // Let them all be initiated (each waits for a worker now), then
        // change the current directory before any job runs.
        co_await net::post(ex, net::use_awaitable);
        co_await net::post(ex, net::use_awaitable);
        EXPECT_EQ(::chdir(second.c_str()), 0);
        go = true;
        auto [committed] = co_await atomic.async_commit(tuple);
        results[4] = committed;
        net::steady_timer wait(ex);
        while (left != 0) {
            wait.expires_after(std::chrono::milliseconds(1));
            co_await wait.async_wait(net::use_awaitable);
        }
    });
    for (const auto& ec : results) EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(slurp(first / "named"), "named");
    EXPECT_EQ(slurp(first / "anonymous"), "anonymous");
    EXPECT_TRUE(fs::is_directory(first / "directory"));
    EXPECT_EQ(slurp(first / "whole"), "whole");
    EXPECT_EQ(slurp(first / "atomic"), "atomic");
    EXPECT_TRUE(fs::is_empty(second)) << "published where the directory was changed to";
}

// The audit's case: from victim/sub, an exchange with ".." swapped the
// directories and then removed what came back, the whole victim tree.
// rename(2) says EBUSY; tempio refuses "." and ".." outright.
TEST_F(publish_paths, an_exchange_with_dot_dot_is_refused_and_removes_nothing) {
    const fs::path victim = dir_ / "victim", elsewhere = dir_ / "elsewhere";
    fs::create_directories(victim / "sub");
    fs::create_directory(elsewhere);
    spit(victim / "precious", "keep");
    spit(victim / "sub" / "precious", "keep");
    const auto before = visible(victim);
    ASSERT_EQ(::chdir((victim / "sub").c_str()), 0);
    for (const char* target : {"..", ".", "../sub/..", "./."}) {
        SCOPED_TRACE(target);
        error_code ec = tempio::run([&]() -> net::awaitable<error_code> {
            co_return co_await directory_exchange(elsewhere, target);
        });
        EXPECT_EQ(ec, sys_error(EINVAL)) << ec.message();
        EXPECT_EQ(visible(victim), before);
        EXPECT_TRUE(fs::is_empty(elsewhere)) << "the temporary was left";
    }
}
