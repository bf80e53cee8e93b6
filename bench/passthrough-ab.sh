#!/usr/bin/env bash
# bench/passthrough-ab.sh - the passthrough fast lane against tmpfs and the FUSE path, job by job:
# each job runs on tmpfs, a passthrough disk and a plain (FUSE path) disk in turn, ROUNDS times,
# all three live at once, so a noisy machine moves all three alike. Prints one CSV line per run
# and the median ratio per job. Root, Linux 6.9+.
#   ROUNDS (default 3), SIZE (1G), RUNTIME (3 s per random job), JOBS (default: the bench/run.sh seven)
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}; SIZE=${SIZE:-1G}; RUNTIME=${RUNTIME:-3}; SEQ_CAP=${SEQ_CAP:-60}
JOBS=${JOBS:-"seqwrite-buffered seqwrite-direct seqread-direct randread-1job randread-4jobs randwrite-1job randwrite-4jobs"}
export SIZE RUNTIME SEQ_CAP
S=$(mktemp -d /tmp/ramdiskfs-ab.XXXXXX); SHM=/dev/shm/$(basename "$S").img; PID=
cleanup() {
  [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  awk -v m="$S/mnt" '$5 == m' /proc/self/mountinfo | grep -q . && fusermount -uz "$S/mnt"
  rm -rf "$S" "$SHM"
}
trap cleanup EXIT; trap 'exit 130' INT TERM
mkdir "$S/mnt"; truncate -s "$SIZE" "$SHM"
"$ROOT/bin/ramdiskfs" --memory-limit 8G -d "pt=$SIZE,passthrough" -d "fuse=$SIZE" "$S/mnt" >"$S/log" 2>&1 &
PID=$!
for _ in $(seq 300); do awk -v m="$S/mnt" '$5 == m' /proc/self/mountinfo | grep -q . && break; sleep 0.1; done
getfattr -n user.ramdiskfs.layers --only-values "$S/mnt/pt" | grep -q '^tmpfs' || { echo "pt is not a passthrough disk:" >&2; cat "$S/log" >&2; exit 1; }
echo "job,round,target,MiB_s,IOPS"
declare -A R
for job in $JOBS; do
  for r in $(seq "$ROUNDS"); do
    for t in tmpfs pt fuse; do
      f=$S/mnt/$t; [ $t = tmpfs ] && f=$SHM
      sync; echo 3 > /proc/sys/vm/drop_caches
      line=$(FILE=$f fio "$ROOT/bench/jobs/$job.fio" --output-format=json 2>/dev/null | python3 -c '
import json,sys; j=json.load(sys.stdin)["jobs"][0]; s="write" if j["write"]["io_bytes"]>0 else "read"
print("%.1f,%.0f" % (j[s]["bw_bytes"]/1048576.0, j[s]["iops"]))')
      echo "$job,$r,$t,$line"
      R[$job,$r,$t]=${line%%,*}
    done
  done
  python3 - "$job" "$ROUNDS" "${R[@]+"$(for r in $(seq "$ROUNDS"); do printf '%s ' "${R[$job,$r,tmpfs]}" "${R[$job,$r,pt]}" "${R[$job,$r,fuse]}"; done)"}" <<'PY' >&2
import sys, statistics
job, rounds, vals = sys.argv[1], int(sys.argv[2]), [float(v) for v in sys.argv[3].split()]
tm, pt, fu = vals[0::3], vals[1::3], vals[2::3]
print("%-18s pt/tmpfs %s median %.2f | pt/fuse median %.2f" % (job, " ".join("%.2f" % (p / t) for p, t in zip(pt, tm)),
      statistics.median(p / t for p, t in zip(pt, tm)), statistics.median(p / f for p, f in zip(pt, fu))))
PY
done
