#!/usr/bin/env bash
# A release libtempio exports no test hook (fault injection, name injection,
# job counters): those exist only in tempio-testable, which the tests link.
# Usage: scripts/check_release_symbols.sh [path/to/libtempio.a]
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:-build/release/src/libtempio.a}
if [ ! -f "$lib" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target tempio
fi
hooks='fail_next_core_slot|core_slots_made|fail_next_directory_core|arm_fault|disarm_fault|call_count|sys::faults|submission_fault|uring_setup_faults|set_name_source_for_testing|jobs_run|on_worker_thread'
if nm -C "$lib" | grep -E " [TtDdBbVvWu] .*(${hooks})" ; then
  echo "FAIL: $lib defines or uses a test hook (above)" >&2
  exit 1
fi
echo "ok: $lib has no test hook"
