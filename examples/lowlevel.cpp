// anyio's low-level example (mkstemp, mkdtemp, gettempdir), in tempio.
#include <filesystem>
#include <iostream>

#include <tempio/tempio.hpp>

namespace net = tempio::net;

net::awaitable<void> co_main() {
    auto [fd, path] =
        co_await tempio::async_mkstemp({.suffix = ".txt", .prefix = "mkstemp_", .text = true});
    std::cout << "Created temp file: " << path.string() << "\n";

    auto temp_dir = co_await tempio::async_mkdtemp({.prefix = "mkdtemp_"});
    std::cout << "Created temp dir: " << temp_dir.string() << "\n";

    std::cout << "Default temp dir: " << (co_await tempio::async_gettempdir()).string() << "\n";

    std::filesystem::remove(path);
    std::filesystem::remove(temp_dir);  // anyio's example leaves it; we tidy up
}

int main() {
    tempio::run(co_main);
}
