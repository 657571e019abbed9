#!/usr/bin/env bash
# The platform seam holds (docs/platforms.md):
# 1. src/core and src/async name no Linux-only call, flag or path: those live
#    in src/platform/linux/ (and the io_uring driver in src/backend/ring*).
# 2. The POSIX-only build (preset posix: TEMPIO_PLATFORM=posix) compiles no
#    Linux-only code: its objects reference none of renameat2, statx,
#    io_uring_*, memfd_create, syncfs, getrandom, sysinfo (nm -u), and no
#    source it compiles includes a <linux/...> header itself.
# 3. The whole suite runs in that build: every test passes or skips itself
#    through a platform query (tempio/platform.hpp); the skips are listed.
# Usage: scripts/check_platform.sh [--no-tests]
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0

# 1. The grep: code only (// comments stripped), whole words.
linux_only='renameat2|statx|O_TMPFILE|O_PATH|AT_EMPTY_PATH|RENAME_NOREPLACE|RENAME_EXCHANGE|getrandom|MADV_WIPEONFORK|statfs|sysinfo|/proc/|memfd_create|syncfs|io_uring_[a-z_]+|<linux/'
found=$(for f in $(find src/core src/async -name '*.[ch]pp' | sort); do
  sed 's|//.*$||' "$f" | grep -nE "$linux_only" | sed "s|^|$f:|" || true
done)
if [ -n "$found" ]; then
  echo "check_platform: Linux-only names outside src/platform/linux:" >&2
  echo "$found" >&2
  fail=1
else
  echo "check_platform: src/core and src/async name no Linux-only call"
fi

# 2. The POSIX-only build.
cmake --preset posix >/dev/null
cmake --build --preset posix -j "$(nproc)"
objects=$(find build/posix/src -name '*.o' | sort)
bad=$(nm -u $objects 2>/dev/null | grep -E ' (renameat2|statx|io_uring_[a-z_]+|memfd_create|syncfs|getrandom|sysinfo)(@.*)?$' | sort -u || true)
if [ -n "$bad" ]; then
  echo "check_platform: the POSIX build references Linux-only symbols:" >&2
  echo "$bad" >&2
  fail=1
else
  echo "check_platform: the POSIX build's $(echo $objects | wc -w) objects reference no Linux-only symbol"
fi
# Direct includes of the sources it compiles (system headers may include
# <linux/...> themselves on Linux: not ours to judge).
compiled=$(grep -o '"file": "[^"]*"' build/posix/compile_commands.json | sed 's/"file": "//; s/"$//' | grep '/src/' | sort -u)
headers=$(grep -rlE '#include <linux/' src include | grep -vE '^src/platform/linux/|^src/backend/ring' || true)
inc=$(grep -lE '#include <linux/' $compiled || true)
if [ -n "$inc$headers" ]; then
  echo "check_platform: <linux/...> included outside src/platform/linux: $inc $headers" >&2
  fail=1
fi
[ "$fail" = 0 ] || exit 1

# 3. The whole suite, pool backend (there is no other here).
if [ "${1:-}" != "--no-tests" ]; then
  log=build/posix/ctest.log
  set +e
  ctest --preset posix -j "$(nproc)" >"$log" 2>&1
  status=$?
  set -e
  echo "check_platform: tests skipped on the POSIX build (their platform query says no):"
  grep -E '\(Skipped\)' "$log" | sed 's/^/  /' || echo "  none"
  # A failure's output in full, then ctest's summary and the totals last.
  [ "$status" = 0 ] || { echo "check_platform: ctest failed; its log:"; cat "$log"; }
  grep -E 'tests passed, [0-9]+ tests failed out of' "$log" || true
  bash scripts/test_totals.sh "$log"
  exit "$status"
fi
