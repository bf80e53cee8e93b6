#!/usr/bin/env bash
# bench/ab.sh - a same-run A/B of two ramdiskfs configurations, job by job: each round mounts both
# afresh (the first-mounted alternating) and runs every job of bench/jobs on A and B in turn (A B,
# B A, A B ...), so drift, a noisy neighbour and the mount order hit both alike. Prints per job the
# median of each and A/B with the per-round ratios.
#
# Usage:  sudo bench/ab.sh                       # A: as shipped, B: -Dramdiskfs.stats=false
#         A_OPTS=... B_OPTS=... ROUNDS=4 RUNTIME=5 SIZE=1G JOBS="randread-1job randwrite-1job" bench/ab.sh
# Env:    A_OPTS/B_OPTS (JAVA_OPTS of each), A_NAME/B_NAME, ROUNDS (default 4), RUNTIME (s, timed jobs; default 5),
#         SIZE (default 1G), DISK (what disk0 is: default SIZE, a RAM disk; e.g. memdiff:/dev/shm/base.img),
#         JOBS (default: every job of bench/run.sh), OUT (default /tmp/ramdiskfs-ab.XXXX),
#         A_ROOT/B_ROOT: the checkout whose bin/ramdiskfs each side runs (default this one; built
#         already), to compare two builds: A_ROOT=/tmp/old B_ROOT=. A_OPTS= B_OPTS= bench/ab.sh
#         CONCURRENT=1: run each job on A and B at the same time instead of in turn. On a machine
#         others are using, both then meet the same neighbours second by second; the cheaper
#         configuration gets the larger share of the CPUs, so A/B is their relative cost.
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
A_ROOT=$(cd "${A_ROOT:-$ROOT}" && pwd)
B_ROOT=$(cd "${B_ROOT:-$ROOT}" && pwd)
A_OPTS=${A_OPTS-}
B_OPTS=${B_OPTS--Dramdiskfs.stats=false}   # set but empty: no flags
A_NAME=${A_NAME:-stats}
B_NAME=${B_NAME:-nostats}
ROUNDS=${ROUNDS:-4}
SIZE=${SIZE:-1G}
DISK=${DISK:-$SIZE}
RUNTIME=${RUNTIME:-5}
SEQ_CAP=${SEQ_CAP:-60}
CONCURRENT=${CONCURRENT:-0}
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
declare -A PID_OF
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$p" 2>/dev/null; done
  for m in "${MNTS[@]}"; do is_fuse_mount "$m" && { fusermount -u "$m" 2>/dev/null || fusermount -uz "$m"; }; done
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

start() { # NAME OPTS ROOT
  local m=$OUT/$1
  mkdir -p "$m"
  JAVA_OPTS="$2" RAMDISKFS_NO_BUILD=1 "$3/bin/ramdiskfs" --memory-limit 4G -d "disk0=$DISK" -d warmup=64M "$m" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$1]=$!
  MNTS+=("$m")
  for _ in $(seq 600); do is_fuse_mount "$m" && break; sleep 0.1; done
  is_fuse_mount "$m" || { cat "$OUT/$1.log" >&2; exit 1; }
  # JIT warm-up, as bench/run.sh does
  fio --name=w --filename="$m/warmup" --size=64M --rw=randrw --bs=4k --direct=1 --time_based --runtime=4 --ioengine=psync >/dev/null 2>&1
  fio --name=w --filename="$m/warmup" --size=64M --rw=rw --bs=1M --direct=1 --time_based --runtime=2 --ioengine=psync >/dev/null 2>&1
}
# CPU time of every thread of a process so far, in ns (schedstat: exact, unlike stat's ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'; }
run() { # NAME JOB ROUND: appends name,job,round,MiB/s,IOPS,mean completion latency,daemon CPU ns per I/O
  local j=$OUT/$1.$2.$3.json before after
  before=$(cpu_ns "${PID_OF[$1]}")
  FILE=$OUT/$1/disk0 fio "$ROOT/bench/jobs/$2.fio" --output-format=json --output="$j" 2>/dev/null
  after=$(cpu_ns "${PID_OF[$1]}")
  python3 - "$j" "$1" "$2" "$3" "$((after - before))" >> "$OUT/ab.csv" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
r = j["write"] if j["write"]["io_bytes"] > 0 else j["read"]
ios = max(1, r["total_ios"])
print("%s,%s,%s,%.1f,%.0f,%.2f,%.0f" % (sys.argv[2], sys.argv[3], sys.argv[4], r["bw_bytes"] / 1048576.0, r["iops"],
                                       r["clat_ns"]["mean"] / 1000.0, int(sys.argv[5]) / ios))
PY
}

stop_all() {
  cleanup
  PIDS=()
  MNTS=()
}

log "A=$A_NAME ($A_OPTS, $A_ROOT)  B=$B_NAME ($B_OPTS, $B_ROOT)  SIZE=$SIZE RUNTIME=${RUNTIME}s ROUNDS=$ROUNDS -> $OUT"
echo "target,job,round,MiB_s,IOPS,clat_us,cpu_ns_per_io" > "$OUT/ab.csv"
# Each round mounts both afresh, the first-mounted alternating (odd rounds A, even rounds B): a
# process started first may land on better memory or a quieter core, and with one pair of mounts
# for the whole run that advantage looked like a difference between A and B. Within a round every
# job runs on both, again first A then B on odd rounds and the reverse on even ones.
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then first=$A_NAME; first_opts=$A_OPTS; first_root=$A_ROOT; second=$B_NAME; second_opts=$B_OPTS; second_root=$B_ROOT
  else first=$B_NAME; first_opts=$B_OPTS; first_root=$B_ROOT; second=$A_NAME; second_opts=$A_OPTS; second_root=$A_ROOT; fi
  start "$first" "$first_opts" "$first_root"
  start "$second" "$second_opts" "$second_root"
  for job in $JOBS; do
    if [ "$CONCURRENT" = 1 ]; then
      run "$first" "$job" "$r" &
      one=$!
      run "$second" "$job" "$r"
      wait "$one" # not a bare wait: the mounts are children too
    else
      run "$first" "$job" "$r"
      run "$second" "$job" "$r"
    fi
  done
  stop_all
  log "round $r of $ROUNDS done ($first mounted first)"
done
python3 - "$OUT/ab.csv" "$A_NAME" "$B_NAME" <<'PY' | tee "$OUT/ab.md"
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
a, b = sys.argv[2], sys.argv[3]
jobs = []
for r in rows:
    if r["job"] not in jobs:
        jobs.append(r["job"])

def col(j, t, c):
    return [float(r[c]) for r in rows if r["job"] == j and r["target"] == t]

# Throughput: what a user sees, but on a busy machine it swings with the neighbours.
print("| job | %s MiB/s (median) | %s MiB/s (median) | %s / %s | per-round ratios |" % (a, b, a, b))
print("|---|---|---|---|---|")
for j in jobs:
    rounds = sorted({r["round"] for r in rows if r["job"] == j}, key=int)
    per = []
    for n in rounds:
        x = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["round"] == n and r["target"] == a]
        y = [float(r["MiB_s"]) for r in rows if r["job"] == j and r["round"] == n and r["target"] == b]
        if x and y and y[0] > 0:
            per.append("%.2f" % (x[0] / y[0]))
    ma, mb = statistics.median(col(j, a, "MiB_s")), statistics.median(col(j, b, "MiB_s"))
    print("| %s | %.1f | %.1f | **%.3f** | %s |" % (j, ma, mb, ma / mb if mb else 0, " ".join(per)))

print()
print("| job | %s mean completion latency, us (median of rounds) | %s | %s / %s |" % (a, b, a, b))
print("|---|---|---|---|")
for j in jobs:
    ma, mb = statistics.median(col(j, a, "clat_us")), statistics.median(col(j, b, "clat_us"))
    print("| %s | %.2f | %.2f | %.3f |" % (j, ma, mb, ma / mb if mb else 0))

# The daemon's CPU time per I/O: what a difference between A and B costs, far less sensitive to a
# busy machine than throughput. "bound" charges the difference to every request in series, at A's
# rate: the largest throughput share it could take (a CPU-bound 4-job run spreads it over 2 cores).
print()
print("| job | %s CPU ns/I/O (median) | %s CPU ns/I/O (median) | difference ns | bound on the cost |" % (a, b))
print("|---|---|---|---|---|")
for j in jobs:
    ca, cb = statistics.median(col(j, a, "cpu_ns_per_io")), statistics.median(col(j, b, "cpu_ns_per_io"))
    iops = statistics.median(col(j, a, "IOPS"))
    d = ca - cb
    print("| %s | %.0f | %.0f | %+.0f | %+.2f %% |" % (j, ca, cb, d, 100.0 * d * iops / 1e9))
PY
