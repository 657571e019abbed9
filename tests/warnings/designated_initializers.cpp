// Compiled with -Wall -Wextra -Werror (tests/CMakeLists.txt, target
// tempio-warnings-check): a designated initializer naming any one member of
// any options struct must not warn -Wmissing-field-initializers in user code.
// Each struct gets a snippet that leaves out every member but one.
#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> designated_initializers_compile_clean() {
    auto a = co_await tempio::temporary_file::async_create({.mode = "w+"});
    auto b = co_await tempio::named_temporary_file::async_create({.delete_on_close = false});
    auto c = co_await tempio::named_temporary_file::async_create({.keep = true});
    auto d = co_await tempio::spooled_temporary_file::async_create({.max_size = 10});
    auto e = co_await tempio::temporary_directory::async_create({.ignore_cleanup_errors = true});
    auto f = co_await tempio::temporary_directory::async_create({.prefix = "p"});
    auto g = co_await tempio::async_mkstemp({.suffix = ".txt"});
    auto h = co_await tempio::async_mkstemp({.text = true});
    auto i = co_await tempio::async_mkdtemp({.dir = "/tmp"});
    auto j = co_await tempio::async_sweep_stale("/tmp", {.min_age = std::chrono::minutes(5)});
    auto k = co_await tempio::async_sweep_stale("/tmp", {.target = "x"});
    tempio::mkstemp_options mo{.prefix = "x"};
    tempio::mkdtemp_options mdo{.suffix = "y"};
    (void)mo;
    (void)mdo;
    co_await tempio::with_temporary_file({.suffix = ".s"},
                                         [](auto&) -> net::awaitable<void> { co_return; });
    int r = co_await tempio::async_run_blocking([] { return 1; });
    (void)r;
    co_await a.async_sync();
    co_await b.async_datasync();
    (void)c;
    (void)d;
    (void)e;
    (void)f;
    (void)g;
    (void)h;
    (void)i;
    (void)j;
    (void)k;
}
