// tempio/tempdir.hpp: the directory temporary files go to by default.
//
// Search order, as CPython's tempfile.gettempdir(): $TMPDIR, $TEMP, $TMP
// (when non-empty), /tmp, /var/tmp, /usr/tmp, then the current directory.
// The first where a probe file can really be created and written wins (the
// probe is removed). The result is absolute, cached, and thread-safe to read.
//
// Asynchronous forms: the search (on first use) runs on a worker. Not
// cancellable once started; cancellation before start completes with
// operation_aborted. Complete with void(error_code, path) / (error_code, string).
#pragma once

#include <filesystem>
#include <string>

#include "tempio/config.hpp"
#include "tempio/detail/handler.hpp"

namespace tempio {

// Blocking; throw system_error(ENOENT, naming the candidates) when no
// candidate is usable.
std::filesystem::path gettempdir();
std::filesystem::path gettempdir(error_code& ec);
// The same directory as raw native bytes.
std::string gettempdirb();
std::string gettempdirb(error_code& ec);

// Overrides the directory (like assigning tempfile.tempdir); an empty path
// makes the next call search again (and see changed environment variables).
void set_tempdir(std::filesystem::path dir);

namespace detail {
void start_gettempdir(handler<std::filesystem::path> h);
void start_gettempdirb(handler<std::string> h);
}  // namespace detail

template <
    net::completion_token_for<void(error_code, std::filesystem::path)> Token = net::deferred_t>
auto async_gettempdir(Token&& token = {}) {
    return detail::initiate<std::filesystem::path>(
        std::forward<Token>(token), [](auto h) { detail::start_gettempdir(std::move(h)); });
}

template <net::completion_token_for<void(error_code, std::string)> Token = net::deferred_t>
auto async_gettempdirb(Token&& token = {}) {
    return detail::initiate<std::string>(std::forward<Token>(token),
                                         [](auto h) { detail::start_gettempdirb(std::move(h)); });
}

}  // namespace tempio
