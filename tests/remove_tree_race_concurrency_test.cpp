// The race (CVE-2022-21658's shape): while the remover works, an attacker
// thread keeps exchanging a subdirectory of the tree with a symlink to an
// outside directory full of canaries. Not one canary may be touched, and
// once the attacker stops, a second pass removes everything.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/remove_tree.hpp"
#include "support/test_dir.hpp"

namespace fs = std::filesystem;
using tempio::detail::remove_tree;

namespace {

// Thousands of rounds each build a small tree: on tmpfs that costs
// microseconds, on a loaded disk milliseconds. The race is in the kernel's
// path walk, the same on every file system, so use /dev/shm when it exists.
class remove_tree_race : public tempio::test::test_dir {
  protected:
    void SetUp() override {
        test_dir::SetUp();
        std::string tmpl = fs::is_directory("/dev/shm") ? "/dev/shm/tempio-race.XXXXXX"
                                                        : (dir_ / "race.XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        ::chmod(tmpl.c_str(), 0755);
        base_ = tmpl;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(base_, ec);
        test_dir::TearDown();
    }
    fs::path base_;
};

// Canary path -> mode and content (and the canary directory's own mode).
std::map<std::string, std::string> canaries(const fs::path& dir) {
    return tempio::test::tree_snapshot(dir);
}

void make_outside(const fs::path& outside, mode_t dir_mode) {
    fs::create_directories(outside / "inner");
    for (int i = 0; i < 8; ++i) {
        std::ofstream(outside / ("canary" + std::to_string(i))) << "canary " << i;
        std::ofstream(outside / "inner" / ("canary" + std::to_string(i))) << "inner " << i;
    }
    ::chmod((outside / "inner").c_str(), dir_mode);
    ::chmod(outside.c_str(), dir_mode);
}

// One round's tree: root/sub (a directory worth descending into) and
// root/link -> outside, which the attacker exchanges atomically.
void make_round(const fs::path& root, const fs::path& outside, mode_t dir_mode) {
    fs::create_directories(root / "sub" / "nested");
    for (int i = 0; i < 6; ++i) {
        std::ofstream(root / "sub" / ("f" + std::to_string(i))) << i;
        std::ofstream(root / "sub" / "nested" / ("f" + std::to_string(i))) << i;
    }
    fs::create_directory_symlink(outside, root / "link");
    ::chmod((root / "sub" / "nested").c_str(), dir_mode);
    ::chmod((root / "sub").c_str(), dir_mode);
}

// The attacker: one thread for all rounds, attacking only while armed. Each
// step holds `step`, so disarming and then taking `step` once guarantees the
// attacker is idle while the test builds and checks trees.
class attacker {
  public:
    attacker(const fs::path& root, const fs::path& outside)
        : sub_((root / "sub").string()),
          link_((root / "link").string()),
          outside_(outside.string()),
          thread_([this] { loop(); }) {}
    ~attacker() {
        quit_ = true;
        thread_.join();
    }
    void arm() {
        swaps_ = 0;
        armed_ = true;
        while (swaps_.load() == 0) std::this_thread::yield();  // attacking already
    }
    int swaps() const { return swaps_.load(); }
    int disarm() {
        armed_ = false;
        std::lock_guard<std::mutex> idle(step_);
        return swaps_.load();
    }

  private:
    void loop() {
        while (!quit_.load()) {
            if (!armed_.load()) {
                std::this_thread::sleep_for(std::chrono::microseconds(50));  // idle: leave the CPU
                continue;
            }
            std::lock_guard<std::mutex> lock(step_);
            if (!armed_.load()) continue;
            if (::renameat2(AT_FDCWD, sub_.c_str(), AT_FDCWD, link_.c_str(), RENAME_EXCHANGE) == 0)
                swaps_.fetch_add(1);
            else if (errno == ENOENT) {  // the remover took one of them: put links back
                ::symlink(outside_.c_str(), sub_.c_str());
                ::symlink(outside_.c_str(), link_.c_str());
            }
        }
    }
    std::string sub_, link_, outside_;
    std::mutex step_;
    std::atomic<bool> armed_{false}, quit_{false};
    std::atomic<int> swaps_{0};
    std::thread thread_;
};

// Runs `rounds` rounds; returns the number of rounds in which the attacker
// won an exchange while the remover ran, or -1 if a canary changed.
int race(const fs::path& base, mode_t dir_mode, int rounds) {
    fs::path outside = base / "outside", root = base / "root";
    make_outside(outside, dir_mode);
    const auto before = canaries(outside);
    attacker evil(root, outside);
    int contested = 0;
    for (int round = 0; round < rounds; ++round) {
        make_round(root, outside, dir_mode);
        evil.arm();
        int swaps_before = evil.swaps();
        remove_tree(root);  // may fail: the attacker keeps adding entries
        if (evil.disarm() > swaps_before) ++contested;  // swapped while we removed
        if (canaries(outside) != before) {
            std::fprintf(stderr, "round %d: a canary was touched\n", round);
            return -1;
        }
        auto r = remove_tree(root);  // the attacker is idle: all of it now
        if (r.ec || fs::exists(fs::symlink_status(root))) {
            std::fprintf(stderr, "round %d: %s at '%s'\n", round, r.ec.message().c_str(),
                         r.where.c_str());
            return -1;
        }
    }
    return contested;
}

constexpr int rounds = 1000;  // per test: two tests, 2000 rounds

}  // namespace

TEST_F(remove_tree_race, directory_swapped_for_symlink_never_reaches_the_canaries) {
    int contested = race(base_, 0755, rounds);
    ASSERT_GE(contested, 0) << "a canary outside the tree was touched";
    EXPECT_GT(contested, rounds / 10) << "the attacker rarely raced: the test proves little";
    std::printf("contested rounds: %d of %d\n", contested, rounds);
}

// The same with read-only directories on both sides, unprivileged, so every
// round goes through permission repair: a chmod that followed the swapped
// link would make the outside directories writable.
TEST_F(remove_tree_race, permission_repair_never_reaches_the_canaries_unprivileged) {
    fs::path home = base_ / "home";
    fs::create_directories(home);
    int status = 0;
    if (::geteuid() != 0) {
        status = race(home, 0500, rounds) > 0 ? 0 : 1;
    } else {
        ASSERT_EQ(::chown(home.c_str(), 65534, 65534), 0);
        status = tempio::test::run_unprivileged([&] {
            if (::geteuid() == 0) return 3;
            int contested = race(home, 0500, rounds);
            if (contested < 0) return 1;
            return contested > rounds / 10 ? 0 : 2;
        });
    }
    EXPECT_EQ(status, 0) << "1: canary touched, 2: no race happened, -1: could not drop to "
                            "uid 65534";
    ::chmod((home / "outside" / "inner").c_str(), 0700);
    ::chmod((home / "outside").c_str(), 0700);
}
