#!/usr/bin/env bash
# bench/passthrough-profile.sh - where a passthrough write's time goes, beside a tmpfs file: fio
# (JOB, default randwrite-1job) under `perf record -g` on a tmpfs file and on a passthrough disk,
# both filled first, then the self-time tables of both side by side (perf report --no-children).
# Root, Linux 6.9+.  JOB, SIZE (1G), RUNTIME (5), OUT (directory kept for the perf data), and
# JAVA_OPTS (e.g. -Dramdiskfs.backingTmpfs=huge=within_size) for the ramdiskfs under test.
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOB=${JOB:-randwrite-1job}; SIZE=${SIZE:-1G}; RUNTIME=${RUNTIME:-5}; SEQ_CAP=${SEQ_CAP:-60}
export SIZE RUNTIME SEQ_CAP
S=$(mktemp -d /tmp/ramdiskfs-prof.XXXXXX); SHM=/dev/shm/$(basename "$S").img; PID=
OUT=${OUT:-$S/out}; mkdir -p "$OUT"
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  awk -v m="$S/mnt" '$5 == m' /proc/self/mountinfo | grep -q . && fusermount -uz "$S/mnt"
  rm -f "$SHM"; rm -rf "$S/mnt"
  [ "$OUT" = "$S/out" ] || rm -rf "$S"   # keep the scratch directory only when the results are in it
}
trap cleanup EXIT; trap 'exit 130' INT TERM
mkdir "$S/mnt"; truncate -s "$SIZE" "$SHM"
"$ROOT/bin/ramdiskfs" --memory-limit 8G -d "pt=$SIZE,passthrough" "$S/mnt" >"$OUT/ramdiskfs.log" 2>&1 &
PID=$!
for _ in $(seq 300); do awk -v m="$S/mnt" '$5 == m' /proc/self/mountinfo | grep -q . && break; sleep 0.1; done
getfattr -n user.ramdiskfs.layers --only-values "$S/mnt/pt" | grep -q '^tmpfs' || { echo "pt is not a passthrough disk" >&2; cat "$OUT/ramdiskfs.log" >&2; exit 1; }
for t in tmpfs pt; do
  f=$S/mnt/$t; [ $t = tmpfs ] && f=$SHM
  FILE=$f fio "$ROOT/bench/jobs/seqwrite-direct.fio" --output-format=terse >/dev/null 2>&1
  FILE=$f perf record -q -g -o "$OUT/$t.perf" -- fio "$ROOT/bench/jobs/$JOB.fio" --output-format=json 2>/dev/null >"$OUT/$t.json"
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; print(sys.argv[2], "%.0f IOPS" % (j["write"]["iops"] + j["read"]["iops"]))' "$OUT/$t.json" $t
  perf report -i "$OUT/$t.perf" --no-children --sort sym --stdio -g none --percent-limit 0.7 2>/dev/null \
    | grep -v '^#' | grep -v '^$' > "$OUT/$t.txt"
done
paste -d'|' <(cut -c1-70 "$OUT/tmpfs.txt" | awk '{printf "%-70s\n", $0}') <(cut -c1-70 "$OUT/pt.txt") | head -45
echo "perf data and tables in $OUT"
