#include "core/on_demand_path.hpp"

#include <mutex>

namespace tempio::detail {

namespace {
std::mutex g_making;  // rare: once per object whose path is asked for
}

void on_demand_path::make() const {
    std::lock_guard lock(g_making);
    if (made_.load(std::memory_order_relaxed)) return;
    made_path_ = path_of_utf8(text_);
    made_.store(true, std::memory_order_release);
}

}  // namespace tempio::detail
