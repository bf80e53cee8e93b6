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
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
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
  -jvmArgsAppend "-Dramdiskfs.bench.dir=$BENCH_DIR" -rf json -rff "$OUT/jmh.json" "${ARGS[@]}" | tee "$OUT/jmh.txt"

if [ "${SKIP_MEMORY:-0}" != 1 ]; then
  echo "# memory footprint of a fully written 1 GiB RAM disk" | tee "$OUT/memory.txt"
  java -Xmx512m -cp "$CP" io.ramdiskfs.disk.bench.MemoryFootprint 1024 | tee -a "$OUT/memory.txt"
fi
echo "results in $OUT" >&2
