// named_temporary_file: CPython 3.12's NamedTemporaryFile deletion rules and
// anyio's tests.
#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include <fstream>
#include <regex>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;
using tempio::named_temporary_file;
using tempio::test::entries;

namespace {
class named_file : public tempio::test::test_dir {};

struct deletion_case {
    bool keep;
    bool delete_on_close;
    bool exists_after_close;
    bool exists_after_destruction;
};
}  // namespace

TEST_F(named_file, exists_while_open_and_is_gone_after_close) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        EXPECT_TRUE(fs::is_regular_file(f.path()));
        co_await f.async_close();
        EXPECT_FALSE(fs::exists(f.path()));
    });
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(named_file, name_is_absolute_prefix_random_suffix) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create(
            {.suffix = ".csv", .prefix = "upload-", .dir = dir_});
        EXPECT_TRUE(f.path().is_absolute());
        EXPECT_EQ(f.path().parent_path(), dir_);
        EXPECT_TRUE(std::regex_match(f.path().filename().string(),
                                     std::regex("^upload-[a-z0-9_]{8}\\.csv$")));
    });
}

TEST_F(named_file, keep_and_delete_on_close_matrix) {
    const deletion_case cases[] = {
        {.keep = false,
         .delete_on_close = true,
         .exists_after_close = false,
         .exists_after_destruction = false},
        {.keep = false,
         .delete_on_close = false,
         .exists_after_close = true,
         .exists_after_destruction = false},
        {.keep = true,
         .delete_on_close = true,
         .exists_after_close = true,
         .exists_after_destruction = true},
        {.keep = true,
         .delete_on_close = false,
         .exists_after_close = true,
         .exists_after_destruction = true},
    };
    for (const auto& c : cases) {
        fs::path p;
        tempio::run([&]() -> net::awaitable<void> {
            auto f = co_await named_temporary_file::async_create(
                {.dir = dir_, .keep = c.keep, .delete_on_close = c.delete_on_close});
            p = f.path();
            co_await f.async_write("data");
            co_await f.async_close();
            EXPECT_EQ(fs::exists(p), c.exists_after_close)
                << "keep=" << c.keep << " delete_on_close=" << c.delete_on_close;
            if (c.exists_after_close) {
                EXPECT_EQ(fs::file_size(p), 4u) << "flushed on close";
            }
        });
        EXPECT_EQ(fs::exists(p), c.exists_after_destruction)
            << "keep=" << c.keep << " delete_on_close=" << c.delete_on_close;
        fs::remove(p);
    }
}

TEST_F(named_file, destruction_without_close_deletes_unless_keep) {
    fs::path deleted, kept;
    tempio::run([&]() -> net::awaitable<void> {
        auto a = co_await named_temporary_file::async_create({.dir = dir_});
        auto b = co_await named_temporary_file::async_create({.dir = dir_, .keep = true});
        deleted = a.path();
        kept = b.path();
    });
    EXPECT_FALSE(fs::exists(deleted));
    EXPECT_TRUE(fs::exists(kept));
    fs::remove(kept);
}

TEST_F(named_file, multiple_close_is_harmless) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        co_await f.async_close();
        co_await f.async_close();
        auto [ec] = co_await f.async_close(net::as_tuple(net::deferred));
        EXPECT_FALSE(ec);
    });
}

TEST_F(named_file, deleted_by_hand_before_close_is_no_error) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.dir = dir_});
        fs::remove(f.path());
        auto [ec] = co_await f.async_close(net::as_tuple(net::deferred));
        EXPECT_FALSE(ec) << ec.message();
    });
    tempio::run([&]() -> net::awaitable<void> {
        auto f =
            co_await named_temporary_file::async_create({.dir = dir_, .delete_on_close = false});
        co_await f.async_close();
        fs::remove(f.path());
    });  // destruction finds it gone: no error, no crash
    EXPECT_TRUE(entries(dir_).empty());
}

TEST_F(named_file, content_is_visible_to_others_by_name_after_flush) {
    tempio::run([&]() -> net::awaitable<void> {
        auto f = co_await named_temporary_file::async_create({.mode = "w+", .dir = dir_});
        co_await f.async_write("shared");
        co_await f.async_flush();
        std::string s;
        {  // closed before the file: on Windows an open reader that does not
           // share deletion (std::ifstream's) keeps the name from going
            std::ifstream in(f.path());
            in >> s;
        }
        EXPECT_EQ(s, "shared");
        co_await f.async_close();
    });
}
