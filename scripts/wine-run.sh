#!/usr/bin/env bash
# Runs a Windows program under Wine 8.0 (Debian's wine64), quietly: the
# emulator CMake and ctest use for the windows preset (cmake/toolchains/).
# Its own prefix, made on first use, so a user's ~/.wine is never touched.
set -euo pipefail
export WINEPREFIX="${TEMPIO_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tempio-wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"  # no Mono/Gecko prompts
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || command -v wine)
exec "$wine" "$@"
