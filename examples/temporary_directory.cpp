// anyio's TemporaryDirectory example, in tempio.
#include <iostream>

#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> co_main() {
    auto temp_dir = co_await tempio::temporary_directory::async_create({});
    std::cout << "Temporary directory path: " << temp_dir.path().string() << "\n";
    co_await temp_dir.async_cleanup();
}

int main() {
    tempio::run(co_main);
}
