#!/usr/bin/env bash
# Loop lag under churn, tempio beside the same churn through a plain thread
# pool and through libuv's loop and pool, in one run (issue 30; DESIGN
# section 6): ROUNDS interleaved rounds of tempio-compare --only loop_lag
# (pool, then io_uring; each prints tempio's and the plain pool's figures)
# and loop-lag-libuv (built with the release preset where libuv1-dev is
# installed). Prints each round's p99 (ms) and files churned per second,
# then the medians.
#
#   bash bench/loop_lag.sh [DIR] [ROUNDS]     (defaults: /tmp 5)
set -euo pipefail
dir=${1:-/tmp}
rounds=${2:-5}
bin=${TEMPIO_BUILD:-build/release}/bench
[ -x "$bin/tempio-compare" ] || { echo "loop_lag.sh: no $bin/tempio-compare (cmake --build --preset release)" >&2; exit 2; }
echo "# loop lag on $dir ($(stat -f -c %T "$dir")), $rounds rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((r = 0; r < rounds; ++r)); do
  for be in threads io_uring; do
    TEMPIO_BACKEND=$be "$bin/tempio-compare" --quick --dir "$dir" --only loop_lag >"$out.t"
    awk -F'\t' -v who="tempio-$be" '
      /^# loop lag: [0-9]/ { match($0, /: [0-9]+\/s/); rate = substr($0, RSTART + 2, RLENGTH - 4) }
      /^# loop lag, plain pool/ { match($0, /p99 [0-9.]+/); pp = substr($0, RSTART + 4, RLENGTH - 4)
                                  match($0, /\([0-9]+\/s/); prate = substr($0, RSTART + 1, RLENGTH - 3) }
      $1 == "loop_lag_p99_64_tasks" { p99 = $2 }
      END { print who, p99, rate; print "plain-pool(" who ")", pp, prate }' "$out.t" >>"$out"
  done
  if [ -x "$bin/loop-lag-libuv" ]; then
    "$bin/loop-lag-libuv" "$dir" 2 >"$out.u"
    awk -F'\t' '/^# loop lag: [0-9]/ { match($0, /: [0-9]+\/s/); rate = substr($0, RSTART + 2, RLENGTH - 4) }
      $1 == "loop_lag_p99_64_tasks" { p99 = $2 } END { print "libuv", p99, rate }' "$out.u" >>"$out"
  fi
done
rm -f "$out.t" "$out.u"
echo "system p99_ms files_per_s (each round)"
sort -s -k1,1 "$out" | awk '{ v[$1] = v[$1] " " $2 "/" $3 } END { for (k in v) print k ":" v[k] }' | sort
echo "medians: system p99_ms files_per_s"
sort -s -k1,1 "$out" | awk '
  function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { if ($1 != k && k != "") { printf "%s %.3f %.0f\n", k, med(p, n), med(q, n); n = 0 } k = $1; n++; p[n] = $2 + 0; q[n] = $3 + 0 }
  END { if (k != "") printf "%s %.3f %.0f\n", k, med(p, n), med(q, n) }'
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
