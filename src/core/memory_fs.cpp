#include "core/memory_fs.hpp"

#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "platform/platform.hpp"

namespace tempio::detail {
namespace {

constexpr std::size_t max_remembered = 256;  // beyond: asked each time

bool probe(const std::string& dir) noexcept {
    return platform::directory_on_memory_fs(dir.c_str());
}

struct remembered_dirs {
    std::mutex mutex;
    std::unordered_map<std::string, bool> known;
};

remembered_dirs& dirs() noexcept {
    static remembered_dirs d;
    return d;
}

// The last answer this thread found: a creation asks once per file, almost
// always about the same directory, and a remembered answer never changes
// (remember only adds), so the copy cannot go stale. Plain data: usable in
// any destructor at thread exit; a longer directory is not kept.
struct last_answer {
    static constexpr std::size_t max = 240;
    char dir[max];
    std::size_t size;  // 0: nothing kept
    bool memory;

    bool is(const std::string& d) const noexcept {
        return size != 0 && d.size() == size && std::memcmp(dir, d.data(), size) == 0;
    }
    void keep(const std::string& d, bool m) noexcept {
        size = 0;
        if (d.empty() || d.size() > max) return;
        std::memcpy(dir, d.data(), d.size());
        memory = m;
        size = d.size();
    }
};
thread_local last_answer t_last{};

std::optional<bool> remembered(const std::string& dir) noexcept {
    if (t_last.is(dir)) return t_last.memory;
    std::optional<bool> found;
    {
        auto& d = dirs();
        std::lock_guard lock(d.mutex);
        if (auto it = d.known.find(dir); it != d.known.end()) found = it->second;
    }
    if (found) t_last.keep(dir, *found);
    return found;
}

void remember(const std::string& dir, bool memory) noexcept {
    auto& d = dirs();
    try {
        std::lock_guard lock(d.mutex);
        if (d.known.size() < max_remembered) d.known.emplace(dir, memory);
    } catch (...) {  // out of memory remembering: asked again next time
    }
}

}  // namespace

bool fd_on_memory_fs(int fd) noexcept {
    return platform::descriptor_on_memory_fs(fd);
}

bool on_memory_fs(const std::string& dir) noexcept {
    std::optional<bool> known = remembered(dir);
    if (known) return *known;
    bool memory = probe(dir);
    remember(dir, memory);
    return memory;
}

bool known_on_memory_fs(const std::string& dir) noexcept {
    return remembered(dir).value_or(false);
}

}  // namespace tempio::detail
