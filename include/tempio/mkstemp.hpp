// tempio/mkstemp.hpp: the low-level calls, as CPython's tempfile.mkstemp and
// tempfile.mkdtemp. The caller owns what they create.
//
// Names are prefix + 8 random characters of [a-z0-9_] + suffix; a name that
// exists (file or directory) is skipped, up to TMP_MAX tries (then EEXIST).
// Files: O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600. Directories:
// mode 0700. An empty `dir` means gettempdir(). Returned paths are absolute.
// Errors, with nothing created: invalid_argument for a prefix or suffix with
// '/' or NUL; what the kernel says for a bad `dir` (ENOENT, ENOTDIR, EACCES).
//
// Asynchronous forms: the whole retry loop is one job on a worker.
// Cancellation (terminal, partial, total): before the job starts, nothing is
// done; if it arrives while the file or directory is being created, it is
// removed again. Both complete with operation_aborted.
#pragma once

#include <filesystem>
#include <string_view>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"
#include "tempio/path_view.hpp"
#include "tempio/unique_fd.hpp"

namespace tempio {

struct mkstemp_options {
    std::string_view suffix{};
    std::string_view prefix = "tmp";
    path_view dir{};
    bool text = false;  // no difference on POSIX; kept for parity with Python
};

struct mkstemp_result {
    unique_fd fd{};
    std::filesystem::path path{};
};

struct mkdtemp_options {
    std::string_view suffix{};
    std::string_view prefix = "tmp";
    path_view dir{};
};

mkstemp_result mkstemp(const mkstemp_options& options = {});
mkstemp_result mkstemp(const mkstemp_options& options, error_code& ec);
std::filesystem::path mkdtemp(const mkdtemp_options& options = {});
std::filesystem::path mkdtemp(const mkdtemp_options& options, error_code& ec);

namespace detail {
void start_mkstemp(const mkstemp_options& options, handler<mkstemp_result> h);
void start_mkdtemp(const mkdtemp_options& options, handler<std::filesystem::path> h);
}  // namespace detail

template <net::completion_token_for<void(error_code, mkstemp_result)> Token = net::deferred_t>
auto async_mkstemp(mkstemp_options options, Token&& token = {}) {
    return detail::initiate<mkstemp_result>(
        std::forward<Token>(token),
        [](mkstemp_options o, auto h) { detail::start_mkstemp(o, std::move(h)); }, options);
}

template <
    net::completion_token_for<void(error_code, std::filesystem::path)> Token = net::deferred_t>
auto async_mkdtemp(mkdtemp_options options, Token&& token = {}) {
    return detail::initiate<std::filesystem::path>(
        std::forward<Token>(token),
        [](mkdtemp_options o, auto h) { detail::start_mkdtemp(o, std::move(h)); }, options);
}

}  // namespace tempio
