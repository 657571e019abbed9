// Failure sweep over publishing (DESIGN section 8): persist and noclobber of
// named, linkable anonymous and spooled files (in memory and rolled over),
// directory persist/noclobber/exchange, atomic_file create/commit/abandon and
// async_write_file_atomically, through the async API. Every system call of
// each fails in turn with every error it can really return (the harness,
// failure_sweep.hpp).
//
// Expected: a failure before the file gets its name (the rename or link)
// changes nothing: the target is as it was, the object still owns its
// temporary (it is usable, publishes on a second try, and deletes it when
// destroyed). A failure after it (the directory's fsync, the close of a
// commit) is reported, but the publish happened: the object refers to the
// target and never deletes it. Never a leaked descriptor, a stray name or a
// half-published state.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/os_error.hpp"
#include "failure_sweep.hpp"
#include "platform/platform.hpp"
#include "support/files.hpp"
#include "support/warm_worker.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

const auto* const report =
    ::testing::AddGlobalTestEnvironment(new tempio::test::sweep_report("publishing"));

// One worker, warmed in SetUp: the hidden names drawn by a replace come from
// its generator, already seeded, so every counted run makes the same calls.
const bool one_worker = (tempio::set_worker_threads(1), true);

constexpr auto tuple = net::as_tuple(net::deferred);
const tempio::publish_options durable_0640{.durable = true, .permissions = fs::perms(0640)};

// Does linkat(AT_EMPTY_PATH) work here (CAP_DAC_READ_SEARCH, or a kernel
// that allows it)? Else publishing links through /proc/self/fd: one more call.
bool empty_path_links(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    auto probe = dir / "probe";
    bool ok = ::linkat(fd, "", AT_FDCWD, probe.string().c_str(), AT_EMPTY_PATH) == 0;
    if (ok) ::unlink(probe.c_str());
    ::close(fd);
    return ok;
}

// ".target.XXXXXXXX": the hidden name a replace links a file to before
// renaming it over "target" (8 characters of [a-z0-9_]).
bool hidden_name_of_target(const std::string& name) {
    static const std::regex pattern(R"(\.target\.[a-z0-9_]{8})");
    return std::regex_match(name, pattern);
}

std::vector<std::string> cat(std::initializer_list<std::vector<std::string>> parts) {
    std::vector<std::string> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

class publish_sweep : public tempio::test::sweep_fixture {
  protected:
    void SetUp() override {
        sweep_fixture::SetUp();
        ASSERT_TRUE(one_worker);
        tempio::test::warm_worker_name_generator(dir_);
        empty_path_ = empty_path_links(dir_);
        ASSERT_TRUE(entries(dir_).empty());
    }

    // The linkat calls of an O_TMPFILE given a name.
    std::vector<std::string> link_hidden() const {
        if (empty_path_) return {"link_hidden"};
        return {"link_hidden", "link_proc_hidden"};
    }
    std::vector<std::string> link_target() const {
        if (empty_path_) return {"link_target"};
        return {"link_target", "link_proc_target"};
    }

    // Did the publish happen? Yes on success, and when the failing call
    // came after the call numbered `publish_call` (1-based) that gave the
    // name.
    bool published(std::size_t publish_call) const {
        return !must_fail() || current().k > publish_call;
    }
    static std::size_t position(const std::vector<std::string>& calls, const std::string& name) {
        auto it = std::find(calls.begin(), calls.end(), name);
        EXPECT_NE(it, calls.end()) << name;
        return static_cast<std::size_t>(it - calls.begin()) + 1;
    }
    // The error latch (docs/publishing.md): a failed write or data sync of
    // the file itself (not of a copy of a spooled file's memory) is
    // remembered, and every later publish fails with it.
    bool latched(bool from_memory) const {
        return must_fail() && !from_memory &&
               (current().call == "write" || current().call == "fdatasync");
    }

    // Holds `expected`, takes more, reads it back (no failure armed).
    template <class File>
    static net::awaitable<void> expect_usable(File& f, std::string expected) {
        EXPECT_TRUE(f.is_open());
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), expected);
        co_await f.async_write("+");
        co_await f.async_seek(0);
        std::string more = expected + "+";
        EXPECT_EQ(co_await f.async_read(), more);
    }

    // After a publish of a file holding "new" to `target` (which held "old",
    // or did not exist when `old` is empty): the state the sweep expects.
    // `temp` is the temporary's name (named files), else empty.
    template <class File>
    net::awaitable<void> expect_file_state(File& f, bool done, const fs::path& target,
                                           const std::string& old, const fs::path& temp,
                                           std::optional<mode_t> mode = {},
                                           bool from_memory = false) {
        constexpr bool has_path = requires {
            f.path();
        };
        if (done) {
            if constexpr (has_path) {
                EXPECT_EQ(f.path(), target);
            }
            EXPECT_EQ(slurp(target), "new");
            if (mode) {
                EXPECT_EQ(mode_of(target), *mode);
            }
            // A link-then-unlink publish unlinks the temporary's name while
            // the file is open: where deletion lacks POSIX semantics (Wine)
            // that name is listed until the file closes, so it is checked
            // after the close there.
            const bool names_go_at_once = tempio::test::anonymous_files_have_no_name();
            if (names_go_at_once) {
                EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no stray name";
            }
            co_await expect_usable(f, "new");
            co_await f.async_close();
            EXPECT_EQ(slurp(target), "new+") << "published: never deleted";
            if (!names_go_at_once) {
                EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no stray name";
            }
        } else {
            if (old.empty())
                EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << "target created";
            else
                EXPECT_EQ(slurp(target), old) << "target changed";
            if (!temp.empty()) {
                EXPECT_TRUE(fs::exists(temp)) << "the temporary is still its own";
            }
            std::vector<std::string> expected;
            if (!old.empty()) expected.push_back("target");
            if (!temp.empty()) expected.push_back(temp.filename().string());
            auto found = entries(dir_);
            fs::path hidden;
            if (temp.empty() && !from_memory && current().call == "rename") {
                // A file without a name was linked to a hidden name, then
                // the rename failed: the hidden name stays, the file's own
                // (an O_TMPFILE can be linked once only), until it is gone.
                auto it = std::find_if(found.begin(), found.end(), hidden_name_of_target);
                EXPECT_NE(it, found.end()) << "the hidden name is kept";
                if (it != found.end()) {
                    hidden = dir_ / *it;
                    expected.push_back(*it);
                    if constexpr (has_path) {
                        EXPECT_EQ(f.path(), hidden);
                    }
                }
            } else if constexpr (has_path) {
                EXPECT_EQ(f.path(), temp);
            }
            std::sort(expected.begin(), expected.end());
            EXPECT_EQ(found, expected) << "no stray name";
            co_await expect_usable(f, "new");
            if (temp.empty() && latched(from_memory)) {
                // The file may not hold what was written: never published.
                auto [again] = co_await f.async_persist(target, tuple);
                EXPECT_EQ(again, tempio::detail::os_error(err()))
                    << "published after a failed " << current().call;
                co_await f.async_close();
                EXPECT_EQ(entries(dir_), old.empty() ? std::vector<std::string>{}
                                                     : std::vector<std::string>{"target"});
                if (!old.empty()) {
                    EXPECT_EQ(slurp(target), old);
                }
            } else if (temp.empty()) {
                // Still publishable: a second try succeeds (the kernel links
                // an O_TMPFILE once only, so the first try must not have
                // spent that).
                auto [again] = co_await f.async_persist(target, tuple);
                EXPECT_FALSE(again) << again.message();
                EXPECT_EQ(slurp(target), "new+");
                EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
                co_await f.async_close();
                EXPECT_TRUE(fs::exists(target)) << "published: never deleted";
            } else {
                co_await f.async_close();
                EXPECT_FALSE(fs::exists(temp)) << "deleted as before";
            }
            EXPECT_TRUE(hidden.empty() || !fs::exists(hidden)) << "renamed or deleted";
        }
        std::error_code ignored;
        fs::remove(target, ignored);
    }

    net::awaitable<tempio::named_temporary_file> named() {
        co_return co_await tempio::named_temporary_file::async_create({.mode = "w+b", .dir = dir_});
    }
    net::awaitable<tempio::temporary_file> linkable() {
        co_return co_await tempio::temporary_file::async_create({.dir = dir_, .linkable = true});
    }

    bool empty_path_ = true;
};

}  // namespace

// ---- named files ---------------------------------------------------------------

TEST_F(publish_sweep, named_persist_durable_with_permissions) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    // The target's directory is opened first (open_parent), closed last.
    const std::vector<std::string> calls = {"open_parent", "write",     "fchmod",
                                            "fdatasync",   "rename",    "open_dir",
                                            "fsync",       "close_dir", "close_dir"};
    const auto at = position(calls, "rename");
    sweep("named: async_persist (durable, permissions)", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("new");
            fs::path temp = f.path();
            arm();
            auto [ec] = co_await f.async_persist(target, durable_0640, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(at), target, "old", temp, 0640);
        });
    });
}

TEST_F(publish_sweep, named_persist_noclobber) {
    if (!tempio::detail::platform::native_noclobber)
        GTEST_SKIP() << "no one-call no-clobber rename on this platform: link + unlink instead";
    const std::vector<std::string> calls = {"open_parent", "write", "rename_noreplace",
                                            "close_dir"};
    sweep("named: async_persist_noclobber", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named();
            co_await f.async_write("new");
            fs::path temp = f.path();
            arm();
            auto [ec] = co_await f.async_persist_noclobber(target, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(3), target, "", temp);
        });
    });
}

// ---- linkable anonymous files ------------------------------------------------------

TEST_F(publish_sweep, anonymous_persist_durable_with_permissions) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls = cat({{"open_parent", "write", "fchmod", "fdatasync"},
                            link_hidden(),
                            {"rename", "open_dir", "fsync", "close_dir", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("temporary_file: async_persist (durable, permissions)", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await linkable();
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_persist(target, durable_0640, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(at), target, "old", {}, 0640);
        });
    });
}

TEST_F(publish_sweep, anonymous_persist_noclobber) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls = cat({{"open_parent", "write"}, link_target(), {"close_dir"}});
    const auto at = calls.size() - 1;
    sweep("temporary_file: async_persist_noclobber", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await linkable();
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_persist_noclobber(target, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(at), target, "", {});
        });
    });
}

// ---- spooled files -----------------------------------------------------------------

TEST_F(publish_sweep, spooled_in_memory_persist_durable_with_permissions) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls =
        cat({{"open_parent", "open_tmpfile", "write", "lseek", "fchmod", "fdatasync"},
             link_hidden(),
             {"rename", "open_dir", "fsync", "close_dir", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("spooled in memory: async_persist (durable, permissions)", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_persist(target, durable_0640, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.rolled(), published(at)) << "a failed publish stays in memory";
            // (and the file it was writing, hidden name and all, is gone)
            co_await expect_file_state(f, published(at), target, "old", {}, 0640, true);
        });
    });
}

TEST_F(publish_sweep, spooled_in_memory_persist_noclobber) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls =
        cat({{"open_parent", "open_tmpfile", "write", "lseek"}, link_target(), {"close_dir"}});
    const auto at = calls.size() - 1;
    sweep("spooled in memory: async_persist_noclobber", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::spooled_temporary_file::async_create({.dir = dir_});
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_persist_noclobber(target, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.rolled(), published(at));
            co_await expect_file_state(f, published(at), target, "", {}, {}, true);
        });
    });
}

TEST_F(publish_sweep, spooled_rolled_over_persist) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls = cat({{"open_parent", "write"}, link_hidden(), {"rename", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("spooled rolled over: async_persist", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f =
                co_await tempio::spooled_temporary_file::async_create({.max_size = 2, .dir = dir_});
            co_await f.async_write("new");
            EXPECT_TRUE(f.rolled());
            arm();
            auto [ec] = co_await f.async_persist(target, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(at), target, "old", {});
        });
    });
}

TEST_F(publish_sweep, spooled_rolled_over_persist_noclobber) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls = cat({{"open_parent", "write"}, link_target(), {"close_dir"}});
    const auto at = calls.size() - 1;
    sweep("spooled rolled over: async_persist_noclobber", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f =
                co_await tempio::spooled_temporary_file::async_create({.max_size = 2, .dir = dir_});
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_persist_noclobber(target, tuple);
            disarm();
            expect_outcome(ec);
            co_await expect_file_state(f, published(at), target, "", {});
        });
    });
}

// ---- directories -------------------------------------------------------------------

namespace {
// A durable directory publish flushes the whole tree before the rename
// (src/core/sync_tree.cpp); here the tree is one file: the listing (".",
// "..", "file", its end, in the order the file system lists them: learned
// from a probe directory in `dir`), the file opened, synced and closed,
// then the directory synced and closed.
std::vector<std::string> tree_sync_of_one_file(const fs::path& dir) {
    const fs::path probe = dir / "probe";
    fs::create_directory(probe);
    spit(probe / "file", "content");
    std::vector<std::string> calls = {"fdopendir"};
    if (DIR* d = ::opendir(probe.string().c_str())) {
        while (dirent* e = ::readdir(d)) {
            calls.push_back("readdir");
            if (std::string(e->d_name) == "file")
                calls.insert(calls.end(), {"open_sync_file", "fsync", "close_synced"});
        }
        ::closedir(d);
    }
    fs::remove_all(probe);
    calls.insert(calls.end(), {"readdir", "fsync", "close_dir"});
    return calls;
}

// After a directory publish to `target` (absent before): its state.
void expect_directory_state(tempio::temporary_directory& d, bool done, const fs::path& target,
                            const fs::path& temp) {
    if (done) {
        EXPECT_EQ(d.path(), target);
        EXPECT_FALSE(fs::exists(temp));
        EXPECT_EQ(slurp(target / "file"), "content");
    } else {
        EXPECT_EQ(d.path(), temp);
        EXPECT_FALSE(fs::exists(fs::symlink_status(target))) << "target created";
        EXPECT_EQ(slurp(temp / "file"), "content") << "the temporary is still its own";
    }
}
}  // namespace

TEST_F(publish_sweep, directory_persist_durable_with_permissions) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    const std::vector<std::string> calls = cat({{"open_parent", "open_dir", "fchmod"},
                                                tree_sync_of_one_file(dir_),
                                                {"rename"},
                                                {"open_dir", "fsync", "close_dir", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("temporary_directory: async_persist (durable, permissions)", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            fs::path temp = d.path();
            spit(temp / "file", "content");
            arm();
            auto [ec] = co_await d.async_persist(
                target, {.durable = true, .permissions = fs::perms(0750)}, tuple);
            disarm();
            expect_outcome(ec);
            expect_directory_state(d, published(at), target, temp);
            if (published(at)) {
                EXPECT_EQ(mode_of(target), 0750u);
            } else {
                // Still its own: publishes on a second try.
                co_await d.async_persist(target);
                EXPECT_EQ(d.path(), target);
            }
            co_await d.async_cleanup();  // published: no temporary of ours left
            EXPECT_TRUE(d.kept());
            fs::remove_all(target);
        });
        EXPECT_TRUE(entries(dir_).empty());
    });
}

TEST_F(publish_sweep, directory_persist_noclobber) {
    if (!tempio::detail::platform::native_noclobber)
        GTEST_SKIP() << "no one-call no-clobber rename on this platform: link + unlink instead";
    const std::vector<std::string> calls = {"open_parent", "rename_noreplace_dir", "close_dir"};
    sweep("temporary_directory: async_persist_noclobber", calls, [&] {
        auto target = dir_ / "target";
        fs::path temp;
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            temp = d.path();
            spit(temp / "file", "content");
            arm();
            auto [ec] = co_await d.async_persist_noclobber(target, tuple);
            disarm();
            expect_outcome(ec);
            expect_directory_state(d, published(2), target, temp);
            if (published(2)) fs::remove_all(target);  // kept: the caller's now
        });  // destroyed: a temporary still its own is removed
        EXPECT_FALSE(fs::exists(temp));
    });
}

TEST_F(publish_sweep, directory_exchange_durable) {
    if (!tempio::can_exchange_directories())
        GTEST_SKIP() << "no directory exchange on this platform (tempio/platform.hpp)";
    const std::vector<std::string> calls =
        cat({{"open_parent", "open_dir"},
             tree_sync_of_one_file(dir_),
             {"rename_exchange", "stat_exchanged", "rmdir_exchanged"},
             {"open_dir", "fsync", "close_dir", "close_dir"}});
    // Published once the type of what came back is known to be a directory.
    const auto at = position(calls, "stat_exchanged");
    sweep("temporary_directory: async_exchange (durable)", calls, [&] {
        auto target = dir_ / "target";
        fs::create_directory(target);  // the old tree (empty: one rmdir removes it)
        fs::path temp;
        tempio::run([&]() -> net::awaitable<void> {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            temp = d.path();
            spit(temp / "file", "content");
            arm();
            auto [ec] = co_await d.async_exchange(target, {.durable = true}, tuple);
            disarm();
            bool done = published(at);
            if (current().call == "rmdir_exchanged" && must_fail()) {
                // The old tree's removal met the error: reported, and the
                // remover still took the tree away.
                EXPECT_EQ(ec, tempio::detail::os_error(err()));
            } else {
                expect_outcome(ec);
            }
            if (done) {
                EXPECT_EQ(d.path(), target);
                EXPECT_EQ(slurp(target / "file"), "content");
                EXPECT_FALSE(fs::exists(fs::symlink_status(temp))) << "the old tree is gone";
            } else {
                EXPECT_EQ(d.path(), temp);
                EXPECT_TRUE(fs::is_empty(target)) << "the old tree is untouched";
                EXPECT_EQ(slurp(temp / "file"), "content");
            }
            EXPECT_EQ(entries(dir_).size(), done ? 1u : 2u) << "no stray tree";
            if (done) fs::remove_all(target);
        });
        fs::remove_all(target);
        EXPECT_FALSE(fs::exists(temp));
    });
}

// ---- atomic_file ---------------------------------------------------------------------

TEST_F(publish_sweep, atomic_file_create) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    // The target's directory stays open until the commit or abandon.
    const std::vector<std::string> calls = {"open_parent", "open_tmpfile"};
    sweep("atomic_file: async_create", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec, f] = co_await tempio::atomic_file::async_create(target, tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(f.is_open(), !must_fail());
            EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no name (O_TMPFILE)";
            if (f.is_open()) {
                co_await f.async_write("new");
                co_await f.async_commit();
                EXPECT_EQ(slurp(target), "new");
            } else {
                EXPECT_EQ(slurp(target), "old");
            }
        });
        fs::remove(target);
    });
}

TEST_F(publish_sweep, atomic_file_commit) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    // Durable by default; the mode copied from the replaced target (fstatat).
    // Committed, it closes the file and the target's directory (opened at
    // its creation).
    const auto calls = cat({{"write", "fstatat", "fchmod", "fdatasync"},
                            link_hidden(),
                            {"rename", "open_dir", "fsync", "close_dir", "close", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("atomic_file: async_commit", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        fs::permissions(target, fs::perms(0604));
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target);
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_commit(tuple);
            disarm();
            expect_outcome(ec);
            auto found = entries(dir_);
            if (must_fail() && current().call == "rename") {
                // Linked to its hidden name, not renamed: the name stays
                // the file's own (it could never be linked again).
                EXPECT_EQ(found.size(), 2u);
                EXPECT_TRUE(found.size() == 2 && hidden_name_of_target(found[0]) &&
                            found[1] == "target");
            } else {
                EXPECT_EQ(found, std::vector<std::string>{"target"}) << "no stray name";
            }
            if (published(at)) {
                EXPECT_FALSE(f.is_open()) << "committed: closed";
                EXPECT_EQ(slurp(target), "new");
                EXPECT_EQ(mode_of(target), 0604u);
                // An abandon after a commit that reported an error must not
                // touch what was published.
                co_await f.async_abandon();
                EXPECT_EQ(slurp(target), "new");
            } else if (latched(false)) {
                EXPECT_TRUE(f.is_open()) << "failure changes nothing";
                EXPECT_EQ(slurp(target), "old");
                // The file may hold part of what was written: a commit after
                // that never publishes it; the abandon takes it away.
                co_await f.async_write("+");
                auto [again] = co_await f.async_commit(tuple);
                EXPECT_EQ(again, tempio::detail::os_error(err()));
                EXPECT_EQ(slurp(target), "old");
                co_await f.async_abandon();
            } else {
                EXPECT_TRUE(f.is_open()) << "failure changes nothing";
                EXPECT_EQ(slurp(target), "old");
                co_await f.async_write("+");  // still usable: write more, commit again
                co_await f.async_commit();
                EXPECT_EQ(slurp(target), "new+");
                EXPECT_EQ(mode_of(target), 0604u);
            }
        });
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
        fs::remove(target);
    });
}

TEST_F(publish_sweep, atomic_file_commit_noclobber) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls = cat({{"write", "fstatat", "fchmod", "fdatasync"},
                            link_target(),
                            {"open_dir", "fsync", "close_dir", "close", "close_dir"}});
    const auto at = position(calls, "open_dir") - 1;
    sweep("atomic_file: async_commit (replace = false)", calls, [&] {
        auto target = dir_ / "target";
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target, {.replace = false});
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_commit(tuple);
            disarm();
            expect_outcome(ec);
            if (published(at)) {
                EXPECT_FALSE(f.is_open());
                EXPECT_EQ(slurp(target), "new");
                co_await f.async_abandon();
                EXPECT_EQ(slurp(target), "new");
            } else {
                EXPECT_TRUE(f.is_open());
                EXPECT_TRUE(entries(dir_).empty()) << "nothing published";
                co_await f.async_abandon();
                EXPECT_TRUE(entries(dir_).empty());
            }
        });
        std::error_code ignored;
        fs::remove(target, ignored);
    });
}

TEST_F(publish_sweep, atomic_file_abandon) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const std::vector<std::string> calls = {"close_discard", "close_dir"};
    sweep("atomic_file: async_abandon", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await tempio::atomic_file::async_create(target);
            co_await f.async_write("new");
            arm();
            auto [ec] = co_await f.async_abandon(tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_FALSE(f.is_open());
            auto [again] = co_await f.async_commit(tuple);
            EXPECT_EQ(again, net::error::bad_descriptor);
        });
        EXPECT_EQ(slurp(target), "old");
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
        fs::remove(target);
    });
}

TEST_F(publish_sweep, async_write_file_atomically) {
    if (!tempio::has_anonymous_files())
        GTEST_SKIP() << "no anonymous files on this platform (tempio/platform.hpp): these are the "
                        "calls of O_TMPFILE";
    const auto calls =
        cat({{"open_parent", "open_tmpfile", "write", "fstatat", "fchmod", "fdatasync"},
             link_hidden(),
             {"rename", "open_dir", "fsync", "close_dir", "close", "close_dir"}});
    const auto at = position(calls, "rename");
    sweep("async_write_file_atomically", calls, [&] {
        auto target = dir_ / "target";
        spit(target, "old");
        tempio::run([&]() -> net::awaitable<void> {
            arm();
            auto [ec] = co_await tempio::async_write_file_atomically(target, "new", tuple);
            disarm();
            expect_outcome(ec);
            EXPECT_EQ(slurp(target), published(at) ? "new" : "old");
            EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"}) << "no stray name";
        });
        fs::remove(target);
    });
}
