// Publishing (DESIGN section 8): persist, persist_noclobber, keep, directory
// persist/exchange, atomic_file and async_write_file_atomically. Both
// backends (ctest runs this file once per backend).
#include <sys/stat.h>
#include <sys/vfs.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::test::entries;

using tempio::test::mode_of;
using tempio::test::slurp;
using tempio::test::spit;

namespace {
class publishing : public tempio::test::test_dir {};

auto tup() {
    return net::as_tuple(net::deferred);
}
// /dev/shm and the test directory (under /tmp) on different file systems?
bool other_file_system_available(const fs::path& here) {
    struct stat a {
    }, b{};
    return ::stat("/dev/shm", &a) == 0 && ::stat(here.c_str(), &b) == 0 && a.st_dev != b.st_dev;
}
}  // namespace

TEST_F(publishing, named_file_persist_replaces_the_target_and_is_kept) {
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "final.txt";
        spit(target, "old");
        fs::path temp;
        {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            temp = f.path();
            co_await f.async_write("new content");  // still buffered: persist flushes
            co_await f.async_persist(target);
            EXPECT_EQ(f.path(), target);
            EXPECT_TRUE(f.is_open());
            EXPECT_FALSE(fs::exists(temp));
            co_await f.async_write(" and more");  // stays usable
            co_await f.async_close();
        }
        EXPECT_EQ(slurp(target), "new content and more");  // never deleted
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"final.txt"});
        fs::remove(target);
    });
}

// path() is made on its first call (core/on_demand_path.hpp): a reference
// taken before publishing follows the object to its target, and a path
// first asked for after publishing is the target.
TEST_F(publishing, path_names_the_target_whether_asked_before_or_after_persist) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        const fs::path& early = f.path();
        co_await f.async_persist(dir_ / "file-asked-before");
        EXPECT_EQ(early, dir_ / "file-asked-before");
        auto g = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await g.async_persist(dir_ / "file-asked-after");
        EXPECT_EQ(g.path(), dir_ / "file-asked-after");
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        const fs::path& early_dir = d.path();
        co_await d.async_persist(dir_ / "dir-asked-before");
        EXPECT_EQ(early_dir, dir_ / "dir-asked-before");
        auto e = co_await tempio::temporary_directory::async_create({.dir = dir_});
        co_await e.async_persist(dir_ / "dir-asked-after");
        EXPECT_EQ(e.path(), dir_ / "dir-asked-after");
        co_await f.async_close();
        co_await g.async_close();
    });
    EXPECT_EQ(entries(dir_), (std::vector<std::string>{"dir-asked-after", "dir-asked-before",
                                                       "file-asked-after", "file-asked-before"}));
    fs::remove_all(dir_ / "dir-asked-after");
    fs::remove_all(dir_ / "dir-asked-before");
    fs::remove(dir_ / "file-asked-after");
    fs::remove(dir_ / "file-asked-before");
}

TEST_F(publishing, noclobber_never_replaces_and_the_object_still_owns_its_file) {
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "taken";
        spit(target, "old");
        fs::path temp;
        {
            auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
            temp = f.path();
            co_await f.async_write("new");
            auto [ec] = co_await f.async_persist_noclobber(target, tup());
            EXPECT_EQ(ec, std::errc::file_exists) << ec.message();
            EXPECT_EQ(f.path(), temp);
            EXPECT_EQ(slurp(target), "old");
            EXPECT_TRUE(fs::exists(temp));
        }  // destroyed: its temporary goes, the target stays
        EXPECT_FALSE(fs::exists(temp));
        EXPECT_EQ(slurp(target), "old");
        fs::remove(target);
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        co_await f.async_persist_noclobber(target);
        EXPECT_TRUE(fs::exists(target));
        co_await f.async_close();
        EXPECT_TRUE(fs::exists(target));
        fs::remove(target);
    });
}

TEST_F(publishing, anonymous_linkable_file_publishes_without_a_temporary_name) {
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "out.bin";
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_, .linkable = true});
        co_await f.async_write("payload");
        if (tempio::test::anonymous_files_have_no_name()) {
            EXPECT_TRUE(entries(dir_).empty());
        }
        co_await f.async_persist(target, {.permissions = fs::perms(0640)});
        EXPECT_EQ(slurp(target), "payload");
        if (tempio::test::has_posix_modes()) {
            EXPECT_EQ(mode_of(target), 0640u);
        }
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"out.bin"});  // no hidden link left
        co_await f.async_close();
        EXPECT_TRUE(fs::exists(target));
        // Replacing an existing target goes through a hidden link, renamed over it.
        auto g = co_await tempio::temporary_file::async_create({.dir = dir_, .linkable = true});
        co_await g.async_write("second");
        co_await g.async_persist(target);
        EXPECT_EQ(slurp(target), "second");
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"out.bin"});
        auto [ec] = co_await g.async_persist_noclobber(dir_ / "out.bin", tup());
        EXPECT_EQ(ec, std::errc::file_exists);
        co_await g.async_close();
        fs::remove(target);
    });
}

TEST_F(publishing, anonymous_file_not_linkable_refuses_and_changes_nothing) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
        co_await f.async_write("x");
        auto [ec] = co_await f.async_persist(dir_ / "t", tup());
        EXPECT_EQ(ec, std::errc::operation_not_permitted) << ec.message();
        if (tempio::test::anonymous_files_have_no_name()) {
            EXPECT_TRUE(entries(dir_).empty());
        }
        co_await f.async_seek(0);
        EXPECT_EQ(co_await f.async_read(), "x");  // still usable
        co_await f.async_close();
    });
}

TEST_F(publishing, spooled_file_in_memory_or_rolled_over_publishes) {
    tempio::run([&]() -> net::awaitable<void> {
        auto small =
            co_await tempio::spooled_temporary_file::async_create({.max_size = 100, .dir = dir_});
        co_await small.async_write("in memory");
        EXPECT_FALSE(small.rolled());
        co_await small.async_persist(dir_ / "small");
        EXPECT_TRUE(small.rolled());  // now backed by the published file
        EXPECT_EQ(slurp(dir_ / "small"), "in memory");
        co_await small.async_write("!");
        co_await small.async_close();
        EXPECT_EQ(slurp(dir_ / "small"), "in memory!");

        auto big =
            co_await tempio::spooled_temporary_file::async_create({.max_size = 4, .dir = dir_});
        co_await big.async_write("rolled over");
        EXPECT_TRUE(big.rolled());
        co_await big.async_persist_noclobber(dir_ / "big", {.durable = true});
        EXPECT_EQ(slurp(dir_ / "big"), "rolled over");
        co_await big.async_close();
        EXPECT_EQ(entries(dir_), (std::vector<std::string>{"big", "small"}));
        fs::remove(dir_ / "small");
        fs::remove(dir_ / "big");
    });
}

TEST_F(publishing, across_file_systems_is_a_clear_cross_device_link_error) {
    if (!other_file_system_available(dir_))
        GTEST_SKIP() << "/dev/shm is on the test directory's file system";
    tempio::run([&]() -> net::awaitable<void> {
        auto target = fs::path("/dev/shm") / ("tempio-xdev-" + std::to_string(::getpid()));
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto [ec] = co_await f.async_persist(target, tup());
        EXPECT_EQ(ec, std::errc::cross_device_link) << ec.message();
        EXPECT_FALSE(fs::exists(target));
        EXPECT_TRUE(fs::exists(f.path()));  // still its own
        auto g = co_await tempio::temporary_file::async_create({.dir = dir_, .linkable = true});
        auto [ec2] = co_await g.async_persist(target, tup());
        EXPECT_EQ(ec2, std::errc::cross_device_link) << ec2.message();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        auto [ec3] = co_await d.async_persist(target, tup());
        EXPECT_EQ(ec3, std::errc::cross_device_link) << ec3.message();
        EXPECT_FALSE(fs::exists(target));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(publishing, keep_after_creation) {
    fs::path file, dir;
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        file = f.keep();
        EXPECT_EQ(file, f.path());
        co_await f.async_close();
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        dir = d.keep();
    });
    EXPECT_TRUE(fs::exists(file));
    EXPECT_TRUE(fs::is_directory(dir));
    fs::remove(file);
    fs::remove(dir);
}

TEST_F(publishing, directory_persist_noclobber_and_exchange) {
    if (!tempio::can_exchange_directories())
        GTEST_SKIP() << "no directory exchange on this platform (tempio/platform.hpp)";
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "site";
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        spit(d.path() / "index.html", "v1");
        co_await d.async_persist(target);  // absent target
        EXPECT_EQ(d.path(), target);
        EXPECT_EQ(slurp(target / "index.html"), "v1");

        auto d2 = co_await tempio::temporary_directory::async_create({.dir = dir_});
        spit(d2.path() / "index.html", "v2");
        auto [ec] = co_await d2.async_persist_noclobber(target, tup());
        EXPECT_EQ(ec, std::errc::file_exists) << ec.message();
        auto [ec2] = co_await d2.async_persist(target, tup());  // not empty: refused
        EXPECT_EQ(ec2, std::errc::directory_not_empty) << ec2.message();
        auto old_place = d2.path();
        co_await d2.async_exchange(target, {.durable = true});
        EXPECT_EQ(slurp(target / "index.html"), "v2");
        EXPECT_FALSE(fs::exists(old_place));  // the old tree went through the cleanup
        EXPECT_TRUE(d2.kept());
        co_await d2.async_cleanup();  // published: nothing of ours to clean
        EXPECT_TRUE(fs::exists(target / "index.html"));
        fs::remove_all(target);
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(publishing, atomic_file_commit_takes_the_replaced_targets_mode) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "config.ini";
        spit(target, "old");
        fs::permissions(target, fs::perms(0644));
        auto f = co_await tempio::atomic_file::async_create(target);
        co_await f.async_write("new=1\n");
        EXPECT_EQ(slurp(target), "old");
        // Nothing visible but the target (O_TMPFILE), or one hidden name.
        for (const auto& e : entries(dir_))
            EXPECT_TRUE(e == "config.ini" || e.rfind(".config.ini.", 0) == 0) << e;
        co_await f.async_commit();
        EXPECT_FALSE(f.is_open());
        EXPECT_EQ(slurp(target), "new=1\n");
        EXPECT_EQ(mode_of(target), 0644u);
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"config.ini"});
        auto [ec] = co_await f.async_commit(tup());
        EXPECT_EQ(ec, net::error::bad_descriptor);
    });
}

TEST_F(publishing, atomic_file_abandoned_or_destroyed_leaves_the_target_untouched) {
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "keep-me";
        spit(target, "original");
        {
            auto f = co_await tempio::atomic_file::async_create(target, {.durable = false});
            co_await f.async_write("discarded");
            co_await f.async_abandon();
        }
        {
            auto f = co_await tempio::atomic_file::async_create(target);
            co_await f.async_write("discarded too");
        }  // destroyed without commit
        EXPECT_EQ(slurp(target), "original");
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"keep-me"});
        auto f = co_await tempio::atomic_file::async_create(target, {.replace = false});
        co_await f.async_write("x");
        auto [ec] = co_await f.async_commit(tup());
        EXPECT_EQ(ec, std::errc::file_exists);
        EXPECT_TRUE(f.is_open());  // failure changes nothing: commit again or abandon
        co_await f.async_abandon();
        EXPECT_EQ(slurp(target), "original");
    });
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"keep-me"});
}

TEST_F(publishing, new_target_gets_the_umask_mode_and_write_file_atomically_works) {
    if (!tempio::test::has_posix_modes())
        GTEST_SKIP() << "no POSIX permission bits on this platform";
    tempio::run([&]() -> net::awaitable<void> {
        mode_t old = ::umask(027);
        auto target = dir_ / "fresh";
        co_await tempio::async_write_file_atomically(target, "hello");
        ::umask(old);
        EXPECT_EQ(slurp(target), "hello");
        EXPECT_EQ(mode_of(target), 0640u);
        co_await tempio::async_write_file_atomically(target, "again",
                                                     {.permissions = fs::perms(0600)});
        EXPECT_EQ(slurp(target), "again");
        EXPECT_EQ(mode_of(target), 0600u);
        auto [ec] =
            co_await tempio::async_write_file_atomically(dir_ / "missing" / "x", "y", tup());
        EXPECT_EQ(ec, std::errc::no_such_file_or_directory) << ec.message();
        auto [ec2] =
            co_await tempio::async_write_file_atomically(target, "no", {.replace = false}, tup());
        EXPECT_EQ(ec2, std::errc::file_exists);
        EXPECT_EQ(slurp(target), "again");
    });
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"fresh"});
}

TEST_F(publishing, after_close_is_bad_descriptor_and_a_bad_target_is_invalid) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await tempio::named_temporary_file::async_create({.dir = dir_});
        auto [e0] = co_await f.async_persist("", tup());
        EXPECT_EQ(e0, net::error::invalid_argument);
        co_await f.async_close();
        auto [ec] = co_await f.async_persist(dir_ / "t", tup());
        EXPECT_EQ(ec, net::error::bad_descriptor);
        EXPECT_TRUE(entries(dir_).empty());
    });
}

// RENAME_EXCHANGE swaps any two entries: exchanging with a file (or a
// symlink) is refused and swapped back, never removing what was there.
TEST_F(publishing, exchange_with_a_file_is_refused_and_undone) {
    if (!tempio::can_exchange_directories())
        GTEST_SKIP() << "no directory exchange on this platform (tempio/platform.hpp)";
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "not-a-dir";
        spit(target, "precious");
        auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
        auto own = d.path();
        auto [ec] = co_await d.async_exchange(target, tup());
        EXPECT_EQ(ec, std::errc::not_a_directory) << ec.message();
        EXPECT_EQ(slurp(target), "precious");
        EXPECT_TRUE(fs::is_directory(own));
        EXPECT_EQ(d.path(), own);
        co_await d.async_cleanup();
        fs::remove(target);
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(publishing, atomic_file_refuses_modes_it_cannot_honour) {
    // Append would promise the old content followed by the new; the file
    // replaces the target with only what was written. A read-only mode
    // could never write. Refused at creation, before anything is made.
    tempio::run([&]() -> net::awaitable<void> {
        auto target = dir_ / "target";
        spit(target, "old");
        for (const char* mode : {"ab", "a", "a+b", "rb", "r"}) {
            auto [ec, f] =
                co_await tempio::atomic_file::async_create(target, {.mode = mode}, tup());
            EXPECT_EQ(ec, net::error::invalid_argument) << mode << ": " << ec.message();
            EXPECT_FALSE(f.is_open()) << mode;
            auto [wec] =
                co_await tempio::async_write_file_atomically(target, "new", {.mode = mode}, tup());
            EXPECT_EQ(wec, net::error::invalid_argument) << mode << ": " << wec.message();
        }
        for (const char* mode : {"wb", "w+b", "r+b", "xb"}) {
            auto [ec, f] =
                co_await tempio::atomic_file::async_create(target, {.mode = mode}, tup());
            EXPECT_FALSE(ec) << mode << ": " << ec.message();
            co_await f.async_abandon();
        }
        EXPECT_EQ(slurp(target), "old");
        EXPECT_EQ(entries(dir_), std::vector<std::string>{"target"});
    });
}

TEST_F(publishing, atomic_file_replaces_a_looping_or_dangling_symbolic_link_itself) {
    if (!tempio::test::can_make_symlinks()) GTEST_SKIP() << "no symbolic links here";
    // rename(2) replaces a link at the target name, whatever it points to;
    // the default mode read through it finds nothing: 0666 & ~umask.
    tempio::run([&]() -> net::awaitable<void> {
        mode_t old_mask = ::umask(022);
        fs::create_symlink("loop", dir_ / "loop");
        fs::create_symlink("nowhere", dir_ / "dangling");
        for (const char* name : {"loop", "dangling"}) {
            auto f = co_await tempio::atomic_file::async_create(dir_ / name);
            co_await f.async_write(name);
            auto [ec] = co_await f.async_commit(tup());
            EXPECT_FALSE(ec) << name << ": " << ec.message();
            EXPECT_FALSE(fs::is_symlink(dir_ / name)) << name;
            EXPECT_EQ(slurp(dir_ / name), name);
            EXPECT_EQ(mode_of(dir_ / name), 0644u) << name;
        }
        ::umask(old_mask);
        EXPECT_FALSE(fs::exists(dir_ / "nowhere")) << "never written through the link";
    });
}
