#!/usr/bin/env bash
# Builds and runs the whole test suite through ctest:
#   dev preset (default backend: io_uring where the kernel allows it), dev
#   again with TEMPIO_BACKEND=threads forced (the worker pool), dev once more
#   on /dev/shm with TEMPIO_INLINE=on (tmpfs: creations and closes made on
#   the calling thread, DESIGN section 9; the tests that prove where work
#   runs, or count a sequence of calls, are left out of that pass),
#   asan preset (ASan + UBSan, examples included), tsan preset on the tests
#   labelled "concurrency".
# TEMPIO_TEST_PRESETS chooses a subset, e.g. TEMPIO_TEST_PRESETS=dev.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
presets=${TEMPIO_TEST_PRESETS:-"dev asan tsan"}
jobs=$(nproc)
for preset in $presets; do
  echo "== preset $preset =="
  cmake --preset "$preset" >/dev/null
  if [ "$preset" = tsan ]; then
    # Only the concurrency tests run under TSan: build just those.
    targets=$(ls tests/*concurrency*_test.cpp | xargs -n1 basename | sed 's/\.cpp$//')
    cmake --build --preset tsan -j "$jobs" --target $targets
  else
    cmake --build --preset "$preset" -j "$jobs"
  fi
  case "$preset" in
    dev)
      ctest --preset dev -j "$jobs"
      echo "== preset dev, TEMPIO_BACKEND=threads =="
      TEMPIO_BACKEND=threads ctest --preset dev -j "$jobs"
      if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ]; then
        echo "== preset dev on /dev/shm, TEMPIO_INLINE=on =="
        TMPDIR=/dev/shm TEMPIO_INLINE=on ctest --preset dev -j "$jobs" \
          -E '^(backend|cancellation|[a-z_]*sweep)\.'
      fi ;;
    tsan)
      TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/tests/tsan.supp" \
        ctest --preset tsan -j "$jobs" -L concurrency ;;
    *)
      ctest --preset "$preset" -j "$jobs" ;;
  esac
done
