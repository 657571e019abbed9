"""One table of tempio beside its best peer, from a run-all.sh summary.

    python3 bench/peers_table.py RESULT_DIR/summary.md

Reads the ratio table of ../shared/peers/run-all.sh's summary (each system
against its own same-run C floor, median over rounds) and prints, for each
of the peers' workloads: tempio's ratio with each backend, the best peer's,
and how far ahead tempio's better backend is (>1: ahead; the lead is
tempio's ratio over the peer's for rates, the peer's over tempio's for
times). For docs/performance.md.
"""

import re
import sys

ROWS = ["named_create_close_delete", "named_create_close_delete_64_in_flight",
        "directory_create_cleanup", "write_64B", "write_1MiB", "cleanup_2k_tree",
        "readline_200k", "gather_write_1000x64B", "atomic_publish_4KiB"]
# The peers' variants of a row (their best way of doing the same work).
VARIANTS = {"write_64B": ["write_64B_buffered"],
            "readline_200k": ["readline_200k_readLines"],
            "gather_write_1000x64B": ["gather_write_1000x64B_buffered"],
            "atomic_publish_4KiB": ["atomic_publish_4KiB_by_hand"]}


def number(cell):
    m = re.match(r"\s*([0-9][0-9.eE+-]*)", cell)
    try:
        return float(m.group(1)) if m else None
    except ValueError:
        return None


def main(path):
    lines = open(path).read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("### Ratio"))
    head = [c.strip() for c in lines[start + 2].strip("|").split("|")]
    table = {}
    for l in lines[start + 4:]:
        if not l.startswith("|"):
            break
        cells = [c.strip() for c in l.strip("|").split("|")]
        table[cells[0]] = dict(zip(head, cells))
    peers = [s for s in head[3:] if not s.startswith("tempio-")]
    print("| workload | better | tempio pool | tempio io_uring | best peer | tempio ahead by |")
    print("|---|---|---|---|---|---|")
    for w in ROWS:
        if w not in table:
            continue
        lower = table[w]["better"] == "lower"
        t = [number(table[w].get(b, "")) for b in ("tempio-threads", "tempio-io_uring")]
        best = None
        for row in [w] + VARIANTS.get(w, []):
            for p in peers:
                v = number(table.get(row, {}).get(p, "-"))
                if v is None or v == 0:
                    continue
                if best is None or (v < best[0] if lower else v > best[0]):
                    best = (v, p if row == w else p + " " + row[len(w) + 1:])
        ours = [x for x in t if x]
        if not ours or best is None:
            continue
        mine = min(ours) if lower else max(ours)
        lead = best[0] / mine if lower else mine / best[0]
        fmt = lambda x: "-" if x is None else f"{x:.3g}"
        print(f"| {w} | {table[w]['better']} | {fmt(t[0])} | {fmt(t[1])} | "
              f"{best[1]} {best[0]:.3g} | {lead:.2f}x |")


if __name__ == "__main__":
    main(sys.argv[1])
