#!/usr/bin/env bash
# bench/nbd-host.sh - what the FUSE hop costs under an NBD server, measured on the host with no
# guest in the way: fio's own NBD client (--ioengine=nbd, libnbd) on
#   nbdfile  a ramdiskfs disk exported by `nbdkit file dir=MOUNT` (the README's NBD export)
#   memory   `nbdkit memory SIZE` (the same server, its RAM plugin: no FUSE)
# both over Unix sockets, both holding the same REGION of random data. Each round runs every job on
# both, the first alternating (A B, B A, ...), so drift and neighbours hit both alike; prints per
# job the medians and nbdfile/memory with the per-round ratios (Markdown), and the CSV in OUT.
# bench/vm.sh has the same pair inside a guest (targets nbdfile and nbdkit), slower and noisier.
#
#   sudo flock /tmp/ramdiskfs-bench.lock bench/nbd-host.sh     # ROUNDS=5 RUNTIME=5 REGION=256M
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}; RUNTIME=${RUNTIME:-5}; REGION=${REGION:-256M}; SIZE=1G
OUT=${OUT:-$ROOT/bench/results/nbd-host-$(date +%Y%m%d-%H%M).csv}
JAR=$(ls "$ROOT"/fuse-mount/target/fuse-mount-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -n 1 || true)
[ "$(id -u)" = 0 ] || { echo "bench/nbd-host.sh: run as root (FUSE mount)" >&2; exit 1; }
[ -n "$JAR" ] || { echo "bench/nbd-host.sh: build the jar first (mvn -B -q -DskipTests package -pl fuse-mount -am)" >&2; exit 1; }
for t in nbdkit fio qemu-img; do command -v $t > /dev/null || { echo "bench/nbd-host.sh: needs $t" >&2; exit 1; }; done
fio --enghelp=nbd > /dev/null 2>&1 || { echo "bench/nbd-host.sh: this fio has no nbd engine" >&2; exit 1; }

S=$(mktemp -d /tmp/ramdiskfs-nbdhost.XXXXXX)
MNT=$S/mnt; RD_PID=; FILE_PID=; MEM_PID=
cleanup() {
    set +e   # only what this script started, by PID
    [ -n "$FILE_PID" ] && kill -TERM "$FILE_PID" 2>/dev/null && wait "$FILE_PID" 2>/dev/null
    [ -n "$MEM_PID" ] && kill -TERM "$MEM_PID" 2>/dev/null && wait "$MEM_PID" 2>/dev/null
    [ -n "$RD_PID" ] && kill -TERM "$RD_PID" 2>/dev/null && wait "$RD_PID" 2>/dev/null
    awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | grep -q . && fusermount -uz "$MNT"
    rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$MNT"
java -jar "$JAR" --memory-limit 3G -d "nbdfile=$SIZE" "$MNT" > "$S/ramdiskfs.log" 2>&1 &
RD_PID=$!
for _ in $(seq 300); do grep -qs "mounted $MNT" "$S/ramdiskfs.log" && break; sleep 0.1; done
grep -q "mounted $MNT" "$S/ramdiskfs.log" || { echo "bench/nbd-host.sh: ramdiskfs did not mount:" >&2; cat "$S/ramdiskfs.log" >&2; exit 1; }
nbdkit --foreground --unix "$S/file.sock" file dir="$MNT" > "$S/nbdkit-file.log" 2>&1 &
FILE_PID=$!
nbdkit --foreground --unix "$S/mem.sock" memory "$SIZE" > "$S/nbdkit-mem.log" 2>&1 &
MEM_PID=$!
for _ in $(seq 100); do [ -S "$S/file.sock" ] && [ -S "$S/mem.sock" ] && break; sleep 0.1; done
declare -A URI=([nbdfile]="nbd+unix:///nbdfile?socket=$S/file.sock" [memory]="nbd+unix:///?socket=$S/mem.sock")
dd if=/dev/urandom of="$S/fill.raw" bs=1M count=$(( $(numfmt --from=iec "$REGION") >> 20 )) status=none
for t in nbdfile memory; do qemu-img convert -n -f raw -O raw "$S/fill.raw" "${URI[$t]}"; done
rm -f "$S/fill.raw"

JOBS=("randread-4k-qd1 --rw=randread --bs=4k --iodepth=1" "randread-4k-qd32 --rw=randread --bs=4k --iodepth=32"
      "randwrite-4k-qd1 --rw=randwrite --bs=4k --iodepth=1" "randwrite-4k-qd32 --rw=randwrite --bs=4k --iodepth=32"
      "read-1m --rw=read --bs=1M --iodepth=1" "write-1m --rw=write --bs=1M --iodepth=1")
one() {   # TARGET JOB ARGS...: "iops KiB/s" of the job's direction
    local t=$1 name=$2; shift 2
    fio --name="$name" --ioengine=nbd --uri="${URI[$t]}" --size="$REGION" --time_based --runtime="$RUNTIME" \
        --ramp_time=1 --randrepeat=0 --minimal "$@" > "$S/out" 2> "$S/err" || { cat "$S/err" >&2; exit 1; }
    case $name in *write*) awk -F';' '$1 == 3 { print $49, $48 }' "$S/out" ;; *) awk -F';' '$1 == 3 { print $8, $7 }' "$S/out" ;; esac
}
mkdir -p "$(dirname "$OUT")"
echo "job,round,target,iops,KiB_s" > "$OUT"
for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order=(nbdfile memory); else order=(memory nbdfile); fi
    for j in "${JOBS[@]}"; do
        read -r -a a <<< "$j"
        for t in "${order[@]}"; do
            read -r iops kib < <(one "$t" "${a[@]}")
            echo "${a[0]},$r,$t,$iops,$kib" | tee -a "$OUT" >&2
        done
    done
done
python3 - "$OUT" <<'EOF' | tee "${OUT%.csv}.md"
import csv, statistics, sys
from collections import defaultdict
v = defaultdict(dict); jobs = []
for r in csv.DictReader(open(sys.argv[1])):
    x = float(r["iops"]) if "4k" in r["job"] else float(r["KiB_s"]) / 1024
    v[r["job"], r["target"]][r["round"]] = x
    jobs += [r["job"]] if r["job"] not in jobs else []
print("| job | unit | memory: median | nbdfile: median | nbdfile / memory: median (per round) |")
print("|---|---|---|---|---|")
for j in jobs:
    a, b = v[j, "nbdfile"], v[j, "memory"]
    ratios = [a[r] / b[r] for r in sorted(a) if r in b and b[r] > 0]
    print(f"| {j} | {'IOPS' if '4k' in j else 'MiB/s'} | {statistics.median(b.values()):,.0f} | {statistics.median(a.values()):,.0f} | "
          f"{statistics.median(ratios):.2f} ({', '.join(f'{x:.2f}' for x in ratios)}) |")
EOF
