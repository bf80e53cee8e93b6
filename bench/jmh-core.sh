#!/usr/bin/env bash
# bench/jmh-core.sh - the disk-core data path in-process (JMH): 4 KiB random and 1 MiB sequential
# reads and writes through a 1 GiB RAM disk and a RAM layer over a 1 GiB image, beside a plain
# direct-buffer copy (the in-process limit); then the memory footprint of a full 1 GiB disk.
#
# Usage:  bench/jmh-core.sh                          # -f 1 -wi 2 -i 3 -w 2s -r 2s, all benchmarks
#         bench/jmh-core.sh -prof gc                 # extra JMH arguments are passed through
#         BENCH='ram.*Read' bench/jmh-core.sh         # a benchmark regex picks a subset
# Env:    BENCH (JMH regex; default: the whole DiskCoreBenchmark), OUT (results dir; default disk-core/target/jmh), BENCH_DIR (where the 1 GiB image is
#         kept between runs; default /tmp), SKIP_BUILD=1, SKIP_MEMORY=1.
#         bench/jmh-core.sh --report A.json [B.json ...]   # only the table, from earlier runs
# Writes OUT/jmh.txt, OUT/jmh.json, OUT/table.md (median of all measurement iterations, MiB/s,
# ratio to the plain copy of the same pattern, gc.alloc.rate.norm when run with -prof gc) and
# OUT/memory.txt.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The table: medians over every measurement iteration of every given result file, so that runs
# on a noisy machine can be pooled.
report() {
  python3 - "$@" <<'PY'
import json, statistics, sys
runs = {}
alloc = {}
for f in sys.argv[1:]:
    for b in json.load(open(f)):
        name = b["benchmark"].rsplit(".", 1)[1]
        runs.setdefault(name, []).extend(x for fork in b["primaryMetric"]["rawData"] for x in fork)
        norm = b.get("secondaryMetrics", {}).get("gc.alloc.rate.norm")
        if norm:
            alloc.setdefault(name, []).extend(x for fork in norm["rawData"] for x in fork)
def size(name):
    return 4096 if name.endswith("4k") else 1 << 20
def baseline(name):
    for kind in ("ram", "malloc", "file"):
        if name.startswith(kind):
            return "copy" + name[len(kind):]
    return None
print("| benchmark | ops/s (median) | MiB/s | vs plain copy | gc.alloc.rate.norm (B/op) | iterations |")
print("|---|---:|---:|---:|---:|---:|")
kinds = ("copy", "ram", "malloc", "file")
def key(name):
    kind = next(k for k in kinds if name.startswith(k)) if any(name.startswith(k) for k in kinds) else ""
    return (name[len(kind):], kinds.index(kind) if kind else 9, name)
order = sorted(runs, key=key)
for name in order:
    med = statistics.median(runs[name])
    base = baseline(name)
    ratio = "%.0f %%" % (100 * med / statistics.median(runs[base])) if base in runs else "(limit)" if name.startswith("copy") else ""
    a = "%.3f" % statistics.median(alloc[name]) if name in alloc else "-"
    print("| %s | %s | %s | %s | %s | %d |" % (name, format(round(med), ","), format(round(med * size(name) / 2**20), ","), ratio, a, len(runs[name])))
PY
}
if [ "${1:-}" = --report ]; then shift; report "$@"; exit 0; fi

OUT=${OUT:-$ROOT/disk-core/target/jmh}
BENCH_DIR=${BENCH_DIR:-/tmp}
mkdir -p "$OUT"
cd "$ROOT"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building disk-core test classes" >&2
  mvn -B -q -o test-compile -pl disk-core
fi
[ -f disk-core/target/test-classes/META-INF/BenchmarkList ] || {
  echo "no META-INF/BenchmarkList in disk-core/target/test-classes: the JMH annotation processor did not run" >&2; exit 1; }
mvn -B -q -o dependency:build-classpath -pl disk-core -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/classpath.txt" >&2
CP="disk-core/target/test-classes:disk-core/target/classes:$(cat "$OUT/classpath.txt")"

ARGS=("$@")
[ ${#ARGS[@]} -gt 0 ] || ARGS=(-f 1 -wi 2 -i 3 -w 2s -r 2s)
java -cp "$CP" org.openjdk.jmh.Main "${BENCH:-io.ramdiskfs.disk.bench.DiskCoreBenchmark}" \
  -jvmArgsPrepend "-Dramdiskfs.bench.dir=$BENCH_DIR" -rf json -rff "$OUT/jmh.json" "${ARGS[@]}" | tee "$OUT/jmh.txt"

report "$OUT/jmh.json" | tee "$OUT/table.md"

if [ "${SKIP_MEMORY:-0}" != 1 ]; then
  echo "# memory footprint of a fully written 1 GiB RAM disk" | tee "$OUT/memory.txt"
  java -Xmx512m -cp "$CP" io.ramdiskfs.disk.bench.MemoryFootprint 1024 | tee -a "$OUT/memory.txt"
fi
echo "results in $OUT" >&2
