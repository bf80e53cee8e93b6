#!/usr/bin/env bash
# bench/passthrough-ab.sh - the passthrough fast lane against tmpfs and the FUSE path, job by job:
# each job runs on every target in turn, ROUNDS times, all live at once, so a noisy machine moves
# all alike. Prints one CSV line per run and, per job and target, the median ratio to tmpfs with
# the spread of the rounds. Root, Linux 6.9+.
#   ROUNDS (default 3), SIZE (1G), RUNTIME (3 s per random job), JOBS (default: the bench/run.sh seven)
#   TARGETS (default "tmpfs pt fuse"): tmpfs = a file in /dev/shm (the baseline, always run);
#     pt = a passthrough disk, fuse = a plain disk on the FUSE path (same ramdiskfs);
#     ptb = a passthrough disk of a second ramdiskfs started with JAVA_OPTS=$B_OPTS and the options
#     $B_ARGS (an A/B of a setting, e.g. B_ARGS=--huge-pages or B_OPTS=-Dramdiskfs.backingTmpfs=...);
#     tmpfsh = a file on a tmpfs mounted with huge=within_size (what tmpfs itself does with it).
#   FRESH=1: punch every target's whole file before each run, so that writes fill empty memory
#     (the first fill of a disk) instead of overwriting what earlier jobs wrote.
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-3}; SIZE=${SIZE:-1G}; RUNTIME=${RUNTIME:-3}; SEQ_CAP=${SEQ_CAP:-60}
JOBS=${JOBS:-"seqwrite-buffered seqwrite-direct seqread-direct randread-1job randread-4jobs randwrite-1job randwrite-4jobs"}
TARGETS=${TARGETS:-"tmpfs pt fuse"}; B_OPTS=${B_OPTS:-}; B_ARGS=${B_ARGS:-}
case " $TARGETS " in *" tmpfs "*) ;; *) TARGETS="tmpfs $TARGETS" ;; esac
export SIZE RUNTIME SEQ_CAP
S=$(mktemp -d /tmp/ramdiskfs-ab.XXXXXX); SHM=/dev/shm/$(basename "$S").img; PIDS=
mounted() { awk -v m="$1" '$5 == m' /proc/self/mountinfo | grep -q .; }
cleanup() {
  for p in $PIDS; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  for m in "$S/mnt" "$S/mntb"; do mounted "$m" && fusermount -uz "$m"; done
  mounted "$S/huge" && umount "$S/huge"
  rm -rf "$S" "$SHM"
}
trap cleanup EXIT; trap 'exit 130' INT TERM
start() { # mountpoint log disk-args...
  local m=$1 log=$2; shift 2; mkdir "$m"
  "$ROOT/bin/ramdiskfs" --memory-limit 8G "$@" "$m" >"$log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 300); do mounted "$m" && break; sleep 0.1; done
}
truncate -s "$SIZE" "$SHM"
case " $TARGETS " in *" pt "*|*" fuse "*) start "$S/mnt" "$S/log" -d "pt=$SIZE,passthrough" -d "fuse=$SIZE" ;; esac
case " $TARGETS " in *" ptb "*) JAVA_OPTS="$B_OPTS" start "$S/mntb" "$S/logb" $B_ARGS -d "ptb=$SIZE,passthrough" ;; esac
case " $TARGETS " in *" tmpfsh "*) mkdir "$S/huge"; mount -t tmpfs -o "size=$SIZE,huge=within_size" none "$S/huge"; truncate -s "$SIZE" "$S/huge/f" ;; esac
for t in pt ptb; do
  case " $TARGETS " in *" $t "*)
    f=$S/mnt/$t; [ $t = ptb ] && f=$S/mntb/ptb
    getfattr -n user.ramdiskfs.layers --only-values "$f" 2>/dev/null | grep -q '^tmpfs' \
      || { echo "$t is not a passthrough disk:" >&2; cat "$S/log" "$S/logb" 2>/dev/null >&2; exit 1; } ;;
  esac
done
file_of() { case $1 in tmpfs) echo "$SHM" ;; tmpfsh) echo "$S/huge/f" ;; ptb) echo "$S/mntb/ptb" ;; *) echo "$S/mnt/$1" ;; esac; }
echo "job,round,target,MiB_s,IOPS"
for job in $JOBS; do
  : > "$S/job.csv"
  for r in $(seq "$ROUNDS"); do
    for t in $TARGETS; do
      [ "${FRESH:-0}" = 1 ] && fallocate --punch-hole --keep-size --offset 0 --length "$(stat -c %s "$(file_of $t)")" "$(file_of $t)"
      sync; echo 3 > /proc/sys/vm/drop_caches
      line=$(FILE=$(file_of $t) fio "$ROOT/bench/jobs/$job.fio" --output-format=json 2>/dev/null | python3 -c '
import json,sys; j=json.load(sys.stdin)["jobs"][0]; s="write" if j["write"]["io_bytes"]>0 else "read"
print("%.1f,%.0f" % (j[s]["bw_bytes"]/1048576.0, j[s]["iops"]))')
      echo "$job,$r,$t,$line" | tee -a "$S/job.csv"
    done
  done
  python3 - "$S/job.csv" <<'PY' >&2
import sys, csv, statistics
rows = list(csv.reader(open(sys.argv[1])))
v = {(r[1], r[2]): float(r[3]) for r in rows}
job = rows[0][0]; rounds = sorted({r[1] for r in rows}, key=int); targets = [t for t in dict.fromkeys(r[2] for r in rows) if t != "tmpfs"]
out = []
for t in targets:
    q = [v[(r, t)] / v[(r, "tmpfs")] for r in rounds]
    out.append("%s/tmpfs %.2f [%.2f-%.2f]" % (t, statistics.median(q), min(q), max(q)))
print("%-18s %s" % (job, " | ".join(out)))
PY
done
