// The signal cleanup's registry under threads (core/signal_cleanup.hpp):
// registrations, unregistrations and chunk growth on several threads while
// another thread runs the cleanup over and over, as a signal on another
// thread would. The cleanup removes only names registered at that moment
// (a file never registered survives); the counts come back to zero; under
// ThreadSanitizer (the "concurrency" label), no data race. This process never
// installs the handlers: it calls the registry directly.
#include <unistd.h>

#include <atomic>
#include <climits>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/signal_cleanup.hpp"
#include "support/test_dir.hpp"
#include "tempio/platform.hpp"

namespace fs = std::filesystem;
namespace sc = tempio::detail::signal_cleanup;
using tempio::test::entries;

namespace {

using signal_registry_concurrency = tempio::test::test_dir;

constexpr int workers = 4;
#ifdef _WIN32
constexpr int rounds = 30;  // a file creation under Wine costs ~10x Linux's: the same races, 10 s
#else
constexpr int rounds = 300;
#endif
constexpr int held = 100;  // per worker and round: 400 at once, chunks grow

TEST_F(signal_registry_concurrency, register_unregister_and_cleanup_race_safely) {
    std::ofstream(dir_ / "never-registered") << "x";
    std::atomic<int> running{workers};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            std::vector<sc::token> tokens;
            std::vector<std::string> paths;
            for (int r = 0; r < rounds; ++r) {
                tokens.clear();
                paths.clear();
                for (int i = 0; i < held; ++i) {
                    std::string p =
                        (dir_ / ("w" + std::to_string(w) + "_" + std::to_string(i))).string();
                    std::ofstream(p) << "x";
                    sc::token t = sc::register_slow(p, sc::name_kind::file);
                    if (!t) failed = true;
                    tokens.push_back(t);
                    paths.push_back(std::move(p));
                }
                for (std::size_t i = 0; i < tokens.size(); ++i) {
                    sc::unregister(tokens[i]);
                    ::unlink(paths[i].c_str());  // ours again, or removed by the cleanup
                }
            }
            running.fetch_sub(1);
        });
    }
    std::thread cleaner([&] {
        while (running.load() != 0) sc::remove_all();
    });
    for (auto& t : threads) t.join();
    cleaner.join();
    EXPECT_FALSE(failed.load());
    EXPECT_EQ(sc::registered_count(), 0u);
    EXPECT_EQ(entries(dir_), std::vector<std::string>{"never-registered"});
}

TEST_F(signal_registry_concurrency, a_directory_is_emptied_and_removed) {
    const fs::path d = dir_ / "tree";
    fs::create_directories(d / "a" / "b");
    std::ofstream(d / "a" / "b" / "f") << "x";
    std::ofstream(d / "g") << "x";
    fs::create_directory(dir_ / "outside");
    std::ofstream(dir_ / "outside" / "canary") << "x";
    if (tempio::test::can_make_symlinks())  // else a tree without one
        fs::create_directory_symlink(dir_ / "outside", d / "a" / "link");
    sc::token t = sc::register_slow(d.string(), sc::name_kind::directory);
    ASSERT_TRUE(t);
    sc::remove_all();
    sc::unregister(t);
    if (tempio::signal_cleanup_removes_trees()) {
        EXPECT_FALSE(fs::exists(fs::symlink_status(d)));
    }
    EXPECT_TRUE(fs::exists(dir_ / "outside" / "canary"));  // the link was not followed
    fs::remove_all(d);
}

TEST_F(signal_registry_concurrency, too_long_a_path_is_not_registered) {
    std::string p = dir_.string() + "/" + std::string(PATH_MAX, 'x');
    EXPECT_FALSE(sc::register_slow(p, sc::name_kind::file));
    EXPECT_FALSE(sc::register_name(dir_.string(), sc::name_kind::file));  // not enabled here
}

}  // namespace
