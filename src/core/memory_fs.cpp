#include "core/memory_fs.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <mutex>
#include <optional>
#include <unordered_map>

namespace tempio::detail {
namespace {

constexpr std::size_t max_remembered = 256;  // beyond: asked each time

bool is_memory(const struct statfs& st) noexcept {
    return st.f_type == TMPFS_MAGIC || st.f_type == RAMFS_MAGIC;
}

bool probe(const std::string& dir) noexcept {
    // Not through the system-call seam: a probe whose failure only means
    // "not known to be memory" is no part of any operation's outcome.
    struct statfs st {};
    return ::statfs(dir.c_str(), &st) == 0 && is_memory(st);
}

struct remembered_dirs {
    std::mutex mutex;
    std::unordered_map<std::string, bool> known;
};

remembered_dirs& dirs() noexcept {
    static remembered_dirs d;
    return d;
}

std::optional<bool> remembered(const std::string& dir) noexcept {
    auto& d = dirs();
    std::lock_guard lock(d.mutex);
    if (auto it = d.known.find(dir); it != d.known.end()) return it->second;
    return std::nullopt;
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
    struct statfs st {};
    return ::fstatfs(fd, &st) == 0 && is_memory(st);  // as probe: not through the seam
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
