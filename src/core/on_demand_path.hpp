// A path held as its text, with the std::filesystem::path that the public
// headers hand out (path()) made on first request. libstdc++ splits a path
// into components, with one more allocation, whenever one is made: for a
// named file created and deleted without anyone asking its path, that was
// an eighth of the creation's instructions (docs/performance.md).
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include "tempio/detail/path_text.hpp"

namespace tempio::detail {

class on_demand_path {
  public:
    const std::string& native() const noexcept { return text_; }
    const char* c_str() const noexcept { return text_.c_str(); }
    bool empty() const noexcept { return text_.empty(); }

    // Only by the object's owner (one strand at a time): a path handed out
    // already is updated at once, so a reference to it follows the object
    // (to a published file's target, say).
    on_demand_path& operator=(std::string text) {
        text_ = std::move(text);
        if (made_.load(std::memory_order_relaxed)) made_path_ = path_of_utf8(text_);
        return *this;
    }

    // Made once, under a lock: path() is const, and callers of const
    // member functions on several threads at once expect no data race.
    // Throws std::bad_alloc.
    const std::filesystem::path& public_path() const {
        if (!made_.load(std::memory_order_acquire)) make();
        return made_path_;
    }

  private:
    void make() const;

    std::string text_;
    mutable std::filesystem::path made_path_;
    mutable std::atomic<bool> made_{false};
};

}  // namespace tempio::detail
