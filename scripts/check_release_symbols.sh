#!/usr/bin/env bash
# A release libtempio has no test hook (fault and name injection, job
# counters, inline-dispatch switch...): those exist only in tempio-testable,
# which the tests link, compiled with TEMPIO_TEST_SEAM.
#
# The hooks are not listed here: a hand-kept list went stale (it named a
# hook that was gone and missed two that existed). They are read from the
# sources: every function declared or defined in an `#if TEMPIO_TEST_SEAM`
# branch in src/ or include/ (scripts/seam_hooks.awk), less those the
# `#else` branch defines too (release stand-ins). None may appear in the
# release library, defined or referenced.
#
# When a testable and a plain library built with the same flags are at hand
# (build/asan after the test command, or TEMPIO_SEAM_PAIR=<dir holding
# libtempio.a and libtempio-testable.a>), the list is cross-checked against
# what the seam really compiles: the tempio functions only the testable one
# defines must be exactly the hooks read from the sources, so a hook the
# scan misses (or a name it invents) fails here instead of passing unseen.
#
# Usage: scripts/check_release_symbols.sh [path/to/libtempio.a]
set -euo pipefail
export LC_ALL=C  # one collation for sort and comm
cd "$(dirname "$0")/.."
lib=${1:-build/release/src/libtempio.a}
if [ ! -f "$lib" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target tempio
fi

sources=$(find src include -name '*.[ch]pp' | sort)
# shellcheck disable=SC2086
scan=$(awk -f scripts/seam_hooks.awk $sources)
# "on" names less the "off" ones (a seam version of a function the release
# has too is not a hook).
hooks=$(comm -23 <(echo "$scan" | sed -n 's/^on //p' | sort -u) <(echo "$scan" | sed -n 's/^off //p' | sort -u))
if [ -z "$hooks" ]; then
  # A check with nothing to look for cannot fail: that is a defect too.
  echo "FAIL: no test hook found in the sources (is the seam still TEMPIO_TEST_SEAM? scripts/seam_hooks.awk)" >&2
  exit 1
fi

# Demangled symbol names of a library, one per line; `defined` keeps only
# those it defines.
symbols() {
  local opts=(-C)
  [ "${2:-}" = defined ] && opts+=(--defined-only)
  nm "${opts[@]}" "$1" | sed -nE 's/^[0-9a-f ]{8,16} [A-Za-z] //p' | sort -u
}

# The functions only a seam build defines, by qualified name (a function's
# static locals, `f()::state`, count as `f`; a name with a space is a return
# type before a template's name, e.g. an std:: helper instantiated for a
# tempio type, not a tempio function).
pair=${TEMPIO_SEAM_PAIR:-build/asan/src}
if [ -f "$pair/libtempio.a" ] && [ -f "$pair/libtempio-testable.a" ] &&
  [ -z "$(find src include -newer "$pair/libtempio.a" -print -quit)" ] &&
  [ -z "$(find src include -newer "$pair/libtempio-testable.a" -print -quit)" ]; then
  compiled=$(comm -23 <(symbols "$pair/libtempio-testable.a" defined) <(symbols "$pair/libtempio.a" defined) |
    sed 's/(anonymous namespace)/@anon@/g' | sed -n 's/^\(tempio::[^(]*\)(.*/\1/p' |
    { grep -v ' ' || true; } | sed 's/@anon@/(anonymous namespace)/g' | sort -u)
  missed=$(comm -13 <(echo "$hooks") <(echo "$compiled"))
  invented=$(comm -23 <(echo "$hooks") <(echo "$compiled"))
  if [ -n "$missed$invented" ]; then
    echo "FAIL: the hooks read from the sources differ from what $pair/libtempio-testable.a adds" >&2
    if [ -n "$missed" ]; then
      echo "  only in the library (the scan missed it):" >&2
      echo "    ${missed//$'\n'/$'\n'    }" >&2
    fi
    if [ -n "$invented" ]; then
      echo "  only in the scan (not a function the seam compiles):" >&2
      echo "    ${invented//$'\n'/$'\n'    }" >&2
    fi
    exit 1
  fi
  echo "ok: the $(echo "$hooks" | wc -l) hooks read from the sources are what $pair/libtempio-testable.a adds"
else
  echo "note: cross-check skipped (no up-to-date libtempio.a and libtempio-testable.a in $pair)"
fi

# Any symbol of the release library naming a hook, defined or referenced:
# the hook's qualified name followed by "(", not preceded by more of a name.
leaks=$(symbols "$lib" | awk -v hooks="$hooks" '
  BEGIN { n = split(hooks, h, "\n") }
  {
    for (i = 1; i <= n; ++i) {
      rest = $0; off = 0
      while ((p = index(rest, h[i] "(")) > 0) {
        before = p + off > 1 ? substr($0, p + off - 1, 1) : ""
        if (before !~ /[A-Za-z0-9_:]/) { print; next }
        off += p; rest = substr(rest, p + 1)
      }
    }
  }')
if [ -n "$leaks" ]; then
  echo "$leaks"
  echo "FAIL: $lib defines or uses a test hook (above)" >&2
  exit 1
fi
echo "ok: $lib has none of the $(echo "$hooks" | wc -l) test hooks: $(echo "$hooks" | sed 's/.*:://' | tr '\n' ' ')"
