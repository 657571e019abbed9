// The sweep of stale hidden names (tempio/sweep.hpp, docs/publishing.md):
// blocking; one job on the backend.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>

#include "tempio/sweep.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio::detail {

struct sweep_request {
    std::string dir;  // as the user gave it
    // For a relative dir: the current directory when the operation was
    // initiated (pin_current_directory). Null for an absolute one.
    std::shared_ptr<const unique_fd> base;
    std::string target;  // empty: the hidden names of any target
    std::chrono::nanoseconds min_age = std::chrono::hours(1);
};

// Copies what the request needs from the caller's views, and pins the
// current directory for a relative `dir` (on the calling thread: one openat).
sweep_request sweep_request_of(std::string_view dir, const sweep_options& o, error_code& ec);

// Whether `name` is a hidden name tempio makes (hidden_name_for): ".", a
// non-empty name (`target`'s first hidden_name_max bytes, when `target` is
// not empty), ".", then name_length characters of name_alphabet.
bool is_hidden_name(std::string_view name, std::string_view target = {});

// The sweep itself: the result lists what was removed, also with an error.
sweep_result sweep_stale_names(const sweep_request& r, error_code& ec);

}  // namespace tempio::detail
