#!/usr/bin/env bash
# bench/run.sh - fio against ramdiskfs beside tmpfs (the physical limit) and, when it can be
# built, a minimal C libfuse2 file over malloc'd memory (the FUSE transport limit), in one run.
#
# Usage:  sudo bench/run.sh                  # SIZE=1G, 10 s per timed job
#         SIZE=256M RUNTIME=3 bench/run.sh   # a quick look
# Env:    SIZE, RUNTIME (timed jobs, s), WARM_GIB (RAM touched first; default 4), SEQ_CAP (cap on one-pass jobs, s), TARGETS (subset of
#         "tmpfs c_memfile ramdiskfs passthrough passthroughhuge pagecache serialwrites noxattr memdiff frozen8 memdiffcopy smallrequests libfusedata nostats";
#         default "tmpfs c_memfile ramdiskfs passthrough memdiff frozen8"; frozen8 = a disk whose data lies in 8 frozen layers (snapshots);
#         passthrough = a plain disk on the FUSE passthrough fast lane, passthroughhuge = the same with --huge-pages; NAME#2 repeats a target in the same run;
#         nostats = without the status counters (-Dramdiskfs.stats=false);
#         smallrequests = libfuse2's 128 KiB requests instead of 1 MiB, libfusedata = READ/WRITE through libfuse; pagecache = ramdiskfs
#         --page-cache, serialwrites = without FOPEN_PARALLEL_DIRECT_WRITES, noxattr = --page-cache --no-xattr,
#         memdiffcopy = memdiff with image reads copied through Java instead of spliced), OUT (results dir; default bench/results/<stamp>),
#         CFUSE_SRC (path of cfuse-memfile.c; default ../shared/bench/cfuse-memfile.c).
# Writes OUT/results.csv, OUT/table.md, OUT/chart.svg and copies them to bench/results/latest/.
# Every mount, process and file it creates is removed at the end, also on Ctrl-C.
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIZE=${SIZE:-1G}
RUNTIME=${RUNTIME:-10}
SEQ_CAP=${SEQ_CAP:-60}
TARGETS=${TARGETS:-"tmpfs c_memfile ramdiskfs passthrough memdiff frozen8"}
CFUSE_SRC=${CFUSE_SRC:-$ROOT/../shared/bench/cfuse-memfile.c}
STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=${OUT:-$ROOT/bench/results/$STAMP}
# Scratch of this run only, so two runs (other worktrees) never share a mount point or image.
S=$(mktemp -d /tmp/ramdiskfs-bench.XXXXXX)
SHM=/dev/shm/$(basename "$S")
export SIZE RUNTIME SEQ_CAP
mkdir -p "$OUT" "$S"

log() { echo "[$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root (drop_caches, FUSE mounts)" >&2; exit 2; }
if ! command -v fio >/dev/null; then
  log "installing fio"; apt-get update -qq && apt-get install -y -qq fio >/dev/null || { echo "install fio" >&2; exit 1; }
fi

PIDS=; MNT=; FILE=
wait_for() { local t=$(( $1 * 10 )); shift; while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t-1)); done; return 1; }
# One awk reads all of mountinfo: no early-exiting grep -q on a pipe (a SIGPIPE'd writer fails under pipefail).
is_fuse_mount() { awk -v m="$1" '$5 == m && / - fuse/ { f = 1 } END { exit !f }' /proc/self/mountinfo; }
rss_mib() { awk '/^VmRSS:/{printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo -; }
stop() {
  for p in $PIDS; do
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  done
  if [ -n "$MNT" ] && is_fuse_mount "$MNT"; then fusermount -u "$MNT" 2>/dev/null || fusermount -uz "$MNT"; fi
  PIDS=; MNT=; FILE=
}
cleanup() { stop; rm -f "$SHM.img" "$SHM-base.img"; rm -rf "$S"; }
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

build_ramdiskfs() {
  ls "$ROOT"/fuse-mount/target/fuse-mount-*.jar >/dev/null 2>&1 && [ -d "$ROOT/fuse-mount/target/lib" ] && return 0
  log "building ramdiskfs"; (cd "$ROOT" && mvn -B -q -DskipTests package -pl fuse-mount -am) >&2
}

setup_tmpfs() { FILE=$SHM.img; rm -f "$FILE"; truncate -s "$SIZE" "$FILE"; }
setup_c_memfile() {
  [ -f "$CFUSE_SRC" ] || { log "c_memfile: $CFUSE_SRC not found, skipped"; return 1; }
  pkg-config --exists fuse 2>/dev/null || apt-get install -y -qq libfuse-dev >/dev/null 2>&1 || return 1
  local bytes; bytes=$(numfmt --from=iec "$SIZE")
  sed "s/static off_t size = 1L<<30;/static off_t size = ${bytes}L;/" "$CFUSE_SRC" > "$S/cfuse-memfile.c"
  gcc -O2 -o "$S/cfuse-memfile" "$S/cfuse-memfile.c" $(pkg-config --cflags --libs fuse) || return 1
  MNT=$S/cmnt; mkdir -p "$MNT"
  "$S/cfuse-memfile" "$MNT" -f -o big_writes -o max_write=131072 >"$OUT/c_memfile.log" 2>&1 &
  PIDS=$!; FILE=$MNT/disk0
  wait_for 30 is_fuse_mount "$MNT"
}
start_ramdiskfs() { # args...
  MNT=$S/mnt; mkdir -p "$MNT"
  "$ROOT/bin/ramdiskfs" --memory-limit 8G "$@" "$MNT" >"$OUT/$CUR.log" 2>&1 &
  PIDS=$!
  wait_for 60 is_fuse_mount "$MNT" || { cat "$OUT/$CUR.log" >&2; return 1; }
  # the launcher execs java, so $PIDS is the JVM
}
# A second small disk takes a few seconds of mixed I/O first, so the JIT has compiled the I/O
# path before anything is measured (the memdiff run starts with reads of untouched data).
warm_up() {
  fio --name=warmup --filename="$MNT/warmup" --size=64M --rw=randrw --bs=4k --direct=1 --time_based --runtime=4 \
      --ioengine=psync --output=/dev/null >/dev/null 2>&1
  fio --name=warmup --filename="$MNT/warmup" --size=64M --rw=rw --bs=1M --direct=1 --time_based --runtime=2 \
      --ioengine=psync --output=/dev/null >/dev/null 2>&1
  rm -f "$MNT/warmup"
}
# serve DISK0_SPEC [OPTIONS...]: ramdiskfs with disk0 and a warm-up disk, JIT warmed, FILE set
serve() { local spec=$1; shift; start_ramdiskfs "$@" -d "disk0=$spec" -d warmup=64M && FILE=$MNT/disk0 && warm_up; }
setup_ramdiskfs() { serve "$SIZE"; }
# The fast lane: FUSE passthrough to a tmpfs file (root, Linux 6.9+); the same disk as ramdiskfs otherwise.
setup_passthrough() { serve "$SIZE,passthrough"; }
# The fast lane with 2 MiB pages in its tmpfs (--huge-pages: faster, memory in 2 MiB units).
setup_passthroughhuge() { serve "$SIZE,passthrough" --huge-pages; }
setup_noxattr() { serve "$SIZE" --page-cache --no-xattr; }
setup_pagecache() { serve "$SIZE" --page-cache; }
setup_serialwrites() { JAVA_OPTS="${JAVA_OPTS:-} -Dramdiskfs.parallelWrites=false" serve "$SIZE"; }
setup_smallrequests() { JAVA_OPTS="${JAVA_OPTS:-} -Dramdiskfs.maxRequest=131072" serve "$SIZE"; }
setup_nostats() { JAVA_OPTS="${JAVA_OPTS:-} -Dramdiskfs.stats=false" serve "$SIZE"; }
setup_libfusedata() { JAVA_OPTS="${JAVA_OPTS:-} -Dramdiskfs.directData=false" serve "$SIZE"; }
setup_memdiff() {
  local base=$SHM-base.img
  if [ ! -f $base ]; then
    log "memdiff: writing a $SIZE base image on /dev/shm"
    dd if=/dev/urandom of=$base bs=1M count=$(( $(numfmt --from=iec "$SIZE") >> 20 )) status=none
  fi
  serve "memdiff:$base"
}
# A layered disk: its data written in eight slices with a snapshot after each, so a read walks
# eight frozen layers under the live one (snapshots keep it from the passthrough lane).
setup_frozen8() {
  serve "$SIZE" || return 1
  local mib=$(( $(numfmt --from=iec "$SIZE") >> 20 )) i
  for i in 0 1 2 3 4 5 6 7; do
    dd if=/dev/urandom of="$FILE" bs=1M count=$((mib / 8)) seek=$((i * mib / 8)) oflag=direct conv=notrunc status=none || return 1
    setfattr -n user.ramdiskfs.snapshot -v "layer$i" "$FILE" || return 1
  done
  log "frozen8: layers $(getfattr --only-values -n user.ramdiskfs.layers "$FILE")"
}
setup_memdiffcopy() { JAVA_OPTS="${JAVA_OPTS:-} -Dramdiskfs.imageReads=false" setup_memdiff; }

# job NAME : runs bench/jobs/NAME.fio against $FILE, appends "target,job,MiB/s,IOPS" to the CSV
job() {
  local name=$1 out=$OUT/$CUR.$1.json
  sync; echo 3 > /proc/sys/vm/drop_caches
  FILE=$FILE fio "$ROOT/bench/jobs/$name.fio" --output-format=json --output="$out" 2>"$OUT/$CUR.$name.err"
  python3 - "$out" "$CUR" "$name" >> "$OUT/results.csv" <<'PY' || echo "$CUR,$name,ERR,ERR" >> "$OUT/results.csv"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
side = "write" if j["write"]["io_bytes"] > 0 else "read"
r = j[side]
print("%s,%s,%.1f,%.0f" % (sys.argv[2], sys.argv[3], r["bw_bytes"] / 1048576.0, r["iops"]))
PY
  tail -n1 "$OUT/results.csv" | sed 's/^/  /' >&2
}

# On a VM the first touch of guest memory the host never backed is slow (the profile of a first
# fill is mostly clear_page under host faults); touching a few GiB first keeps that cost out of
# whichever target runs first, as peers.sh does.
WARM_GIB=${WARM_GIB:-4}
if [ "$WARM_GIB" -gt 0 ]; then
  log "warming $WARM_GIB GiB of RAM via /dev/shm"
  dd if=/dev/zero of="$SHM-warm" bs=1M count=$((WARM_GIB * 1024)) status=none
  rm -f "$SHM-warm"
fi
echo "target,job,MiB_s,IOPS" > "$OUT/results.csv"
echo "target,idle_rss_mib,filled_rss_mib,after_punch_rss_mib" > "$OUT/memory.csv"
build_ramdiskfs || exit 1
WRITES="seqwrite-buffered seqwrite-direct"
READS="seqread-direct randread-1job randread-4jobs"
RANDW="randwrite-1job randwrite-4jobs"
for CUR in $TARGETS; do
  log "== $CUR"
  # A target may repeat as NAME#2, NAME#3 (A B A B runs in one call); NAME picks the setup.
  if ! "setup_${CUR%%#*}"; then log "$CUR: setup failed, skipped"; stop; continue; fi
  idle=$([ -n "$PIDS" ] && rss_mib $PIDS || echo -)
  if [ "$CUR" = memdiff ] || [ "$CUR" = memdiffcopy ] || [ "${CUR%%#*}" = frozen8 ]; then
    # Reads first, so they fall through to the image (the frozen layers); then the writes land in RAM.
    for j in $READS $WRITES $RANDW; do job "$j"; done
  else
    for j in $WRITES $READS $RANDW; do job "$j"; done
  fi
  filled=$([ -n "$PIDS" ] && rss_mib $PIDS || echo -)
  punched=-
  if [ -n "$PIDS" ] && [ "$CUR" != c_memfile ]; then
    fallocate --punch-hole -o 0 -l "$SIZE" "$FILE" && sleep 1 && punched=$(rss_mib $PIDS)
  fi
  echo "$CUR,$idle,$filled,$punched" >> "$OUT/memory.csv"
  stop
  [ "${CUR%%#*}" = tmpfs ] && rm -f "$SHM.img"
done

python3 "$ROOT/bench/report.py" "$OUT" "SIZE=$SIZE RUNTIME=${RUNTIME}s" > "$OUT/table.md"
mkdir -p "$ROOT/bench/results/latest"
cp "$OUT/results.csv" "$OUT/memory.csv" "$OUT/table.md" "$OUT/chart.svg" "$ROOT/bench/results/latest/" 2>/dev/null
cat "$OUT/table.md"
