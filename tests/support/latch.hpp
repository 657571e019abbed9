// A latch for the tests' own threads, as std::latch, built on a mutex and a
// condition variable: MinGW-w64's libstdc++ 12 std::latch loses wake-ups
// on Windows (core/atomic_wait.hpp says how it was seen).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace tempio::test {

class latch {
  public:
    explicit latch(std::ptrdiff_t count) : count_(count) {}
    latch(const latch&) = delete;
    latch& operator=(const latch&) = delete;

    void count_down(std::ptrdiff_t n = 1) {
        std::lock_guard lock(mutex_);
        count_ -= n;
        if (count_ <= 0) zero_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        zero_.wait(lock, [this] { return count_ <= 0; });
    }
    void arrive_and_wait(std::ptrdiff_t n = 1) {
        count_down(n);
        wait();
    }

  private:
    std::mutex mutex_;
    std::condition_variable zero_;
    std::ptrdiff_t count_;
};

}  // namespace tempio::test
