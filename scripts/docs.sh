#!/usr/bin/env bash
# Builds the API reference (the `docs` target, Doxygen) from the public
# headers into build/docs/docs/html/; any Doxygen warning fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh doxygen
cmake -S . -B build/docs -G Ninja -DTEMPIO_BUILD_TESTS=OFF -DTEMPIO_BUILD_EXAMPLES=OFF \
  -DTEMPIO_BUILD_BENCH=OFF >/dev/null
cmake --build build/docs --target docs
echo "API reference: build/docs/docs/html/index.html"
