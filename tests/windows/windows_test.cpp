// What only Windows has (issue 29, DESIGN section 11): sharing modes, the
// read-only attribute, junctions and directory symlinks in a tree, UTF-16
// names, paths beyond MAX_PATH, DOS device names, handle inheritance. Built
// on Windows only (tests/CMakeLists.txt); run under Wine 8.0 in CI, which is
// not Windows: docs/platforms.md says what was verified there.
#include <io.h>
#include <windows.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/files.hpp"
#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::error_code;
using tempio::named_temporary_file;
using tempio::temporary_directory;
using tempio::test::entries;
using tempio::test::slurp;
using tempio::test::spit;

namespace {

constexpr auto tuple = net::as_tuple(net::use_awaitable);

class windows : public tempio::test::test_dir {};

// A handle on `p` that shares reading and writing but not deletion: while it
// is open, nobody may delete or rename the file.
HANDLE open_without_share_delete(const fs::path& p) {
    return ::CreateFileW(p.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
}

}  // namespace

TEST_F(windows, cleanup_reports_a_file_held_without_share_delete_and_finishes_after) {
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        spit(d.path() / "held", "held");
        spit(d.path() / "free", "free");
        HANDLE held = open_without_share_delete(d.path() / "held");
        EXPECT_NE(held, INVALID_HANDLE_VALUE) << ::GetLastError();
        auto [ec] = co_await d.async_cleanup(tuple);
        EXPECT_TRUE(ec) << "a file nobody may delete was reported removed";
        EXPECT_EQ(ec, error_code(ERROR_SHARING_VIOLATION, boost::system::system_category()))
            << ec.message();
        EXPECT_TRUE(fs::exists(d.path() / "held"));
        ::CloseHandle(held);
        auto [again] = co_await d.async_cleanup(tuple);
        EXPECT_FALSE(again) << again.message();
        EXPECT_FALSE(fs::exists(d.path()));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(windows, ignore_cleanup_errors_reports_nothing_for_a_held_file) {
    fs::path held_path;
    HANDLE held = INVALID_HANDLE_VALUE;
    tempio::run([&]() -> net::awaitable<void> {
        auto d = co_await temporary_directory::async_create(
            {.dir = dir_, .ignore_cleanup_errors = true});
        held_path = d.path() / "held";
        spit(held_path, "held");
        held = open_without_share_delete(held_path);
        auto [ec] = co_await d.async_cleanup(tuple);
        EXPECT_FALSE(ec) << ec.message();
    });
    EXPECT_TRUE(fs::exists(held_path)) << "the held file is still there: best effort";
    ::CloseHandle(held);
}

TEST_F(windows, cleanup_removes_read_only_files_and_directories) {
    fs::path path = tempio::run([&]() -> net::awaitable<fs::path> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        fs::create_directories(d.path() / "ro" / "deeper");
        spit(d.path() / "ro" / "deeper" / "readonly", "r");
        for (const fs::path& p :
             {d.path() / "ro" / "deeper" / "readonly", d.path() / "ro" / "deeper", d.path() / "ro"})
            EXPECT_TRUE(::SetFileAttributesW(p.c_str(), FILE_ATTRIBUTE_READONLY));
        co_await d.async_cleanup();
        co_return d.path();
    });
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(windows, cleanup_removes_a_directory_symlink_and_never_its_target) {
    const fs::path outside = dir_ / "outside";
    fs::create_directories(outside / "inner");
    spit(outside / "canary", "canary");
    spit(outside / "inner" / "canary", "inner");
    const auto before = tempio::test::tree_snapshot(outside);
    fs::path path = tempio::run([&]() -> net::awaitable<fs::path> {
        auto d = co_await temporary_directory::async_create({.dir = dir_});
        std::error_code made;
        fs::create_directory_symlink(outside, d.path() / "link_to_dir", made);
        fs::create_symlink(outside / "canary", d.path() / "link_to_file", made);
        if (made) {
            co_await d.async_cleanup();
            co_return fs::path{};
        }
        co_await d.async_cleanup();
        co_return d.path();
    });
    if (path.empty()) GTEST_SKIP() << "this system makes no symbolic link here";
    EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
    EXPECT_EQ(tempio::test::tree_snapshot(outside), before);
}

TEST_F(windows, a_non_ascii_prefix_and_suffix_round_trip_as_utf8) {
    const std::string prefix = "d\xC3\xA9j\xC3\xA0-\xE6\x97\xA5\xE6\x9C\xAC-";  // déjà-日本-
    const std::string suffix = ".\xCE\xB1\xCE\xB2";                             // .αβ
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create(
            {.suffix = suffix, .prefix = prefix, .dir = dir_});
        co_await f.async_write("data");
        co_await f.async_flush();
        const std::u8string name = f.path().filename().u8string();
        const std::string utf8(name.begin(), name.end());
        EXPECT_EQ(utf8.rfind(prefix, 0), 0u) << utf8;
        EXPECT_TRUE(utf8.ends_with(suffix)) << utf8;
        EXPECT_EQ(slurp(f.path()), "data");
        auto d = co_await temporary_directory::async_create({.prefix = prefix, .dir = dir_});
        EXPECT_TRUE(fs::is_directory(d.path()));
        co_await d.async_cleanup();
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(windows, paths_beyond_max_path_work) {
    // Everything deep is inside `top`, a tempio directory: its cleanup (not
    // std::filesystem's remove_all, which fails past MAX_PATH here) removes it.
    std::string skipped, published;
    bool top_gone = false;
    tempio::run([&]() -> net::awaitable<void> {
        auto top = co_await temporary_directory::async_create({.dir = dir_});
        fs::path deep = top.path();
        while (deep.native().size() <= MAX_PATH + 40) deep /= std::string(60, 'd');
        std::error_code made;
        fs::create_directories(deep, made);
        if (made) {
            skipped = "std::filesystem cannot make the deep directory: " + made.message();
        } else {
            auto f = co_await named_temporary_file::async_create({.dir = deep});
            co_await f.async_write("deep");
            co_await f.async_persist(deep / "published");
            co_await f.async_close();
            published = slurp(deep / "published");
            auto d = co_await temporary_directory::async_create({.dir = deep});
            spit(d.path() / "inside", "x");
            co_await d.async_cleanup();
            EXPECT_FALSE(fs::exists(d.path()));
        }
        co_await top.async_cleanup();  // the deep tree, published file and all
        top_gone = !fs::exists(top.path());
    });
    EXPECT_TRUE(top_gone);
    if (!skipped.empty()) GTEST_SKIP() << skipped;
    EXPECT_EQ(published, "deep");
}

TEST_F(windows, persist_replaces_a_target_another_handle_holds_open) {
    if (!tempio::test::can_replace_open_files())  // Wine 8.0 refuses, POSIX semantics or not
        GTEST_SKIP() << "a file another handle holds open cannot be replaced here";
    const fs::path target = dir_ / "config";
    spit(target, "old");
    // A reader that shares deletion, as tempio's own handles and most
    // programs' do: the replace goes through (POSIX semantics).
    HANDLE reader = ::CreateFileW(target.c_str(), GENERIC_READ,
                                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                  OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    ASSERT_NE(reader, INVALID_HANDLE_VALUE);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("new");
        auto [ec] = co_await f.async_persist(target, tuple);
        EXPECT_FALSE(ec) << ec.message();
    });
    EXPECT_EQ(slurp(target), "new");
    ::CloseHandle(reader);
    // One that does not share deletion: the replace fails cleanly, the old
    // file stays whole and no temporary is left.
    HANDLE locker = open_without_share_delete(target);
    ASSERT_NE(locker, INVALID_HANDLE_VALUE);
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        co_await f.async_write("newer");
        auto [ec] = co_await f.async_persist(target, tuple);
        EXPECT_TRUE(ec) << "replaced a file another handle locks";
    });
    ::CloseHandle(locker);
    EXPECT_EQ(slurp(target), "new");
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"config"});
}

TEST_F(windows, a_dos_device_name_as_prefix_is_invalid_argument) {
    tempio::run([&]() -> net::awaitable<void> {
        for (const char* prefix : {"CON", "nul", "COM1", "LPT9", "aux"}) {
            SCOPED_TRACE(prefix);
            const std::string dotted = std::string(prefix) + ".";
            auto [ec, f] =
                co_await named_temporary_file::async_create({.prefix = dotted, .dir = dir_}, tuple);
            EXPECT_EQ(ec, net::error::invalid_argument) << ec.message();
        }
        for (const char* bad : {"a:b", "a*b", "a?b", "a|b", "a<b", "a\\b"}) {
            SCOPED_TRACE(bad);
            auto [ec, d] =
                co_await temporary_directory::async_create({.prefix = bad, .dir = dir_}, tuple);
            EXPECT_EQ(ec, net::error::invalid_argument) << ec.message();
        }
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(windows, no_handle_is_inheritable) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        auto t = co_await tempio::temporary_file::async_create({.dir = dir_});
        for (HANDLE h : {f.native_handle(), t.native_handle()}) {
            EXPECT_NE(h, INVALID_HANDLE_VALUE);
            DWORD flags = 0;
            EXPECT_TRUE(::GetHandleInformation(h, &flags));
            EXPECT_EQ(flags & HANDLE_FLAG_INHERIT, 0u) << "a child process would get it";
        }
    });
}

TEST_F(windows, native_handle_is_the_files_handle_and_mkstemps_too) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        static_assert(std::is_same_v<decltype(f.native_handle()), HANDLE>);
        EXPECT_EQ(f.native_handle(), reinterpret_cast<HANDLE>(::_get_osfhandle(f.descriptor())));
        co_await f.async_write("through the handle");
        co_await f.async_flush();
        LARGE_INTEGER size{};
        EXPECT_TRUE(::GetFileSizeEx(f.native_handle(), &size));
        EXPECT_EQ(size.QuadPart, 18);
        co_await f.async_close();
        EXPECT_EQ(f.native_handle(), INVALID_HANDLE_VALUE) << "closed: no handle";
    });
    auto made = tempio::mkstemp({.dir = dir_});
    DWORD written = 0;
    EXPECT_TRUE(::WriteFile(made.fd.native_handle(), "abc", 3, &written, nullptr));
    EXPECT_EQ(written, 3u);
    made.fd.reset();
    EXPECT_EQ(made.fd.native_handle(), INVALID_HANDLE_VALUE);
    EXPECT_EQ(slurp(made.path), "abc");
    fs::remove(made.path);
}

TEST_F(windows, a_temporary_file_never_outlives_its_object) {
    tempio::run([&]() -> net::awaitable<void> {
        {
            auto t = co_await tempio::temporary_file::async_create({.dir = dir_});
            co_await t.async_write("gone");
        }
        auto n =
            co_await named_temporary_file::async_create({.dir = dir_, .delete_on_close = false});
        co_await n.async_close();
        EXPECT_TRUE(fs::exists(n.path())) << "delete_on_close=false keeps it until the end";
    });
    EXPECT_TRUE(entries(dir_).empty());
}
