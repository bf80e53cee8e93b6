#!/usr/bin/env bash
# bench/vm.sh - fio inside a qemu guest, on a virtio disk (raw, cache=none, aio=threads) backed by:
#   tmpfs    a raw file on /dev/shm (the yardstick: no FUSE, no NBD)
#   fuse     a plain ramdiskfs disk on the FUSE path
#   pt       a plain ramdiskfs disk on the passthrough fast lane (--passthrough; root, Linux 6.9+)
#   memdiff  a ramdiskfs RAM layer over a raw image on /dev/shm (reads fall through to the image)
#   nbdkit   `nbdkit memory 1G`, reached by qemu's own NBD client over a Unix socket
#   nbdfile  a ramdiskfs disk exported by `nbdkit file dir=MOUNT` (the README's NBD export), reached
#            the same way: nbdfile against nbdkit is what the FUSE hop under an NBD server costs
#   vu-ram   a plain ramdiskfs disk served over vhost-user-blk (--vhost-user; no FUSE, no qemu block layer)
#   vu-memdiff  a ramdiskfs memdiff disk over the same image, served over vhost-user-blk
#   qcow2    what a qemu user does without ramdiskfs: a qcow2 overlay on /dev/shm over the same image
#   qsd      the same overlay exported by qemu-storage-daemon over vhost-user-blk (its num-queues
#            equal to the device's, 1: the guest has 1 vCPU)
# The guest (bench/vm/build-guest.sh --fio: Debian kernel, busybox, the host's fio and its
# libraries in the initramfs) runs six jobs on /dev/vda, reads first so that they read the data
# the host put there: 4 KiB random read qd1 and qd32, 1 MiB sequential read, then 1 MiB sequential
# write, 4 KiB random write qd1 and qd32 (libaio, O_DIRECT). Before every boot each target is put
# back to the same state (REGION of the same random data; memdiff: rolled back to an empty RAM
# layer), and every round boots each target once, in a rotated order. TCG (the host's /dev/kvm is
# a PVM variant stock kernels do not boot under) makes the guest slow and noisy: read medians and
# ranges, and ratios to tmpfs within a round.
#
#   sudo bench/vm.sh                      # ROUNDS=3 RUNTIME=5 REGION=256M TARGETS="tmpfs fuse pt memdiff nbdkit nbdfile vu-ram vu-memdiff qcow2 qsd"
# Output: one CSV line per job and boot on stdout (and in OUT, default bench/results/vm-DATE.csv),
# the summary table (Markdown) on stderr and in OUT with .md; the ramdiskfs daemon's CPU per guest
# I/O for its targets in OUT with -cpu.csv.
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../bin/lib/checks.sh
. "$ROOT/bin/lib/checks.sh"
ROUNDS=${ROUNDS:-3}; RUNTIME=${RUNTIME:-5}; REGION=${REGION:-256M}; SIZE=1G
TARGETS=${TARGETS:-"tmpfs fuse pt memdiff nbdkit nbdfile vu-ram vu-memdiff qcow2 qsd"}
OUT=${OUT:-$ROOT/bench/results/vm-$(date +%Y%m%d-%H%M).csv}
JAR=$(ls "$ROOT"/fuse-mount/target/fuse-mount-*.jar 2>/dev/null | grep -v -e sources -e javadoc | head -n 1 || true)

is_root || { echo "bench/vm.sh: run as root (passthrough, mounts, apt)" >&2; exit 1; }
missing=()
have qemu-system-x86_64 || missing+=(qemu-system-x86)
have nbdkit || missing+=(nbdkit)
have qemu-img || missing+=(qemu-utils)
have fio || missing+=(fio)
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench/vm.sh: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --no-remove "${missing[@]}" >&2
fi
[ -n "$JAR" ] || { echo "bench/vm.sh: build the jar first (mvn -B -q -DskipTests package -pl fuse-mount -am)" >&2; exit 1; }
KIT=$("$ROOT/bench/vm/build-guest.sh" --fio | tail -n 1)

S=$(mktemp -d /tmp/ramdiskfs-vm.XXXXXX)
SHM=$(mktemp -d /dev/shm/ramdiskfs-vm.XXXXXX)
MNT=$S/mnt; RD_PID=; NBD_PID=; NBDFILE_PID=; QEMU_PID=; QSD_PID=
cleanup() {
    # Only what this script started, by PID. No errexit here: `wait` on a killed child is non-zero.
    set +e
    [ -n "$QEMU_PID" ] && kill -KILL "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
    [ -n "$NBD_PID" ] && kill -TERM "$NBD_PID" 2>/dev/null && wait "$NBD_PID" 2>/dev/null
    [ -n "$NBDFILE_PID" ] && kill -TERM "$NBDFILE_PID" 2>/dev/null && wait "$NBDFILE_PID" 2>/dev/null
    [ -n "$QSD_PID" ] && kill -TERM "$QSD_PID" 2>/dev/null && wait "$QSD_PID" 2>/dev/null
    [ -n "$RD_PID" ] && kill -TERM "$RD_PID" 2>/dev/null && wait "$RD_PID" 2>/dev/null
    awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | grep -q . && fusermount -uz "$MNT"
    rm -rf "$S" "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The data every target starts from, and the memdiff image (SIZE, REGION of it data).
dd if=/dev/urandom of="$SHM/fill.raw" bs=1M count=$(( $(numfmt --from=iec "$REGION") >> 20 )) status=none
truncate -s "$SIZE" "$SHM/base.raw"
dd if="$SHM/fill.raw" of="$SHM/base.raw" bs=1M conv=notrunc status=none

mkdir "$MNT"
java -jar "$JAR" --memory-limit 6G -d "fuse=$SIZE" -d "pt=$SIZE,passthrough" -d "memdiff=memdiff:$SHM/base.raw" \
    -d "vuram=$SIZE" -d "vumemdiff=memdiff:$SHM/base.raw" --vhost-user "$S/vu" "$MNT" \
    > "$S/ramdiskfs.log" 2>&1 &
RD_PID=$!
for _ in $(seq 300); do grep -q "mounted $MNT" "$S/ramdiskfs.log" && break; sleep 0.1; done
grep -q "mounted $MNT" "$S/ramdiskfs.log" || { echo "bench/vm.sh: ramdiskfs did not mount:" >&2; cat "$S/ramdiskfs.log" >&2; exit 1; }
getfattr -n user.ramdiskfs.layers --only-values "$MNT/pt" | grep -q '^tmpfs' \
    || { echo "bench/vm.sh: pt is not a passthrough disk (needs root and Linux 6.9+):" >&2; cat "$S/ramdiskfs.log" >&2; exit 1; }
setfattr -n user.ramdiskfs.snapshot -v clean "$MNT/memdiff"   # the empty RAM layer every boot starts from
setfattr -n user.ramdiskfs.snapshot -v clean "$MNT/vumemdiff"

nbdkit --foreground --unix "$S/nbd.sock" memory "$SIZE" > "$S/nbdkit.log" 2>&1 &
NBD_PID=$!
for _ in $(seq 100); do [ -S "$S/nbd.sock" ] && break; sleep 0.1; done
NBD_URI="nbd+unix:///?socket=$S/nbd.sock"

# nbdfile: nbdkit's file plugin over the mount, serving the disk nbdfile (made with truncate, as a
# user would) by name; nbdkit opens MNT/nbdfile per connection, with no page cache of its own.
nbdfile_start() {
    truncate -s "$SIZE" "$MNT/nbdfile"
    nbdkit --foreground --unix "$S/nbdfile.sock" file dir="$MNT" > "$S/nbdkit-file.log" 2>&1 &
    NBDFILE_PID=$!
    for _ in $(seq 100); do [ -S "$S/nbdfile.sock" ] && break; sleep 0.1; done
    [ -S "$S/nbdfile.sock" ] || { echo "bench/vm.sh: nbdkit file did not start:" >&2; cat "$S/nbdkit-file.log" >&2; exit 1; }
}
nbdfile_reset() {   # the disk punched empty and refilled through the mount; prints the NBD URI
    fallocate --punch-hole --offset 0 --length "$(numfmt --from=iec "$SIZE")" "$MNT/nbdfile"
    dd if="$SHM/fill.raw" of="$MNT/nbdfile" bs=1M conv=notrunc oflag=direct status=none
    echo "nbd+unix:///nbdfile?socket=$S/nbdfile.sock"
}
case " $TARGETS " in *" nbdfile "*) nbdfile_start ;; esac
# --- vhost-user targets (issue 22): disks vuram and vumemdiff of the same daemon, on $S/vu/NAME.sock.
# Puts vu-TARGET back to the starting state; prints its socket.
vhost_user_reset() {
    case $1 in
        vu-ram) fallocate --punch-hole --offset 0 --length "$(numfmt --from=iec "$SIZE")" "$MNT/vuram"
                dd if="$SHM/fill.raw" of="$MNT/vuram" bs=1M conv=notrunc oflag=direct status=none
                echo "$S/vu/vuram.sock" ;;
        vu-memdiff)
            # The last guest's connection holds the disk until the daemon has seen it hang up: EBUSY for a moment.
            local i
            for i in $(seq 50); do
                setfattr -n user.ramdiskfs.rollback -v clean "$MNT/vumemdiff" 2>/dev/null && break
                [ "$i" = 50 ] && { echo "bench/vm.sh: vumemdiff cannot be rolled back" >&2; return 1; }
                sleep 0.2
            done
            echo "$S/vu/vumemdiff.sock" ;;
    esac
}
# qemu's arguments for the vhost-user-blk device on SOCKET: guest memory in a shared memfd.
vhost_user_device() {
    echo "-object memory-backend-memfd,id=mem,size=1G,share=on -machine memory-backend=mem" \
        "-chardev socket,id=vu0,path=$1 -device vhost-user-blk-pci,chardev=vu0"
}
# CPU seconds (user + system) the ramdiskfs daemon has used so far.
daemon_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$RD_PID/stat"
}

# --- the peers a qemu user has for RAM writes over a base image (issue 22): a fresh qcow2 overlay
# on /dev/shm over base.raw for every boot, opened by qemu itself (qcow2) or by
# qemu-storage-daemon exporting it over vhost-user-blk (qsd). Reads fall through to the base until
# written, as on memdiff.
overlay_reset() {   # NAME: prints the new overlay's path
    rm -f "$SHM/$1.qcow2"
    qemu-img create -q -f qcow2 -F raw -b "$SHM/base.raw" "$SHM/$1.qcow2" "$SIZE" >&2
    echo "$SHM/$1.qcow2"
}
qsd_reset() {   # restarts qemu-storage-daemon on a fresh overlay, at $S/qsd.sock; not in a $(...): QSD_PID must stay set
    if [ -n "$QSD_PID" ]; then kill -TERM "$QSD_PID" 2>/dev/null; wait "$QSD_PID" 2>/dev/null || true; QSD_PID=; fi
    local overlay
    overlay=$(overlay_reset qsd)
    rm -f "$S/qsd.sock"
    qemu-storage-daemon --blockdev "driver=file,node-name=file0,filename=$overlay,cache.direct=on" \
        --blockdev driver=qcow2,node-name=disk0,file=file0 \
        --export "type=vhost-user-blk,id=exp0,addr.type=unix,addr.path=$S/qsd.sock,node-name=disk0,writable=on,num-queues=1" \
        > "$S/qsd.log" 2>&1 &
    QSD_PID=$!
    for _ in $(seq 100); do [ -S "$S/qsd.sock" ] && break; sleep 0.1; done
    [ -S "$S/qsd.sock" ] || { echo "bench/vm.sh: qemu-storage-daemon did not start:" >&2; cat "$S/qsd.log" >&2; return 1; }
}

# Puts TARGET back to the starting state; prints the -drive file= of it.
reset_target() {
    case $1 in
        tmpfs) rm -f "$SHM/tmpfs.raw"; truncate -s "$SIZE" "$SHM/tmpfs.raw"
               dd if="$SHM/fill.raw" of="$SHM/tmpfs.raw" bs=1M conv=notrunc status=none
               echo "$SHM/tmpfs.raw" ;;
        fuse|pt) fallocate --punch-hole --offset 0 --length "$(numfmt --from=iec "$SIZE")" "$MNT/$1"
                 dd if="$SHM/fill.raw" of="$MNT/$1" bs=1M conv=notrunc oflag=direct status=none
                 echo "$MNT/$1" ;;
        memdiff) setfattr -n user.ramdiskfs.rollback -v clean "$MNT/memdiff"
                 echo "$MNT/memdiff" ;;
        nbdkit) qemu-img convert -n -f raw -O raw "$SHM/fill.raw" "$NBD_URI" >&2
                echo "$NBD_URI" ;;
        nbdfile) nbdfile_reset ;;
        vu-*) vhost_user_reset "$1" ;;
        qcow2) overlay_reset qcow2 ;;
    esac
}

# The guest's scenario: the six jobs on /dev/vda, one "RESULT job read_iops read_KiB/s write_iops write_KiB/s" each.
cat > "$S/guest.sh" <<EOF
run() {
    name=\$1; shift
    fio --name=\$name --filename=/dev/vda --direct=1 --ioengine=libaio --thread --size=$REGION \
        --time_based --runtime=$RUNTIME --ramp_time=1 --randrepeat=0 --minimal "\$@" > /tmp/out 2>/tmp/err \
        || { echo "FIO-FAILED \$name"; cat /tmp/err; return 1; }
    awk -F';' -v n=\$name '{ print "RESULT", n, \$8, \$7, \$49, \$48 }' /tmp/out
}
run randread-4k-qd1   --rw=randread  --bs=4k --iodepth=1
run randread-4k-qd32  --rw=randread  --bs=4k --iodepth=32
run read-1m           --rw=read      --bs=1M --iodepth=1
run write-1m          --rw=write     --bs=1M --iodepth=1
run randwrite-4k-qd1  --rw=randwrite --bs=4k --iodepth=1
run randwrite-4k-qd32 --rw=randwrite --bs=4k --iodepth=32
EOF
chmod 755 "$S/guest.sh"
cp "$KIT/initramfs-fio.cpio" "$S/initrd"
(cd "$S" && echo guest.sh | "$KIT/busybox" cpio -o -H newc 2>/dev/null) >> "$S/initrd"

boot() {   # TARGET ROUND
    local file console=$S/$1-$2.console cpu0 dev
    if [ "$1" = qsd ]; then qsd_reset; file=$S/qsd.sock; else file=$(reset_target "$1"); fi
    dev=(-drive "file=$file,format=raw,cache=none,aio=threads,if=virtio")
    case $1 in
        vu-*|qsd) read -r -a dev <<< "$(vhost_user_device "$file")" ;;
        qcow2) dev=(-drive "file=$file,format=qcow2,cache=none,aio=threads,if=virtio") ;;
    esac
    cpu0=$(daemon_cpu)
    qemu-system-x86_64 -accel tcg -m 1G -smp 1 -nodefaults -no-user-config -display none -no-reboot \
        -kernel "$KIT/vmlinuz" -initrd "$S/initrd" -append "console=ttyS0 panic=-1 quiet" \
        -serial "file:$console" "${dev[@]}" < /dev/null > "$S/qemu.err" 2>&1 &
    QEMU_PID=$!
    local waited=0
    while kill -0 "$QEMU_PID" 2>/dev/null; do
        sleep 1; waited=$((waited + 1))
        if [ $waited -gt $(( 120 + 12 * (RUNTIME + 3) )) ]; then
            echo "bench/vm.sh: guest on $1 still running after ${waited}s; killed" >&2
            # Then stop looking: a killed qemu stays a zombie until `wait`, so kill -0 still
            # succeeds, and a second kill -KILL failed under errexit before the console was shown.
            kill -KILL "$QEMU_PID" 2>/dev/null || true
            break
        fi
    done
    wait "$QEMU_PID" || true
    QEMU_PID=
    tr -d '\r' < "$console" | grep -q '^GUEST-EXIT 0' || { echo "bench/vm.sh: the guest on $1 failed (console kept in ${OUT%.csv}-$1-$2.console):" >&2
        cp "$console" "${OUT%.csv}-$1-$2.console"; tail -n 30 "$console" >&2; cat "$S/qemu.err" >&2; exit 1; }
    tr -d '\r' < "$console" | awk -v t="$1" -v r="$2" '$1 == "RESULT" { print $2 "," r "," t "," $3 "," $4 "," $5 "," $6 }'
    # The daemon's CPU over the boot per guest I/O (IOPS x RUNTIME summed over the jobs): its own
    # targets only; the idle daemon's share is in every row alike.
    case $1 in
        fuse|pt|memdiff|vu-*)
            tr -d '\r' < "$console" | awk -v t="$1" -v r="$2" -v rt="$RUNTIME" -v c0="$cpu0" -v c1="$(daemon_cpu)" \
                '$1 == "RESULT" { ios += ($3 + $5) * rt } END { printf "%s,%s,%.2f,%d,%.1f\n", r, t, c1 - c0, ios, ios ? (c1 - c0) * 1e6 / ios : 0 }' \
                >> "${OUT%.csv}-cpu.csv" ;;
    esac
}

mkdir -p "$(dirname "$OUT")"
echo "job,round,target,read_iops,read_KiB_s,write_iops,write_KiB_s" | tee "$OUT"
echo "round,target,daemon_cpu_s,guest_ios,daemon_cpu_us_per_io" > "${OUT%.csv}-cpu.csv"
read -r -a order <<< "$TARGETS"
for r in $(seq "$ROUNDS"); do
    for i in "${!order[@]}"; do
        t=${order[$(( (i + r - 1) % ${#order[@]} ))]}
        boot "$t" "$r" > "$S/rows"   # not in a pipeline: QEMU_PID must stay visible to cleanup
        tee -a "$OUT" < "$S/rows"
    done
done
python3 "$ROOT/bench/vm/summary.py" "$OUT" | tee "${OUT%.csv}.md" >&2
echo "daemon CPU per guest I/O (${OUT%.csv}-cpu.csv):" >&2
column -s, -t < "${OUT%.csv}-cpu.csv" >&2
