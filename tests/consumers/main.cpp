// The README's first example, verbatim: every consumer build compiles it with
// -Wall -Wextra -Werror and runs it (scripts/consumers.sh). Keep the two equal.
// Verbatim, as the README shows it (compared line by line), so not reformatted:
// clang-format off
#include <iostream>
#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> co_main() {
    auto f = co_await tempio::temporary_file::async_create({.mode = "w+"});
    co_await f.async_write("Temporary file content");
    co_await f.async_seek(0);
    std::cout << co_await f.async_read() << "\n";  // Output: Temporary file content
    co_await f.async_close();
}

int main() { tempio::run(co_main); }
