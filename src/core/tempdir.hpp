// gettempdir's search, as CPython's tempfile._get_default_tempdir.
#pragma once

#include <string>
#include <vector>

#include <boost/system/error_code.hpp>

namespace tempio::detail {

using boost::system::error_code;

// $TMPDIR, $TEMP, $TMP (non-empty only), /tmp, /var/tmp, /usr/tmp, then cwd.
std::vector<std::string> candidate_tempdirs();

// True when a file can really be created and written in `dir`; the probe
// file is removed again whatever happens.
bool probe_tempdir(const std::string& dir, error_code& ec);

// The cached temp directory (searching on first use or after set_tempdir({})).
std::string tempdir(error_code& ec);
// Whether tempdir() would answer without a system call (already searched).
bool tempdir_known() noexcept;
// Changes whenever tempdir()'s answer may have (set_tempdir, a new search).
unsigned tempdir_generation() noexcept;
// Throws system_error: EINVAL for an embedded NUL (as the dir option), the
// getcwd error for a relative dir that cannot be made absolute. Nothing
// changes then.
void override_tempdir(std::string dir);

}  // namespace tempio::detail
