#include "core/memory_fs.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <mutex>
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

}  // namespace

bool fd_on_memory_fs(int fd) noexcept {
    struct statfs st {};
    return ::fstatfs(fd, &st) == 0 && is_memory(st);  // as probe: not through the seam
}

bool on_memory_fs(const std::string& dir) noexcept {
    static std::mutex mutex;
    static std::unordered_map<std::string, bool> known;
    try {
        {
            std::lock_guard lock(mutex);
            if (auto it = known.find(dir); it != known.end()) return it->second;
        }
        bool memory = probe(dir);
        std::lock_guard lock(mutex);
        if (known.size() < max_remembered) known.emplace(dir, memory);
        return memory;
    } catch (...) {  // out of memory remembering: not known
        return false;
    }
}

}  // namespace tempio::detail
