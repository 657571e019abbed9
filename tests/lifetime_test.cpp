// Destroyed means gone: when the last user-visible object is destroyed, its
// file or directory is gone (or kept, as configured) before the destructor
// returns, whatever operation completed last and on whichever backend
// (ctest runs this file once per backend). CPython's
// test_context_man_not_del_on_close_if_delete_on_close_false, generalised to
// every class x every operation as the last one.
#include <fcntl.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>

#include "support/test_dir.hpp"
#include "tempio/tempio.hpp"

namespace fs = std::filesystem;
namespace net = tempio::net;

namespace {

class lifetime : public tempio::test::test_dir {};

bool fd_is_closed(int fd) {
    return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

// One operation as the last thing done to a file before its scope ends.
// Errors are fine (e.g. reading a write-only mode): only lifetime matters.
using file_op = std::function<net::awaitable<void>(tempio::basic_async_file<>&)>;
struct named_op {
    const char* name;
    file_op op;
};

auto tup() {
    return net::as_tuple(net::deferred);
}

std::vector<named_op> file_ops() {
    static char storage[16];  // readinto targets: outlive every operation
    char* buf = storage;
    return {
        {"write_small",
         [](auto& f) -> net::awaitable<void> { co_await f.async_write("blat", tup()); }},
        {"write_large",
         [](auto& f) -> net::awaitable<void> {
             static const std::string big(100000, 'x');
             co_await f.async_write(big, tup());
         }},
        {"writelines",
         [](auto& f) -> net::awaitable<void> {
             std::vector<std::string> lines{"a\n", "b\n"};
             co_await f.async_writelines(lines, tup());
         }},
        {"read", [](auto& f) -> net::awaitable<void> { co_await f.async_read(tup()); }},
        {"read_n", [](auto& f) -> net::awaitable<void> { co_await f.async_read(3, tup()); }},
        {"readline", [](auto& f) -> net::awaitable<void> { co_await f.async_readline(tup()); }},
        {"readlines", [](auto& f) -> net::awaitable<void> { co_await f.async_readlines(tup()); }},
        {"readinto",
         [buf](auto& f) -> net::awaitable<void> {
             co_await f.async_readinto(net::buffer(buf, 16), tup());
         }},
        {"read_some",
         [buf](auto& f) -> net::awaitable<void> {
             co_await f.async_read_some(net::buffer(buf, 16), tup());
         }},
        {"write_some",
         [](auto& f) -> net::awaitable<void> {
             co_await f.async_write_some(net::buffer("xyz", 3), tup());
         }},
        {"seek", [](auto& f) -> net::awaitable<void> { co_await f.async_seek(0, tup()); }},
        {"tell", [](auto& f) -> net::awaitable<void> { co_await f.async_tell(tup()); }},
        {"truncate", [](auto& f) -> net::awaitable<void> { co_await f.async_truncate(1, tup()); }},
        {"flush", [](auto& f) -> net::awaitable<void> { co_await f.async_flush(tup()); }},
        {"sync", [](auto& f) -> net::awaitable<void> { co_await f.async_sync(tup()); }},
        {"datasync", [](auto& f) -> net::awaitable<void> { co_await f.async_datasync(tup()); }},
        {"close", [](auto& f) -> net::awaitable<void> { co_await f.async_close(tup()); }},
    };
}

// Buffered content first, so that reads and flushes have work to do.
net::awaitable<void> prepare(tempio::basic_async_file<>& f) {
    co_await f.async_write("line one\nline two\n", tup());
}

}  // namespace

TEST_F(lifetime, named_file_is_gone_when_destroyed_after_any_operation) {
    for (bool delete_on_close : {true, false}) {
        for (const auto& [name, op] : file_ops()) {
            tempio::run([&]() -> net::awaitable<void> {
                fs::path p;
                {
                    auto f = co_await tempio::named_temporary_file::async_create(
                        {.dir = dir_, .delete_on_close = delete_on_close});
                    p = f.path();
                    co_await prepare(f);
                    co_await op(f);
                }
                // No suspension since the scope ended: the destructor did it.
                EXPECT_FALSE(fs::exists(p)) << name << " delete_on_close=" << delete_on_close;
            });
        }
    }
}

TEST_F(lifetime, kept_named_file_stays_after_any_operation) {
    for (const auto& [name, op] : file_ops()) {
        fs::path p = tempio::run([&]() -> net::awaitable<fs::path> {
            auto f =
                co_await tempio::named_temporary_file::async_create({.dir = dir_, .keep = true});
            co_await prepare(f);
            co_await op(f);
            co_return f.path();
        });
        EXPECT_TRUE(fs::exists(p)) << name;
        fs::remove(p);
    }
}

TEST_F(lifetime, anonymous_file_is_closed_when_destroyed_after_any_operation) {
    for (const auto& [name, op] : file_ops()) {
        tempio::run([&]() -> net::awaitable<void> {
            int fd = -1;
            {
                auto f = co_await tempio::temporary_file::async_create({.dir = dir_});
                fd = f.descriptor();
                co_await prepare(f);
                co_await op(f);
            }
            EXPECT_TRUE(fd_is_closed(fd)) << name;
        });
    }
}

TEST_F(lifetime, spooled_file_is_closed_when_destroyed_after_any_operation) {
    for (bool roll : {false, true}) {
        for (const auto& [name, op] : file_ops()) {
            tempio::run([&]() -> net::awaitable<void> {
                int fd = -1;
                {
                    auto f = co_await tempio::spooled_temporary_file::async_create(
                        {.max_size = 1 << 20, .dir = dir_});
                    co_await prepare(f);
                    if (roll) {
                        co_await f.async_rollover();
                        fd = f.descriptor();
                    }
                    co_await op(f);
                    if (!roll) {
                        EXPECT_FALSE(f.rolled()) << name;
                    }
                    if (f.rolled()) fd = f.descriptor();
                }
                if (fd >= 0) {
                    EXPECT_TRUE(fd_is_closed(fd)) << name << " roll=" << roll;
                }
            });
        }
    }
}

// The repro from the issue, verbatim.
TEST_F(lifetime, closed_file_with_delete_on_close_false_is_gone_at_scope_end) {
    for (int i = 0; i < 50; ++i) {
        tempio::run([&]() -> net::awaitable<void> {
            fs::path p;
            {
                auto f = co_await tempio::named_temporary_file::async_create(
                    {.dir = dir_, .delete_on_close = false});
                co_await f.async_write("blat");
                co_await f.async_close();
                EXPECT_TRUE(fs::exists(f.path()));  // survives close
                p = f.path();
            }
            EXPECT_FALSE(fs::exists(p));
        });
    }
}

TEST_F(lifetime, directory_is_gone_when_destroyed_after_creation_or_failed_cleanup) {
    tempio::run([&]() -> net::awaitable<void> {
        fs::path p;
        {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            p = d.path();
            std::ofstream(p / "a") << "x";
        }
        EXPECT_FALSE(fs::exists(p));
        {
            auto d = co_await tempio::temporary_directory::async_create({.dir = dir_});
            p = d.path();
            co_await d.async_cleanup();
            EXPECT_FALSE(fs::exists(p));
        }
        {
            auto d =
                co_await tempio::temporary_directory::async_create({.dir = dir_, .keep = true});
            p = d.path();
        }
        EXPECT_TRUE(fs::exists(p));
        fs::remove(p);
    });
}
