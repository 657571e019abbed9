#!/usr/bin/env bash
# The main job: build the examples and run the tour (each anyio documentation
# example, in tempio).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target tempio-tour
