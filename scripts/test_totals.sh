#!/usr/bin/env bash
# Prints one closing line for the ctest logs given: "tests: N passed, N
# failed, N skipped", counted from ctest's per-test result lines. CI readers
# take a run's closing line as its verdict; ctest's own summary is followed
# by its list of skipped tests, which reads like a run that tested nothing.
# Usage: scripts/test_totals.sh LOG...
set -euo pipefail
cat "$@" | awk '
  / Test +#[0-9]+: / {
    if ($0 ~ /\*\*\*Skipped/) skipped++
    else if ($0 ~ / Passed +[0-9.]+ sec/) passed++
    else failed++
  }
  END { printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped }'
