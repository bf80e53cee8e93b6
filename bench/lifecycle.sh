#!/usr/bin/env bash
# Save, sparse copy and load against their yardsticks, in the same run (docs/performance.md,
# "Save, cp --sparse and load"):
#   - `ramdiskfs save` and `cp --sparse=auto` of a 100 GiB disk holding 1 GiB, against copying a
#     1 GiB file tmpfs -> tmpfs (goal: within 2x);
#   - loading a 4 GiB image from the page cache (`-d NAME=load:IMAGE`, the daemon's own "loaded ...
#     in N ms" line), against `cp` of that image to tmpfs (goal: at least 50 % of its speed).
# Needs root, FUSE, farm-bench; about 10 GiB of free memory. Usage: bench/lifecycle.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
rd=bin/ramdiskfs
work=$(mktemp -d /dev/shm/ramdiskfs-lifecycle.XXXXXX)   # tmpfs: outputs and images
mp=$(mktemp -d /tmp/ramdiskfs-lifecycle-mnt.XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
    mountpoint -q "$mp" && fusermount -u "$mp" || true
    rm -rf "$work" "$mp"
}
trap cleanup EXIT

mount_and_wait() { # ARGS...: start ramdiskfs in the background on $mp, wait for the mount
    "$rd" "$@" "$mp" >"$work/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q "mounted $mp" "$work/log" 2>/dev/null && return 0; sleep 0.2; done
    cat "$work/log"; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=; }

echo "== 100 GiB disk holding 1 GiB: save and cp --sparse=auto vs cp of a 1 GiB file tmpfs->tmpfs"
dd if=/dev/urandom of="$work/one-gib" bs=1M count=1024 status=none
mount_and_wait -d thin=100G
# The 1 GiB in 16 extents of 64 MiB spread over the 100 GiB.
for i in $(seq 0 15); do
    dd if="$work/one-gib" of="$mp/thin" bs=64M count=1 skip="$i" seek=$((i * 100)) conv=notrunc oflag=direct status=none
done
farm-bench -n "$runs" --timeout 600 --vs "cp $work/one-gib $work/copy-baseline" -- "$rd" save "$mp/thin" "$work/saved.raw"
farm-bench -n "$runs" --timeout 600 --vs "cp $work/one-gib $work/copy-baseline" -- cp --sparse=auto "$mp/thin" "$work/cp.raw"
du -h --apparent-size "$work/saved.raw"; du -h "$work/saved.raw" "$work/cp.raw"
rm -f "$work/saved.raw" "$work/cp.raw" "$work/copy-baseline"
stop

echo "== load of a 4 GiB image from the page cache vs cp of it to tmpfs"
for i in 0 1 2 3; do cat "$work/one-gib"; done >"$work/image.raw"
rm -f "$work/one-gib"
for r in $(seq "$runs"); do
    t0=$(date +%s%N); cp "$work/image.raw" "$work/image-copy"; t1=$(date +%s%N); rm -f "$work/image-copy"
    mount_and_wait -d l=load:"$work/image.raw"
    load_ms=$(sed -n 's/.*loaded l from .* in \([0-9]*\) ms.*/\1/p' "$work/log")
    stop
    cp_ms=$(( (t1 - t0) / 1000000 ))
    echo "run $r: cp to tmpfs ${cp_ms} ms ($((4096 * 1000 / cp_ms)) MiB/s), load ${load_ms} ms ($((4096 * 1000 / load_ms)) MiB/s): load/cp speed $((100 * cp_ms / load_ms)) %"
done
