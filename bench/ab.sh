#!/usr/bin/env bash
# bench/ab.sh - a same-run A/B of two ramdiskfs configurations, job by job: both are mounted at
# once and every job of bench/jobs runs on A and B in turn, ROUNDS times (A B, B A, A B ...), so
# drift and a noisy neighbour hit both alike. Prints per job the median of each and B/A.
#
# Usage:  sudo bench/ab.sh                       # A: as shipped, B: -Dramdiskfs.stats=false
#         A_OPTS=... B_OPTS=... ROUNDS=4 RUNTIME=5 SIZE=1G JOBS="randread-1job randwrite-1job" bench/ab.sh
# Env:    A_OPTS/B_OPTS (JAVA_OPTS of each), A_NAME/B_NAME, ROUNDS (default 4), RUNTIME (s, timed jobs; default 5),
#         SIZE (default 1G), DISK (what disk0 is: default SIZE, a RAM disk; e.g. memdiff:/dev/shm/base.img), JOBS (default: every job of bench/run.sh), OUT (default /tmp/ramdiskfs-ab.XXXX)
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
A_OPTS=${A_OPTS:-}
B_OPTS=${B_OPTS:--Dramdiskfs.stats=false}
A_NAME=${A_NAME:-stats}
B_NAME=${B_NAME:-nostats}
ROUNDS=${ROUNDS:-4}
SIZE=${SIZE:-1G}
DISK=${DISK:-$SIZE}
RUNTIME=${RUNTIME:-5}
SEQ_CAP=${SEQ_CAP:-60}
JOBS=${JOBS:-"seqwrite-buffered seqwrite-direct seqread-direct randread-1job randread-4jobs randwrite-1job randwrite-4jobs"}
OUT=${OUT:-$(mktemp -d /tmp/ramdiskfs-ab.XXXXXX)}
export SIZE RUNTIME SEQ_CAP
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "bench/ab.sh: run as root (FUSE mounts)" >&2; exit 2; }
command -v fio >/dev/null || { echo "bench/ab.sh: install fio" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
is_fuse_mount() { awk -v m="$1" '$5 == m' /proc/self/mountinfo | grep -q ' - fuse'; }

PIDS=()
MNTS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$p" 2>/dev/null; done
  for m in "${MNTS[@]}"; do is_fuse_mount "$m" && { fusermount -u "$m" 2>/dev/null || fusermount -uz "$m"; }; done
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

start() { # NAME OPTS
  local m=$OUT/$1
  mkdir -p "$m"
  JAVA_OPTS="$2" RAMDISKFS_NO_BUILD=1 "$ROOT/bin/ramdiskfs" --memory-limit 4G -d "disk0=$DISK" -d warmup=64M "$m" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
  MNTS+=("$m")
  for _ in $(seq 600); do is_fuse_mount "$m" && break; sleep 0.1; done
  is_fuse_mount "$m" || { cat "$OUT/$1.log" >&2; exit 1; }
  # JIT warm-up, as bench/run.sh does
  fio --name=w --filename="$m/warmup" --size=64M --rw=randrw --bs=4k --direct=1 --time_based --runtime=4 --ioengine=psync >/dev/null 2>&1
  fio --name=w --filename="$m/warmup" --size=64M --rw=rw --bs=1M --direct=1 --time_based --runtime=2 --ioengine=psync >/dev/null 2>&1
}
run() { # NAME JOB ROUND: appends name,job,round,MiB/s,IOPS
  local j=$OUT/$1.$2.$3.json
  FILE=$OUT/$1/disk0 fio "$ROOT/bench/jobs/$2.fio" --output-format=json --output="$j" 2>/dev/null
  python3 - "$j" "$1" "$2" "$3" >> "$OUT/ab.csv" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
r = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
print("%s,%s,%s,%.1f,%.0f,%.2f" % (sys.argv[2], sys.argv[3], sys.argv[4], r["bw_bytes"] / 1048576.0, r["iops"],
                                  r["clat_ns"]["mean"] / 1000.0))
PY
}

log "A=$A_NAME ($A_OPTS)  B=$B_NAME ($B_OPTS)  SIZE=$SIZE RUNTIME=${RUNTIME}s ROUNDS=$ROUNDS -> $OUT"
echo "target,job,round,MiB_s,IOPS,clat_us" > "$OUT/ab.csv"
start "$A_NAME" "$A_OPTS"
start "$B_NAME" "$B_OPTS"
for job in $JOBS; do
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then run "$A_NAME" "$job" "$r"; run "$B_NAME" "$job" "$r"; else run "$B_NAME" "$job" "$r"; run "$A_NAME" "$job" "$r"; fi
  done
  tail -n $((2 * ROUNDS)) "$OUT/ab.csv" | sed 's/^/  /' >&2
done
python3 - "$OUT/ab.csv" "$A_NAME" "$B_NAME" <<'PY' | tee "$OUT/ab.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a, b = sys.argv[2], sys.argv[3]
jobs = []
for r in rows:
    if r["job"] not in jobs:
        jobs.append(r["job"])
print("| job | %s MiB/s (median) | %s MiB/s (median) | %s / %s | per-round ratios |" % (a, b, a, b))
print("|---|---|---|---|---|")
for j in jobs:
    va = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["target"] == a]
    vb = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["target"] == b]
    rounds = sorted({r["round"] for r in rows if r["job"] == j}, key=int)
    per = []
    for n in rounds:
        x = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["round"] == n and r["target"] == a]
        y = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["round"] == n and r["target"] == b]
        if x and y and y[0] > 0:
            per.append("%.2f" % (x[0] / y[0]))
    ma, mb = statistics.median(va), statistics.median(vb)
    print("| %s | %.1f | %.1f | **%.3f** | %s |" % (j, ma, mb, ma / mb if mb else 0, " ".join(per)))
print()
print("| job | %s mean completion latency, us (median of rounds) | %s | %s / %s |" % (a, b, a, b))
print("|---|---|---|---|")
for j in jobs:
    la = [float(r["clat_us"]) for r in rows if r["job"] == j and r["target"] == a]
    lb = [float(r["clat_us"]) for r in rows if r["job"] == j and r["target"] == b]
    ma, mb = statistics.median(la), statistics.median(lb)
    print("| %s | %.2f | %.2f | %.3f |" % (j, ma, mb, ma / mb if mb else 0))
PY
