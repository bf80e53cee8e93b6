#!/usr/bin/env python3
"""bench/vm/summary.py CSV - the table of bench/vm.sh: per job and target the median over rounds
(with the range), and the ratio to tmpfs taken within each round (median and range). Markdown."""
import csv
import statistics
import sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
value = defaultdict(dict)  # (job, target) -> round -> value
jobs, targets = [], []
for r in rows:
    job, t = r["job"], r["target"]
    write = "write" in job
    v = float(r["write_iops" if write else "read_iops"]) if "4k" in job else float(r["write_KiB_s" if write else "read_KiB_s"]) / 1024
    value[job, t][r["round"]] = v
    jobs += [job] if job not in jobs else []
    targets += [t] if t not in targets else []
others = [t for t in targets if t != "tmpfs"]


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def spread(vals, f):
    return f"{f(statistics.median(vals))} ({f(min(vals))}-{f(max(vals))})" if vals else "-"


print("| job | unit | tmpfs: median (range) | " + " | ".join(f"{t} / tmpfs: median (range)" for t in others) + " |")
print("|---|---|---|" + "---|" * len(others))
for job in jobs:
    base = value.get((job, "tmpfs"), {})
    cells = []
    for t in others:
        mine = value.get((job, t), {})
        ratios = [mine[r] / base[r] for r in mine if r in base and base[r] > 0]
        cells.append(spread(ratios, lambda x: f"{x:.2f}") + f" [{fmt(statistics.median(mine.values()))}]" if mine else "-")
    unit = "IOPS" if "4k" in job else "MiB/s"
    print(f"| {job} | {unit} | {spread(list(base.values()), fmt)} | " + " | ".join(cells) + " |")
print()
print(f"Rounds: {len({r['round'] for r in rows})}; ratios are target/tmpfs within a round; [median absolute value].")
