// anyio's SpooledTemporaryFile example, in tempio.
#include <iostream>

#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> co_main() {
    auto f =
        co_await tempio::spooled_temporary_file::async_create({.max_size = 1024, .mode = "w+"});
    co_await f.async_write("Spooled temp file content");
    co_await f.async_seek(0);
    std::cout << co_await f.async_read() << "\n";
    co_await f.async_close();
}

int main() {
    tempio::run(co_main);
}
