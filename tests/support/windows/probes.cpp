// What this Windows (or Wine) does, probed once through tempio itself: the
// tests that need it skip, saying which (support/test_dir.hpp).
#include <windows.h>

#include <filesystem>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/deferred.hpp>

#include "support/test_dir.hpp"
#include "tempio/named_temporary_file.hpp"
#include "tempio/run.hpp"
#include "tempio/temporary_file.hpp"

namespace tempio::test {
namespace {
namespace fs = std::filesystem;
namespace net = boost::asio;

fs::path probe_dir(const char* what) {
    fs::path dir = fs::temp_directory_path() / ("tempio-probe-" + std::string(what) + "-" +
                                                std::to_string(::GetCurrentProcessId()));
    fs::create_directories(dir);
    return dir;
}
}  // namespace

bool anonymous_files_have_no_name() {
    static const bool none = [] {
        const fs::path dir = probe_dir("anonymous");
        const bool empty = tempio::run([&]() -> net::awaitable<bool> {
            tempio::temporary_file::options options;
            options.dir = dir;
            auto f = co_await tempio::temporary_file::async_create(options);
            const bool no_name = fs::is_empty(dir);
            co_await f.async_close();
            co_return no_name;
        });
        std::error_code ec;
        fs::remove_all(dir, ec);
        return empty;
    }();
    return none;
}

bool can_replace_open_files() {
    static const bool can = [] {
        const fs::path dir = probe_dir("replace");
        const fs::path target = dir / "target";
        HANDLE held = ::CreateFileW(target.c_str(), GENERIC_READ | GENERIC_WRITE,
                                    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                    CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
        bool replaced = false;
        if (held != INVALID_HANDLE_VALUE) {
            replaced = tempio::run([&]() -> net::awaitable<bool> {
                tempio::named_temporary_file::options options;
                options.dir = dir;
                auto f = co_await tempio::named_temporary_file::async_create(options);
                auto [ec] = co_await f.async_persist(target, net::as_tuple(net::deferred));
                co_await f.async_close();
                co_return !ec;
            });
            ::CloseHandle(held);
        }
        std::error_code ec;
        fs::remove_all(dir, ec);
        return replaced;
    }();
    return can;
}

}  // namespace tempio::test
