#!/usr/bin/env bash
# bench/snapshots.sh - what snapshots cost, measured in one run (docs/performance.md, section 12):
#   1. the data path before and after the chain (a jar built from BASE_REV vs this checkout),
#      alternating A B A B on the same plain disk: 4 KiB random read/write, 1 MiB sequential;
#   2. reads through 8 frozen layers vs a one-layer disk holding the same data;
#   3. the time to take a snapshot of a disk holding 64 MiB and one holding BIG, while fio writes to it;
#   4. cp of a disk holding 1 GiB inside the mount: time and new memory.
# Usage: sudo bench/snapshots.sh       Env: SIZE (1G), BIG (8G), RUNTIME (8 s), BASE_REV (874c3c2), OUT,
#        ROUNDS (A B pairs in sections 1 and 2; 2), SECTIONS (subset of "1 2 3 4")
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${SIZE:-1G}
BIG=${BIG:-8G}
RUNTIME=${RUNTIME:-8}
BASE_REV=${BASE_REV:-874c3c2}
ROUNDS=${ROUNDS:-2}
SECTIONS=${SECTIONS:-"1 2 3 4"}
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }
STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=${OUT:-$ROOT/bench/results/snapshots-$STAMP}
W=$(mktemp -d /tmp/ramdiskfs-snapbench.XXXXXX)
export SIZE BIG
mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

PID=; MNT=
is_mounted() { awk -v m="$1" '$5 == m && / - fuse/ { f = 1 } END { exit !f }' /proc/self/mountinfo; }
stop() {
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
  if [ -n "$MNT" ] && is_mounted "$MNT"; then fusermount -u "$MNT" 2>/dev/null || fusermount -uz "$MNT"; fi
  PID=; MNT=
}
cleanup() { stop; git -C "$ROOT" worktree remove --force "$W/base" >/dev/null 2>&1; rm -rf "$W"; }
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

jar_in() { ls "$1"/fuse-mount/target/fuse-mount-*.jar | grep -v -- '-tests.jar' | head -n1; }
log "building this checkout and $BASE_REV"
(cd "$ROOT" && mvn -B -q -o -DskipTests package -pl fuse-mount -am) >&2 || exit 1
git -C "$ROOT" worktree add --detach "$W/base" "$BASE_REV" >/dev/null 2>&1 || exit 1
(cd "$W/base" && mvn -B -q -o -DskipTests package -pl fuse-mount -am) >&2 || exit 1
NEW=$(jar_in "$ROOT"); OLD=$(jar_in "$W/base")

serve() { # JAR ARGS...: mounts at $W/mnt and waits until live
  local jar=$1; shift
  MNT=$W/mnt; mkdir -p "$MNT"
  java -jar "$jar" "$@" "$MNT" >"$W/ramdiskfs.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do is_mounted "$MNT" && ls "$MNT" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "mount failed"; cat "$W/ramdiskfs.log"; exit 1
}
fio_job() { # FILE RW BS JOBS -> IOPS (4k) or MiB/s (1M)
  local f=$1 rw=$2 bs=$3 jobs=$4 extra=""
  [ "$rw" = write ] || [ "$rw" = read ] || extra="--time_based --runtime=$RUNTIME"
  fio --name=j --filename="$f" --rw="$rw" --bs="$bs" --numjobs="$jobs" --size="$SIZE" --direct=1 --ioengine=psync \
      --group_reporting $extra --output-format=json 2>/dev/null | python3 -c '
import json,sys; j=json.load(sys.stdin)["jobs"][0]; r=j["read"] if j["read"]["io_bytes"] else j["write"]
print(round(r["iops"]) if sys.argv[1]=="4k" else round(r["bw"]/1024))' "$bs"
}
fill() { fio --name=fill --filename="$1" --rw=write --bs=1M --size="$2" --direct=1 --ioengine=psync --offset="${3:-0}" >/dev/null 2>&1; }

# 1. -------------------------------------------------------------- data path, old jar vs new jar
JOBS="randread:4k:1 randwrite:4k:1 randread:4k:4 randwrite:4k:4 read:1M:1 write:1M:1"
echo "job,jar,round,value" > "$OUT/ab.csv"
want 1 && for round in $(seq "$ROUNDS"); do
  for which in old new; do
    jar=$OLD; [ $which = new ] && jar=$NEW
    serve "$jar" -d "disk0=$SIZE"
    fill "$MNT/disk0" "$SIZE"
    for j in $JOBS; do
      IFS=: read -r rw bs n <<<"$j"
      v=$(fio_job "$MNT/disk0" "$rw" "$bs" "$n"); echo "$rw $bs j$n,$which,$round,$v" >> "$OUT/ab.csv"; log "$which $rw $bs j$n: $v"
    done
    stop
  done
done

# 2. -------------------------------------------------------------- 8 frozen layers vs one layer
echo "job,disk,round,value" > "$OUT/layers.csv"; layers=-
if want 2; then
serve "$NEW" -d "flat=$SIZE" -d "deep=$SIZE"
fill "$MNT/flat" "$SIZE"
bytes=$(numfmt --from=iec "$SIZE"); slice=$((bytes / 8))
for i in 0 1 2 3 4 5 6 7; do
  fill "$MNT/deep" "$slice" $((i * slice))
  setfattr -n user.ramdiskfs.snapshot -v "layer$i" "$MNT/deep"
done
layers=$(getfattr --only-values -n user.ramdiskfs.layers "$MNT/deep")
for round in $(seq "$ROUNDS"); do
  for d in flat deep; do
    for j in randread:4k:1 randread:4k:4 read:1M:1; do
      IFS=: read -r rw bs n <<<"$j"
      v=$(fio_job "$MNT/$d" "$rw" "$bs" "$n"); echo "$rw $bs j$n,$d,$round,$v" >> "$OUT/layers.csv"; log "$d $rw $bs j$n: $v"
    done
  done
done
stop
fi

# 3. -------------------------------------------------------------- snapshot time while fio writes
echo "disk,holding,snapshot_ms" > "$OUT/snapshot-times.csv"
if want 3; then
serve "$NEW" -d "small=64M" -d "big=$BIG" --memory-limit 20G
fill "$MNT/small" 64M; fill "$MNT/big" "$BIG"
for d in small big; do
  fio --name=bg --filename="$MNT/$d" --rw=randwrite --bs=4k --size=64M --direct=1 --ioengine=psync --time_based --runtime=30 \
      >/dev/null 2>&1 &
  bg=$!; sleep 1
  python3 - "$MNT/$d" "$d" >> "$OUT/snapshot-times.csv" <<'PY'
import os, sys, time
path, name = sys.argv[1], sys.argv[2]
for i in range(10):
    t = time.perf_counter()
    os.setxattr(path, "user.ramdiskfs.snapshot", ("t%d" % i).encode())
    print("%s,%s,%.3f" % (name, "64M" if name == "small" else os.environ.get("BIG", "8G"), (time.perf_counter() - t) * 1000))
    time.sleep(0.2)
PY
  kill "$bg" 2>/dev/null; wait "$bg" 2>/dev/null
done
stop
fi

# 4. -------------------------------------------------------------- cp of a 1 GiB disk
echo "cp_ms,new_memory_bytes,identical" > "$OUT/cp.csv"
if want 4; then
serve "$NEW" -d "src=1G"
fill "$MNT/src" 1G
used0=$(df -B1 --output=used "$MNT" | tail -1)
t0=$(date +%s%N); cp "$MNT/src" "$MNT/copy"; t1=$(date +%s%N)
used1=$(df -B1 --output=used "$MNT" | tail -1)
cmp "$MNT/src" "$MNT/copy" && same=yes || same=NO
echo "$(( (t1 - t0) / 1000000 )),$((used1 - used0)),$same" >> "$OUT/cp.csv"
stop
fi

python3 - "$OUT" "$layers" <<'PY' | tee "$OUT/table.md"
import csv, sys, statistics
out, layers = sys.argv[1], sys.argv[2]
def table(name, key, a, b):
    rows = {}
    for r in csv.DictReader(open(f"{out}/{name}.csv")):
        rows.setdefault(r["job"], {}).setdefault(r[key], []).append(float(r["value"]))
    print(f"| job | {a} | {b} | {b}/{a} (per round) |\n|---|---|---|---|")
    for job, v in rows.items():
        ratios = [y / x for x, y in zip(v[a], v[b]) if x]
        print(f"| {job} | {' / '.join('%g' % x for x in v[a])} | {' / '.join('%g' % x for x in v[b])} | "
              f"{' / '.join('%.2f' % r for r in ratios)} |")
print("## Data path: before the chain (old) vs now (new), plain disk; IOPS for 4k, MiB/s for 1M\n")
table("ab", "jar", "old", "new")
print(f"\n## Reads through 8 frozen layers (deep: {layers}) vs one layer (flat)\n")
table("layers", "disk", "flat", "deep")
print("\n## Snapshot time while fio writes 4k randomly to the disk (ms)\n")
t = {}
for r in csv.DictReader(open(f"{out}/snapshot-times.csv")):
    t.setdefault((r["disk"], r["holding"]), []).append(float(r["snapshot_ms"]))
print("| disk holding | median | max |\n|---|---|---|")
for (d, h), v in t.items():
    print(f"| {h} | {statistics.median(v):.2f} | {max(v):.2f} |")
r = next(csv.DictReader(open(f"{out}/cp.csv")), None)
if r: print(f"\n## cp of a disk holding 1 GiB inside the mount\n\n{r['cp_ms']} ms, {int(r['new_memory_bytes'])/1048576:.2f} MiB of new memory, identical: {r['identical']}")
PY
