#include "core/fork_generation.hpp"

#include <pthread.h>

#include <atomic>

namespace tempio::detail {
namespace {

std::atomic<unsigned> g_generation{1};

void on_fork_child() noexcept {
    g_generation.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

unsigned fork_generation() noexcept {
    static const int registered = ::pthread_atfork(nullptr, nullptr, on_fork_child);
    (void)registered;
    return g_generation.load(std::memory_order_relaxed);
}

}  // namespace tempio::detail
