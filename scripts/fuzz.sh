#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs
# each for a fixed time. The core under src/core needs no Asio, so the
# sources each target needs are compiled directly.
#   TEMPIO_FUZZ_SECONDS   seconds per target (default 20; a long run: 3600)
#   TEMPIO_FUZZ_TARGETS   subset, e.g. "mode_fuzz"
# Corpora are kept in build/fuzz/corpus-<target> between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh clang libclang-rt-14-dev  # libFuzzer's runtime
seconds=${TEMPIO_FUZZ_SECONDS:-20}
targets=${TEMPIO_FUZZ_TARGETS:-"mode_fuzz remove_tree_fuzz"}
out=build/fuzz
mkdir -p "$out"
cxx=${CXX_FUZZ:-clang++}
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -fno-omit-frame-pointer -Iinclude -Isrc -DTEMPIO_PLATFORM_LINUX=1)
core=(src/core/sys.cpp src/core/fork_generation.cpp src/core/names.cpp src/core/paths.cpp src/core/tempdir.cpp
      src/core/create.cpp src/core/mode.cpp src/core/unique_fd.cpp src/core/remove_tree.cpp
      src/core/steps/syscall.cpp src/platform/linux/*.cpp)
status=0
for target in $targets; do
  echo "== fuzz $target (${seconds}s) =="
  "$cxx" "${flags[@]}" "fuzz/$target.cpp" "${core[@]}" -o "$out/$target" -lpthread
  mkdir -p "$out/corpus-$target"
  if ! "$out/$target" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$out/$target-" "$out/corpus-$target" 2>"$out/$target.log"; then
    status=1
    tail -50 "$out/$target.log"
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$out/$target.log" || true
done
exit $status
