#!/usr/bin/env bash
# bench/zeros.sh - what zeros cost (issue 24), in one run (docs/performance.md, "Zeros"):
#   1. memory: 1 GiB of dd if=/dev/zero (direct, and buffered + fsync) onto a disk holding data and
#      onto memdiff disks over a random base image, with the zero check on and off
#      (-Dramdiskfs.zeroCheck=false: every zero is stored, as before issue 24): committed bytes
#      after, whether it reads back zero, time; cp --sparse=never of a 10 GiB disk holding 64 MiB
#      (and, check off, the same copy under a 512 MiB budget);
#   2. same-run A/B of the check on the data path (bench/ab.sh): 1 MiB sequential writes of random
#      data, 4 KiB random writes, 1 MiB writes of zeros, ROUNDS rounds, medians, ratios;
#   3. the same 1 GiB zero fill, empty and over data, direct and buffered, beside tmpfs and zram
#      (a zram device of its own, /sys/class/zram-control/hot_add): time and memory used after,
#      the targets' order rotating round by round;
#   4. partial chunks: after mkfs.ext4 and file writes on a disk, the zero bytes inside chunks that
#      hold other data (bench/zeros-partial.py): what a finer representation would save.
# Timed parts hold /tmp/ramdiskfs-bench.lock. Needs root, FUSE, fio, numpy; about 6 GiB of memory.
#
# Usage:  sudo bench/zeros.sh
# Env:    ROUNDS (A/B and zero-fill rounds; default 5), RUNTIME (s, the timed A/B job; default 5),
#         PARTS (subset of "memory ab fill partial"; default all), OUT (default bench/results/zeros-<stamp>)
# Writes OUT/memory.csv, OUT/fill.csv, OUT/ab.csv, OUT/ab.md, OUT/partial.csv and OUT/table.md (printed).
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-5}
RUNTIME=${RUNTIME:-5}
PARTS=${PARTS:-"memory ab fill partial"}
STAMP=$(date -u +%Y%m%d-%H%M)
OUT=${OUT:-$ROOT/bench/results/zeros-$STAMP}
LOCK=/tmp/ramdiskfs-bench.lock
GiB=1073741824
MiB=1048576
[ "$(id -u)" = 0 ] || { echo "bench/zeros.sh: run as root (FUSE mounts, zram, losetup)" >&2; exit 2; }
for t in fio getfattr losetup mkfs.ext4; do command -v $t >/dev/null || { echo "bench/zeros.sh: needs $t" >&2; exit 1; }; done
mkdir -p "$OUT"
S=$(mktemp -d /tmp/ramdiskfs-zeros.XXXXXX)       # mount points, logs
SHM=$(mktemp -d /dev/shm/ramdiskfs-zeros.XXXXXX) # the data and base image, the tmpfs target
log() { echo "[$(date +%T)] $*" >&2; }
is_fuse_mount() { awk -v m="$1" '$5 == m && / - fuse/ { f = 1 } END { exit !f }' /proc/self/mountinfo; }

declare -A PID_OF
ZRAM=; LOOP=; EXTMNT=
stop() { # NAME
  local p=${PID_OF[$1]:-} m=$S/$1
  if [ -n "$p" ]; then
    kill -TERM "$p" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
  fi
  is_fuse_mount "$m" && { fusermount -u "$m" 2>/dev/null || fusermount -uz "$m"; }
  unset "PID_OF[$1]"
}
cleanup() {
  [ -n "$EXTMNT" ] && mountpoint -q "$EXTMNT" && umount "$EXTMNT"
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
  for n in "${!PID_OF[@]}"; do stop "$n"; done
  if [ -n "$ZRAM" ]; then echo 1 > "/sys/block/zram$ZRAM/reset"; echo "$ZRAM" > /sys/class/zram-control/hot_remove; fi
  rm -rf "$SHM" "$S"
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

# start NAME JAVA_OPTS ARGS...: bin/ramdiskfs on $S/NAME in the background (not holding the lock's fd)
start() {
  local name=$1 opts=$2 m=$S/$1; shift 2
  mkdir -p "$m"
  JAVA_OPTS="$opts" RAMDISKFS_NO_BUILD=1 "$ROOT/bin/ramdiskfs" "$@" "$m" >"$S/$name.log" 2>&1 9>&- &
  PID_OF[$name]=$!
  for _ in $(seq 600); do is_fuse_mount "$m" && return 0; sleep 0.1; done
  cat "$S/$name.log" >&2; exit 1
}
committed() { getfattr --absolute-names --only-values -n user.ramdiskfs.committed_bytes "$1"; }
# zero_bytes MOUNT DISK: the disk's zero_bytes from the mount's status document
zero_bytes() {
  getfattr --absolute-names --only-values -n user.ramdiskfs.status "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((x.get("zero_bytes", 0) for x in d["disks"] if x["name"] == sys.argv[1]), -1))' "$2"
}
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"; }
# secs CMD...: runs CMD, prints its wall time in seconds (3 decimals); CMD's output goes to $S/cmd.err
secs() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$S/cmd.err" 2>&1 || { log "failed: $* ($(tail -n1 "$S/cmd.err"))"; echo FAIL; return 1; }
  t1=$(date +%s%N)
  awk -v n=$((t1 - t0)) 'BEGIN { printf "%.3f", n / 1e9 }'
}
reads_zero() { cmp -s -n "$2" "$1" /dev/zero && echo yes || echo NO; }
# One hold from the first timed part to the last: released in between, another run takes the lock
# and the parts of this one end up far apart in time.
LOCKED=
lock() { [ -n "$LOCKED" ] && return; exec 9>"$LOCK"; log "waiting for $LOCK"; flock 9; LOCKED=1; log "holding $LOCK"; }
unlock() { [ -n "$LOCKED" ] || return 0; flock -u 9; exec 9>&-; LOCKED=; }
build() {
  ls "$ROOT"/fuse-mount/target/fuse-mount-*.jar >/dev/null 2>&1 && [ -d "$ROOT/fuse-mount/target/lib" ] && return 0
  log "building ramdiskfs"; (cd "$ROOT" && mvn -B -q -DskipTests package -pl fuse-mount -am) >&2
}
build || exit 1
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

log "1 GiB of random data on tmpfs (the data written before the zeros, and the memdiff base image)"
dd if=/dev/urandom of="$SHM/data" bs=1M count=1024 status=none
fill_data() { dd if="$SHM/data" of="$1" bs=1M count=1024 conv=notrunc $2 status=none; }

# --- 1. memory -------------------------------------------------------------------------------------
if has memory; then
  echo "check,case,seconds,committed_bytes,zero_bytes,reads_zero" > "$OUT/memory.csv"
  lock
  for cfg in on off; do
    opts=; [ $cfg = off ] && opts=-Dramdiskfs.zeroCheck=false
    start "m$cfg" "$opts" --memory-limit 6G -d data=1G -d vm1=memdiff:"$SHM/data" -d vm2=memdiff:"$SHM/data" -d big=10G
    m=$S/m$cfg
    for how in direct buffered; do
      flag=oflag=direct; [ $how = buffered ] && flag=conv=fsync
      fill_data "$m/data" oflag=direct
      [ "$(committed "$m/data")" = $GiB ] || log "data: committed $(committed "$m/data") after 1 GiB of data"
      z0=$(zero_bytes "$m" data)
      t=$(secs dd if=/dev/zero of="$m/data" bs=1M count=1024 conv=notrunc $flag)
      echo "$cfg,over data $how,$t,$(committed "$m/data"),$(( $(zero_bytes "$m" data) - z0 )),$(reads_zero "$m/data" $GiB)" >> "$OUT/memory.csv"
    done
    for v in 1 2; do
      how=direct; flag=oflag=direct; [ $v = 2 ] && { how=buffered; flag=conv=fsync; }
      t=$(secs dd if=/dev/zero of="$m/vm$v" bs=1M count=1024 conv=notrunc $flag)
      echo "$cfg,memdiff $how,$t,$(committed "$m/vm$v"),$(zero_bytes "$m" vm$v),$(reads_zero "$m/vm$v" $GiB)" >> "$OUT/memory.csv"
    done
    tail -n4 "$OUT/memory.csv" | sed 's/^/  /' >&2
    if [ $cfg = on ]; then
      # 64 MiB of data at 3 GiB + 12345 chunks, as ZerosIT puts it
      dd if="$SHM/data" of="$m/big" bs=1M count=64 seek=$((3 * GiB + 12345 * 65536)) oflag=seek_bytes,direct conv=notrunc status=none
      t=$(secs cp --sparse=never "$m/big" "$m/copy")
      same=$(cmp -s "$m/big" "$m/copy" && echo yes || echo NO)
      echo "$cfg,cp --sparse=never 10 GiB holding 64 MiB,$t,$(committed "$m/copy"),$(zero_bytes "$m" copy),same as source: $same" >> "$OUT/memory.csv"
      tail -n1 "$OUT/memory.csv" | sed 's/^/  /' >&2
    fi
    stop "m$cfg"
  done
  # Before issue 24 (check off) the copy stores 10 GiB: under a 512 MiB budget it ends in ENOSPC.
  start moff -Dramdiskfs.zeroCheck=false --memory-limit 512M -d big=10G
  m=$S/moff
  dd if="$SHM/data" of="$m/big" bs=1M count=64 seek=$((3 * GiB + 12345 * 65536)) oflag=seek_bytes,direct conv=notrunc status=none
  t0=$(date +%s%N)
  if cp --sparse=never "$m/big" "$m/copy" 2>"$S/cp.err"; then r="copied"; else r="$(sed 's/.*: //' "$S/cp.err" | head -n1)"; fi
  t=$(awk -v n=$(( $(date +%s%N) - t0 )) 'BEGIN { printf "%.3f", n / 1e9 }')
  echo "off,cp --sparse=never 10 GiB holding 64 MiB (budget 512 MiB),$t,$(committed "$m/copy"),$(zero_bytes "$m" copy),$r at $(stat -c %s "$m/copy") bytes" >> "$OUT/memory.csv"
  tail -n1 "$OUT/memory.csv" | sed 's/^/  /' >&2
  stop moff
fi

# --- 2. A/B of the check on the data path ------------------------------------------------------------
if has ab; then
  lock
  A_NAME=zerocheck A_OPTS= B_NAME=nocheck B_OPTS=-Dramdiskfs.zeroCheck=false ROUNDS=$ROUNDS RUNTIME=$RUNTIME SIZE=1G \
    JOBS="seqwrite-direct randwrite-1job seqwrite-zeros" OUT="$S/ab" "$ROOT/bench/ab.sh" > /dev/null 9>&-
  cp "$S/ab/ab.csv" "$S/ab/ab.md" "$OUT/"
fi

# --- 3. the zero fill beside tmpfs and zram ------------------------------------------------------------
if has fill; then
  echo "round,target,case,seconds,memory_bytes,note" > "$OUT/fill.csv"
  ZRAM=$(cat /sys/class/zram-control/hot_add 2>/dev/null) || ZRAM=
  if [ -n "$ZRAM" ] && [ -e "/dev/zram$ZRAM" ]; then
    log "zram: /dev/zram$ZRAM ($(cat /sys/block/zram$ZRAM/comp_algorithm))"
    TARGETS="tmpfs zram on off"
  else
    log "zram: not available on this kernel ($(uname -r)): no /sys/class/zram-control; compared with tmpfs only"
    echo "0,zram,unavailable,,,no zram on kernel $(uname -r)" >> "$OUT/fill.csv"
    ZRAM=; TARGETS="tmpfs on off"
  fi
  start fon "" --memory-limit 3G -d z=1G -d warmup=64M
  start foff -Dramdiskfs.zeroCheck=false --memory-limit 3G -d z=1G -d warmup=64M
  for n in fon foff; do # JIT warm-up, as bench/ab.sh does
    fio --name=w --filename="$S/$n/warmup" --size=64M --rw=rw --bs=1M --direct=1 --time_based --runtime=2 --ioengine=psync >/dev/null 2>&1
    dd if=/dev/zero of="$S/$n/warmup" bs=1M count=64 oflag=direct conv=notrunc status=none
  done
  file_of() { case $1 in tmpfs) echo "$SHM/tmpfs.img" ;; zram) echo "/dev/zram$ZRAM" ;; *) echo "$S/f$1/z" ;; esac; }
  empty() { # TARGET: back to an empty 1 GiB disk that holds no memory
    case $1 in
      tmpfs) rm -f "$SHM/tmpfs.img"; truncate -s 1G "$SHM/tmpfs.img" ;;
      zram) echo 1 > "/sys/block/zram$ZRAM/reset"; echo 1G > "/sys/block/zram$ZRAM/disksize" ;;
      *) fallocate --punch-hole -o 0 -l 1G "$(file_of "$1")" ;;
    esac
  }
  memory() { # TARGET: bytes of memory the target holds for its data
    case $1 in
      tmpfs) du -B1 "$SHM/tmpfs.img" | cut -f1 ;;
      zram) awk '{ print $3 }' "/sys/block/zram$ZRAM/mm_stat" ;; # mem_used_total
      *) committed "$(file_of "$1")" ;;
    esac
  }
  note() {
    case $1 in
      zram) awk '{ printf "same_pages %d (%d MiB)", $6, $6 * 4096 / 1048576 }' "/sys/block/zram$ZRAM/mm_stat" ;;
      on|off) echo "rss $(( $(rss "${PID_OF[f$1]}") / MiB )) MiB" ;;
    esac
  }
  lock
  read -r -a T <<<"$TARGETS"
  for r in $(seq "$ROUNDS"); do
    k=$(( (r - 1) % ${#T[@]} ))
    order=("${T[@]:$k}" "${T[@]:0:$k}")
    for t in "${order[@]}"; do
      f=$(file_of "$t")
      for c in "empty direct" "over data direct" "over data buffered"; do
        empty "$t"
        case $c in "over data"*) fill_data "$f" oflag=direct; sync ;; esac
        case $c in *direct) flag=oflag=direct ;; *) flag=conv=fsync ;; esac
        s=$(secs dd if=/dev/zero of="$f" bs=1M count=1024 conv=notrunc $flag)
        echo "$r,$t,$c,$s,$(memory "$t"),$(note "$t")" >> "$OUT/fill.csv"
      done
    done
    log "fill round $r of $ROUNDS done (${order[*]})"
  done
  stop fon; stop foff
  rm -f "$SHM/tmpfs.img"
fi

unlock
# --- 4. partial chunks (not timed) ------------------------------------------------------------------------
if has partial; then
  echo "stage,disk_bytes,data_chunks,data_chunk_bytes,zero_pages_in_data_bytes,zero_sectors_in_data_bytes,committed_bytes" > "$OUT/partial.csv"
  start p "" --memory-limit 3G -d ext=2G
  d=$S/p/ext
  EXTMNT=$S/ext; mkdir -p "$EXTMNT"
  probe() { echo "$1,$(python3 "$ROOT/bench/zeros-partial.py" "$d" "$(committed "$d")")" >> "$OUT/partial.csv"; tail -n1 "$OUT/partial.csv" | sed 's/^/  /' >&2; }
  mkfs.ext4 -q -F "$d"
  probe "mkfs.ext4"
  LOOP=$(losetup -f --show "$d")
  mount "$LOOP" "$EXTMNT"
  # Files a user puts on a scratch disk: a tree of small text files, binaries and libraries, and a
  # few large files of random data with odd sizes.
  for src in /usr/share/doc /usr/include /usr/lib/jvm /usr/share/locale; do
    [ -d "$src" ] && cp -a "$src" "$EXTMNT/" 2>/dev/null
  done
  for i in 1 2 3 4 5 6; do head -c $(( i * 7 * MiB + i * 12345 )) "$SHM/data" > "$EXTMNT/random$i"; done
  umount "$EXTMNT"; losetup -d "$LOOP"; LOOP=
  sync
  probe "mkfs.ext4 + files"
  stop p
fi

# --- table ---------------------------------------------------------------------------------------------
python3 - "$OUT" "$ROUNDS" <<'PY' | tee "$OUT/table.md"
import csv, os, platform, statistics, subprocess, sys
out, rounds = sys.argv[1], sys.argv[2]
MiB = 1048576.0
def rows(name):
    p = os.path.join(out, name)
    return list(csv.DictReader(open(p))) if os.path.exists(p) else []
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print("bench/zeros.sh, %s UTC; %d vCPUs (%s), kernel %s, %d rounds\n" % (
    subprocess.run(["date", "-u", "+%Y-%m-%d %H:%M"], capture_output=True, text=True).stdout.strip(),
    os.cpu_count(), cpu, platform.release(), int(rounds)))
m = rows("memory.csv")
if m:
    print("### 1 GiB of zeros: memory after (zero check on; off = -Dramdiskfs.zeroCheck=false)\n")
    print("| case | check | committed after | zero bytes counted | reads back | time s |")
    print("|---|---|---|---|---|---|")
    for r in m:
        print("| %s | %s | %.1f MiB | %.0f MiB | %s | %s |" % (r["case"], r["check"], int(r["committed_bytes"]) / MiB,
              int(r["zero_bytes"]) / MiB, r["reads_zero"], r["seconds"]))
    print()
f = rows("fill.csv")
if f:
    print("### 1 GiB zero fill beside tmpfs and zram (medians of rounds; memory held after)\n")
    targets = [t for t in ["tmpfs", "zram", "on", "off"] if any(r["target"] == t and r["case"] != "unavailable" for r in f)]
    names = {"tmpfs": "tmpfs", "zram": "zram", "on": "ramdiskfs", "off": "ramdiskfs, check off"}
    cases = []
    for r in f:
        if r["case"] != "unavailable" and r["case"] not in cases:
            cases.append(r["case"])
    print("| case | " + " | ".join("%s s | %s MiB" % (names[t], names[t]) for t in targets) + " | ramdiskfs / tmpfs time | ramdiskfs / check off time |")
    print("|---|" + "---|---|" * len(targets) + "---|---|")
    for c in cases:
        cells, med = [], {}
        for t in targets:
            s = [float(r["seconds"]) for r in f if r["target"] == t and r["case"] == c and r["seconds"] not in ("", "FAIL")]
            mm = [int(r["memory_bytes"]) for r in f if r["target"] == t and r["case"] == c and r["memory_bytes"]]
            med[t] = statistics.median(s) if s else float("nan")
            cells.append("%.3f | %.1f" % (med[t], statistics.median(mm) / MiB if mm else float("nan")))
        ratio = lambda a, b: "%.2f" % (med[a] / med[b]) if a in med and b in med and med[b] > 0 else "-"
        print("| %s | %s | %s | %s |" % (c, " | ".join(cells), ratio("on", "tmpfs"), ratio("on", "off")))
    for r in f:
        if r["case"] == "unavailable":
            print("\nzram: %s" % r["note"])
    z = [r["note"] for r in f if r["target"] == "zram" and r["case"] == "over data direct"]
    if z:
        print("\nzram after a zero fill over data: %s" % z[-1])
    print()
a = os.path.join(out, "ab.md")
if os.path.exists(a):
    print("### Same-run A/B of the zero check (bench/ab.sh, zerocheck = as shipped, nocheck = -Dramdiskfs.zeroCheck=false)\n")
    print(open(a).read())
p = rows("partial.csv")
if p:
    print("### Partial chunks: zeros inside 64 KiB chunks that hold data (2 GiB disk, ext4)\n")
    print("| after | data chunks | their bytes | committed | zero 4 KiB pages in them | zero 512 B sectors in them |")
    print("|---|---|---|---|---|---|")
    for r in p:
        b = int(r["data_chunk_bytes"])
        pct = lambda x: "%.1f MiB (%.1f %%)" % (x / MiB, 100.0 * x / b if b else 0)
        print("| %s | %s | %.1f MiB | %.1f MiB | %s | %s |" % (r["stage"], r["data_chunks"], b / MiB,
              int(r["committed_bytes"]) / MiB, pct(int(r["zero_pages_in_data_bytes"])), pct(int(r["zero_sectors_in_data_bytes"]))))
PY
log "results in $OUT"
