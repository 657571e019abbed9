// anyio's NamedTemporaryFile example, in tempio.
#include <iostream>

#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> co_main() {
    auto f = co_await tempio::named_temporary_file::async_create({.mode = "w+", .keep = false});
    std::cout << "Temporary file name: " << f.path().string() << "\n";
    co_await f.async_write("Named temp file content");
    co_await f.async_seek(0);
    std::cout << co_await f.async_read() << "\n";
    co_await f.async_close();
}

int main() {
    tempio::run(co_main);
}
