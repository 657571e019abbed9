#!/usr/bin/env bash
# Builds and runs the whole test suite through ctest: the dev preset with the
# default backend, then again with the worker pool forced
# (TEMPIO_BACKEND=threads), then the asan preset (ASan + UBSan).
# Set TEMPIO_TEST_PRESETS to choose, e.g. "dev" for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
presets=${TEMPIO_TEST_PRESETS:-"dev asan"}
jobs=$(nproc)
for preset in $presets; do
  echo "== preset $preset =="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
  if [ "$preset" = dev ]; then
    echo "== preset dev, TEMPIO_BACKEND=threads =="
    TEMPIO_BACKEND=threads ctest --preset dev -j "$jobs"
  fi
done
