#!/usr/bin/env python3
"""bench/report.py OUT [NOTE] - turns OUT/results.csv and OUT/memory.csv into a Markdown table
(printed) and OUT/chart.svg. Ratios are within one run: absolute numbers drift between runs on
shared machines, ratios much less."""
import csv
import os
import platform
import subprocess
import sys

out = sys.argv[1]
note = sys.argv[2] if len(sys.argv) > 2 else ""
JOBS = [
    ("seqwrite-buffered", "seq W 1M buffered+fsync", "MiB/s"),
    ("seqwrite-direct", "seq W 1M direct", "MiB/s"),
    ("seqread-direct", "seq R 1M direct", "MiB/s"),
    ("randread-1job", "rand R 4k, 1 job", "IOPS"),
    ("randwrite-1job", "rand W 4k, 1 job", "IOPS"),
    ("randread-4jobs", "rand R 4k, 4 jobs", "IOPS"),
    ("randwrite-4jobs", "rand W 4k, 4 jobs", "IOPS"),
]
NAMES = {"tmpfs": "tmpfs (limit)", "c_memfile": "C libfuse2 memfile", "ramdiskfs": "ramdiskfs",
         "noxattr": "--page-cache --no-xattr", "memdiff": "ramdiskfs memdiff",
         "pagecache": "ramdiskfs --page-cache", "serialwrites": "without parallel writes",
         "memdiffcopy": "memdiff, image reads copied", "smallrequests": "128 KiB requests",
         "libfusedata": "data via libfuse", "passthrough": "ramdiskfs passthrough",
         "passthroughhuge": "passthrough --huge-pages", "frozen8": "ramdiskfs, 8 frozen layers"}

vals = {}
targets = []
for row in csv.DictReader(open(os.path.join(out, "results.csv"))):
    t = row["target"]
    if t not in targets:
        targets.append(t)
    unit = next((u for j, _, u in JOBS if j == row["job"]), "IOPS")
    v = row["MiB_s"] if unit == "MiB/s" else row["IOPS"]
    vals[(t, row["job"])] = None if v == "ERR" else float(v)


def get(t, j):
    return vals.get((t, j))


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "-"


def fmt(v):
    return "-" if v is None else "{:,.0f}".format(v)


cpu = ""
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except Exception:
    pass
fio = subprocess.run(["fio", "--version"], capture_output=True, text=True).stdout.strip()
print("## ramdiskfs benchmark\n")
print("%d CPUs (%s), kernel %s, %s; psync, iodepth 1, O_DIRECT unless noted; %s.\n"
      % (os.cpu_count(), cpu, platform.release(), fio, note))
head = "| job | unit | " + " | ".join(NAMES.get(t, t) for t in targets)
ratios = []
if "ramdiskfs" in targets and "c_memfile" in targets:
    ratios.append(("ramdiskfs / C memfile", "ramdiskfs", "c_memfile"))
if "ramdiskfs" in targets and "tmpfs" in targets:
    ratios.append(("ramdiskfs / tmpfs", "ramdiskfs", "tmpfs"))
if "passthrough" in targets and "tmpfs" in targets:
    ratios.append(("passthrough / tmpfs", "passthrough", "tmpfs"))
if "passthrough" in targets and "ramdiskfs" in targets:
    ratios.append(("passthrough / ramdiskfs", "passthrough", "ramdiskfs"))
if "passthroughhuge" in targets and "tmpfs" in targets:
    ratios.append(("passthroughhuge / tmpfs", "passthroughhuge", "tmpfs"))
if "noxattr" in targets and "c_memfile" in targets:
    ratios.append(("--no-xattr / C memfile", "noxattr", "c_memfile"))
if "pagecache" in targets and "ramdiskfs" in targets:
    ratios.append(("ramdiskfs / --page-cache", "ramdiskfs", "pagecache"))
if "memdiff" in targets and "ramdiskfs" in targets:
    ratios.append(("memdiff / ramdiskfs", "memdiff", "ramdiskfs"))
if "frozen8" in targets and "ramdiskfs" in targets:
    ratios.append(("8 frozen layers / ramdiskfs", "frozen8", "ramdiskfs"))
if "memdiffcopy" in targets and "ramdiskfs" in targets:
    ratios.append(("memdiff copied / ramdiskfs", "memdiffcopy", "ramdiskfs"))
if "smallrequests" in targets and "ramdiskfs" in targets:
    ratios.append(("ramdiskfs / 128 KiB requests", "ramdiskfs", "smallrequests"))
if "libfusedata" in targets and "ramdiskfs" in targets:
    ratios.append(("ramdiskfs / data via libfuse", "ramdiskfs", "libfusedata"))
print(head + "".join(" | " + r[0] for r in ratios) + " |")
print("|---|---|" + "---|" * (len(targets) + len(ratios)))
for j, label, unit in JOBS:
    cells = [fmt(get(t, j)) for t in targets]
    rs = [ratio(get(a, j), get(b, j)) for _, a, b in ratios]
    print("| %s | %s | %s |" % (label, unit, " | ".join(cells + rs)))

mem = os.path.join(out, "memory.csv")
if os.path.exists(mem):
    print("\nResident memory of the serving process (MiB): idle after mount, after the runs filled "
          "the disk, and after `fallocate --punch-hole` of the whole disk.\n")
    print("| target | idle | filled | after punch |")
    print("|---|---|---|---|")
    for row in csv.DictReader(open(mem)):
        if row["target"] == "tmpfs":
            continue
        print("| %s | %s | %s | %s |" % (NAMES.get(row["target"], row["target"]), row["idle_rss_mib"],
                                          row["filled_rss_mib"], row["after_punch_rss_mib"]))

# Chart: every job as a group of bars, each bar a target's result relative to tmpfs (the physical
# limit, what users measure a RAM disk against; the passthrough lane reaches it); without tmpfs,
# relative to the C libfuse2 file (the FUSE transport limit). The base itself is not drawn.
base = "tmpfs" if "tmpfs" in targets else "c_memfile" if "c_memfile" in targets else targets[0]
targets = [t for t in targets if t != base]
colors = {"tmpfs": "#9e9e9e", "c_memfile": "#5c6bc0", "ramdiskfs": "#2e7d32", "noxattr": "#1b5e20",
          "memdiff": "#81c784", "pagecache": "#fbc02d", "serialwrites": "#ef6c00", "memdiffcopy": "#c5e1a5",
          "smallrequests": "#8d6e63", "libfusedata": "#26a69a", "passthrough": "#0d47a1",
          "passthroughhuge": "#42a5f5", "frozen8": "#a5d6a7"}
W, H, left, top, bottom = 900, 420, 60, 40, 90
plot_h = H - top - bottom
group_w = (W - left - 20) / len(JOBS)
bar_w = group_w * 0.8 / max(1, len(targets))
maxr = 1.0
for j, _, _ in JOBS:
    b = get(base, j)
    for t in targets:
        v = get(t, j)
        if v is not None and b:
            maxr = max(maxr, v / b)
svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (W, H),
       '<rect width="100%" height="100%" fill="white"/>',
       '<text x="%d" y="20" font-size="14">fio results relative to %s (1.0 = %s); label: absolute MiB/s or IOPS</text>'
       % (left, NAMES.get(base, base), base)]
for k in range(0, 11):
    r = maxr * k / 10
    y = top + plot_h - plot_h * r / maxr
    svg.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (left, W - 20, y, y))
    svg.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (left - 5, y + 4, r))
for gi, (j, label, unit) in enumerate(JOBS):
    x0 = left + gi * group_w + group_w * 0.1
    b = get(base, j)
    for ti, t in enumerate(targets):
        v = get(t, j)
        if v is None or not b:
            continue
        h = plot_h * (v / b) / maxr
        x = x0 + ti * bar_w
        svg.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>'
                   % (x, top + plot_h - h, bar_w - 2, h, colors.get(t, "#333")))
        svg.append('<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle" transform="rotate(-90 %.1f %.1f)">%s</text>'
                   % (x + bar_w / 2, top + plot_h - h - 4, x + bar_w / 2, top + plot_h - h - 4, fmt(v)))
    svg.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x0 + group_w * 0.4, top + plot_h + 15, label))
    svg.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#666">%s</text>' % (x0 + group_w * 0.4, top + plot_h + 28, unit))
# Legend: up to four entries a row, two rows.
for ti, t in enumerate(targets):
    x = left + (ti % 4) * 205
    y = H - 42 + (ti // 4) * 18
    svg.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (x, y, colors.get(t, "#333")))
    svg.append('<text x="%d" y="%d">%s</text>' % (x + 16, y + 10, NAMES.get(t, t)))
svg.append("</svg>")
open(os.path.join(out, "chart.svg"), "w").write("\n".join(svg))
