#!/usr/bin/env bash
# The Windows build (docs/platforms.md): cross-built with MinGW-w64 (GCC 12,
# POSIX threads), GoogleTest from /usr/src/googletest, the suite and the
# tour's examples run under Wine 8.0, one process per test program (a Wine
# start costs seconds): every program built for Windows, and the examples.
# Wine is not Windows: docs/platforms.md says what this proves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh g++-mingw-w64-x86-64-posix wine64 googletest
cmake --preset windows >/dev/null
cmake --build --preset windows -j "$(nproc)"
# The first run makes the Wine prefix (wineboot, ~20 s); later runs reuse it.
bash scripts/wine-run.sh cmd /c exit 0 >/dev/null 2>&1 || true
mkdir -p build/test-logs
# One program at a time: with two at once, programs that pass alone hung
# under Wine (docs/platforms.md). A program that times out (120 s) runs once
# more, and the log shows it.
ctest --preset windows -j 1 --repeat after-timeout:2 -V 2>&1 | tee build/test-logs/windows.log
# Test cases each program skipped, and why (GTEST_SKIP's message; -V above
# prefixes each program's lines with its test number).
echo "== windows: skipped test cases, each with its reason:"
awk '/: Skipped\r?$/ {getline why; sub(/^[0-9]+: /, "", why); sub(/\r$/, "", why); skip = why}
     /\[  SKIPPED \] [a-z_]+\.[a-z_0-9\/]+ \(/ {n = split($0, f, " "); print "  " f[n - 2] ": " skip}' \
  build/test-logs/windows.log | sort -u
