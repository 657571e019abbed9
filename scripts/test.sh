#!/usr/bin/env bash
# Builds and runs the whole test suite through ctest, once per backend
# (TEMPIO_BACKEND=io_uring, where the kernel allows it, and the default,
# the worker pool): asan preset (ASan + UBSan at -O0, examples included),
# plus one more pass with TMPDIR=/dev/shm (tmpfs: by default a creation,
# close or commit with no other operation in flight runs on the calling
# thread, DESIGN section 9; TEMPIO_INLINE=on has its own tests in
# inline_dispatch_test); tsan preset on the tests labelled "concurrency",
# on each backend and once more on /dev/shm.
# The dev preset (no sanitizer) is not in the default set: the ASan build
# runs the same tests with more checks, and building both doubled the
# command's time (docs/reliability.md, "CI time"). .ci/run runs the tests
# that skip themselves under sanitizers in an unsanitized build.
# TEMPIO_TEST_PRESETS chooses the presets, e.g. TEMPIO_TEST_PRESETS=dev.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
presets=${TEMPIO_TEST_PRESETS:-"asan tsan"}
jobs=$(nproc)
# Each ctest run is kept in build/test-logs; the last line is their total.
logs=build/test-logs
rm -rf "$logs" && mkdir -p "$logs"
run=0
logged() { run=$((run + 1)); "$@" 2>&1 | tee "$logs/$run.log"; }
for preset in $presets; do
  echo "== preset $preset == (at ${SECONDS}s)"
  cmake --preset "$preset" >/dev/null
  if [ "$preset" = tsan ]; then
    # Only the concurrency tests run under TSan: build just those.
    targets=$(ls tests/*concurrency*_test.cpp | xargs -n1 basename | sed 's/\.cpp$//')
    cmake --build --preset tsan -j "$jobs" --target $targets
  else
    cmake --build --preset "$preset" -j "$jobs"
  fi
  for backend in io_uring auto; do
    echo "== preset $preset, TEMPIO_BACKEND=$backend == (at ${SECONDS}s)"
    case "$preset" in
      tsan)
        TEMPIO_BACKEND=$backend TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
          logged ctest --preset tsan -j "$jobs" -L concurrency ;;
      *)
        TEMPIO_BACKEND=$backend logged ctest --preset "$preset" -j "$jobs" ;;
    esac
  done
  if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
    # On tmpfs an operation alone in flight runs on the calling thread: the
    # whole suite there, and the concurrency tests under TSan there too.
    case "$preset" in
      dev | asan)
        echo "== preset $preset on /dev/shm (TMPDIR on tmpfs) == (at ${SECONDS}s)"
        TMPDIR=/dev/shm logged ctest --preset "$preset" -j "$jobs" ;;
      tsan)
        echo "== preset tsan on /dev/shm (TMPDIR on tmpfs) == (at ${SECONDS}s)"
        TMPDIR=/dev/shm TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
          logged ctest --preset tsan -j "$jobs" -L concurrency ;;
    esac
  fi
done
bash scripts/test_totals.sh "$logs"/*.log
