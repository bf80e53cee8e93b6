#!/usr/bin/env bash
# bench/soak.sh - a long mixed-load run against one ramdiskfs process, checked against a model.
#
# Usage:  sudo bench/soak.sh [SECONDS]          # default 600 (10 minutes); not part of CI
# Env:    WORKERS (default 4) driver processes; SEED (default 1); MEMORY_LIMIT (default 4G);
#         SOAK_DIR (default a new /tmp/ramdiskfs-soak.XXXXXX; removed afterwards unless KEEP=1);
#         RAMDISKFS (how to start ramdiskfs; default: the jar bin/ramdiskfs runs, built when needed and
#         copied into SOAK_DIR first, so a rebuild during a long soak changes nothing mid-run);
#         CRASH (default 1; 0: no crash lane).
#
# Each worker process owns one disk (w<N>, created empty) and a 32 MiB region of a shared disk,
# and keeps a byte-exact model of both in memory. It runs random operations until the time is up:
# buffered writes at any offset and length (growing the disk past its end), O_DIRECT writes and
# reads, buffered reads (also across and past the end), punch-hole and zero-range, truncate down
# and up (own disk only), a truncate to an odd size that must fail with EINVAL, fsync; and the
# snapshot lifecycle of its own disk: snapshots by attribute (the model copied), reads of a
# snapshot file checked against that copy, rollback (first refused with EBUSY while the worker
# holds the disk open, then done with its handles closed: the model becomes the copy), clones of
# a snapshot checked and deleted, snapshots deleted. The observer also takes group snapshots
# (mkdir .snap/gN), reads the shared disk's whole and deletes them. Every
# read is compared with the model; every ~2000 operations, and at the end, the SHA-256 of each
# whole disk is compared with the model's. A mismatch is reported with disk, offset, expected and
# found byte. Meanwhile one more process reads df and the xattrs, and the main process prints
# progress (operations, crashes survived, ramdiskfs RSS, df used) every minute.
#
# The crash lane (CRASH=1) runs beside it a second ramdiskfs with a persist disk and a memdiff disk
# (32 MiB of random data each, images in SOAK_DIR/crash) and kills it with SIGKILL again and again:
# each cycle starts it, checks both disks against the model of their last complete save / commit
# (and that the start deleted the killed run's temporary files), writes both, starts one operation
# (a save by attribute as `ramdiskfs save` does, the save every --save-interval 1s, the save at a
# stop by SIGTERM, or a commit) and kills the process at a seeded point of its progress (the
# temporary file's size), just after the data is written, or just after the rename. The image must
# then be the old or the complete new one, byte for byte (an interval save may hold a prefix of
# the cycle's writes, which is an instant), the other disk's image unchanged, and a stop that
# finished by itself must have exited 0 with the new image. "crashes survived" counts the cycles
# that passed every check; the result line also says where the kills landed.
#
# At the end, at rest (every snapshot deleted), df's used must equal the sum of the disks' committed
# bytes, every chain must be one RAM layer again (user.ramdiskfs.layers = ram), and the Java heap
# after a full GC is printed (disk data lives off the heap).
#
# Result: one line "soak: duration ... operations ... snapshots ... crashes survived ... mismatches
# ... errors ...", exit 0 ("soak: PASSED") only with zero mismatches, zero unexpected errors, no
# warning in the ramdiskfs log and a clean shutdown (SIGTERM -> exit 0, no mount left).
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-600}
WORKERS=${WORKERS:-4}
SEED=${SEED:-1}
MEMORY_LIMIT=${MEMORY_LIMIT:-4G}
REGION_MIB=32

log() { echo "[$(date +%T)] $*" >&2; }
[ "$(id -u)" = 0 ] || log "not root: FUSE mounts may still work (fusermount is setuid)"
command -v python3 >/dev/null || { echo "soak.sh: needs python3" >&2; exit 2; }

CRASH=${CRASH:-1}

DIR=${SOAK_DIR:-$(mktemp -d /tmp/ramdiskfs-soak.XXXXXX)}
MNT=$DIR/mnt
CRASH_HOME=$DIR/crash
mkdir -p "$MNT"
PID=
PASSED=0

if [ -n "${RAMDISKFS:-}" ]; then
  START=("$RAMDISKFS")
else
  # Pin the jar: the crash lane starts ramdiskfs hundreds of times over the run.
  "$ROOT/bin/ramdiskfs" --version >/dev/null || { echo "soak.sh: bin/ramdiskfs --version failed" >&2; exit 2; }
  jar=
  for j in "$ROOT"/fuse-mount/target/fuse-mount-*.jar; do
    case "$j" in *-tests.jar|*-sources.jar|*-javadoc.jar) continue ;; esac
    jar=$j; break
  done
  [ -n "$jar" ] || { echo "soak.sh: no jar in fuse-mount/target" >&2; exit 2; }
  mkdir -p "$DIR/jar"
  cp -r "$jar" "$(dirname "$jar")/lib" "$DIR/jar/"   # the jar's Class-Path names lib/*.jar beside it
  START=(java -jar "$DIR/jar/$(basename "$jar")")
fi

# One awk reads all of mountinfo: no early-exiting grep -q on a pipe (a SIGPIPE'd writer fails under pipefail).
is_mounted() { awk -v m="$MNT" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
is_live() { awk -v m="$MNT" '$5 == m && / - fuse\.ramdiskfs / { f = 1 } END { exit !f }' /proc/self/mountinfo && ls "$MNT" >/dev/null 2>&1; }
crash_mounted() { awk -v m="$CRASH_HOME/mnt" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; }
cleanup() {
  # The crash lane's ramdiskfs, if the driver was stopped before it could stop it (its PID file).
  if [ -f "$CRASH_HOME/pid" ]; then
    cpid=$(cat "$CRASH_HOME/pid")
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then kill -KILL "$cpid" 2>/dev/null; fi
  fi
  if crash_mounted; then fusermount -uz "$CRASH_HOME/mnt"; fi
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null
  fi
  if is_mounted; then fusermount -u "$MNT" 2>/dev/null || fusermount -uz "$MNT"; fi
  if [ "$PASSED" = 1 ] && [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$MNT" "$DIR/driver.py" "$DIR/ramdiskfs.log" "$DIR/jar" "$CRASH_HOME"; rmdir "$DIR" 2>/dev/null
  elif ! is_mounted; then
    echo "soak: kept $DIR (ramdiskfs.log, driver.py, crash/crash.log)" >&2
  fi
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

log "starting ramdiskfs at $MNT (log: $DIR/ramdiskfs.log)"
# Job control on for this one start: a script's background job otherwise inherits SIGINT as
# ignored, and ramdiskfs rightly warns about that (the soak stops it with SIGTERM anyway).
set -m
"${START[@]}" --memory-limit "$MEMORY_LIMIT" -d "shared=$((WORKERS * REGION_MIB))M" "$MNT" >"$DIR/ramdiskfs.log" 2>&1 &
PID=$!
set +m
for _ in $(seq 600); do is_live && break; kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
is_live || { log "ramdiskfs did not mount"; cat "$DIR/ramdiskfs.log" >&2; exit 1; }

cat >"$DIR/driver.py" <<'PY'
import ctypes, errno, hashlib, mmap, multiprocessing as mp, os, random, signal, subprocess, sys, threading, time

MNT, DURATION, WORKERS, SEED, REGION, PID = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) << 20, int(sys.argv[6])
CRASH_HOME = sys.argv[7] if len(sys.argv) > 7 else ""   # empty: no crash lane
CRASH_CMD = sys.argv[8:]                                 # how to start ramdiskfs
OWN_MAX = 64 << 20
SECTOR = 512
libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
PUNCH, ZERO = 0x03, 0x11  # PUNCH_HOLE|KEEP_SIZE, ZERO_RANGE|KEEP_SIZE

def fallocate(fd, mode, off, n):
    if libc.fallocate(fd, mode, off, n) != 0:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))

def up(n, a=SECTOR):
    return (n + a - 1) // a * a

class Disk:
    """One disk (or one worker's region of the shared disk) and its model."""
    def __init__(self, path, base, size, fixed):
        self.path, self.base, self.fixed = path, base, fixed
        flags = os.O_RDWR | (0 if fixed else os.O_CREAT)
        self.fd = os.open(path, flags, 0o644)
        self.dfd = os.open(path, os.O_RDWR | os.O_DIRECT)
        self.model = bytearray(size)
        self.limit = size if fixed else OWN_MAX

    def close(self):
        os.close(self.fd); os.close(self.dfd)

    def reopen(self):
        self.fd = os.open(self.path, os.O_RDWR)
        self.dfd = os.open(self.path, os.O_RDWR | os.O_DIRECT)

class Worker:
    def __init__(self, i, counters, stop_at):
        self.i, self.counters, self.stop_at = i, counters, stop_at
        self.rnd = random.Random(SEED * 1000 + i)
        self.ops, self.mismatches, self.errors, self.notes = {}, 0, 0, []
        self.buf = mmap.mmap(-1, 256 << 10)
        self.own = Disk(f"{MNT}/w{i}", 0, 0, False)
        self.shared = Disk(f"{MNT}/shared", i * REGION, REGION, True)
        self.n = 0
        self.snaps = {}  # snapshot name -> the own disk's model at that instant

    def note(self, text):
        if len(self.notes) < 20:
            self.notes.append(text)
        print(f"soak: worker {self.i}: {text}", file=sys.stderr, flush=True)

    def compare(self, d, op, off, expected, got):
        if expected == got:
            return
        self.mismatches += 1
        if len(got) != len(expected):
            self.note(f"MISMATCH op#{self.n} {op} {d.path} at {d.base + off}: expected {len(expected)} bytes, got {len(got)}")
            return
        k = next(j for j in range(len(got)) if got[j] != expected[j])
        self.note(f"MISMATCH op#{self.n} {op} {d.path} offset {d.base + off + k}: expected 0x{expected[k]:02x}, got 0x{got[k]:02x}")

    def length(self):
        r = self.rnd.random()
        return self.rnd.randint(1, 511) if r < 0.3 else self.rnd.randint(512, 64 << 10) if r < 0.85 else self.rnd.randint(64 << 10, 256 << 10)

    def offset(self, d, n, slack):
        hi = max(0, min(d.limit - n, len(d.model) + slack))
        return self.rnd.randint(0, hi)

    def write(self, d):
        n = self.length(); off = self.offset(d, n, 0 if d.fixed else 256 << 10)
        data = self.rnd.randbytes(n)
        w = os.pwrite(d.fd, data, d.base + off)
        if w != n:
            raise OSError(errno.EIO, f"short write {w} of {n}")
        self.apply(d, off, data)

    def write_direct(self, d):
        n = self.rnd.randint(1, 32) * 4096
        span = min(d.limit, len(d.model) + (0 if d.fixed else 1 << 20))  # own disk: up to 1 MiB past the end
        if span < n:
            return
        off = self.rnd.randint(0, (span - n) // 4096) * 4096
        data = self.rnd.randbytes(n)
        self.buf[:n] = data
        w = os.pwritev(d.dfd, [memoryview(self.buf)[:n]], d.base + off)
        if w != n:
            raise OSError(errno.EIO, f"short O_DIRECT write {w} of {n}")
        self.apply(d, off, data)

    def apply(self, d, off, data):
        end = off + len(data)
        if end > len(d.model):
            d.model.extend(bytes(up(end) - len(d.model)))
        d.model[off:end] = data

    def read(self, d):
        n = self.length(); off = self.offset(d, n, 0 if d.fixed else 128 << 10)
        got = os.pread(d.fd, n, d.base + off)
        self.compare(d, "read", off, bytes(d.model[off:off + n]), got)

    def read_direct(self, d):
        if len(d.model) < 4096:
            return
        n = self.rnd.randint(1, 32) * 4096
        off = self.rnd.randint(0, (len(d.model) - 1) // 4096) * 4096
        if d.fixed:
            n = min(n, len(d.model) - off)
        r = os.preadv(d.dfd, [memoryview(self.buf)[:n]], d.base + off)
        self.compare(d, "O_DIRECT read", off, bytes(d.model[off:off + n]), bytes(self.buf[:r]))

    def unmap(self, d, mode):
        n = self.length() * self.rnd.choice((1, 1, 16)); off = self.offset(d, 1, 64 << 10)
        if d.fixed:
            n = min(n, len(d.model) - off)
            if n <= 0:
                return
        fallocate(d.fd, mode, d.base + off, n)
        end = min(off + n, len(d.model))
        if off < end:
            d.model[off:end] = bytes(end - off)

    def truncate(self, d):
        size = self.rnd.randint(0, OWN_MAX // SECTOR) * SECTOR if self.rnd.random() < 0.5 else up(self.rnd.randint(0, 4 << 20))
        os.ftruncate(d.fd, size)
        if size < len(d.model):
            del d.model[size:]
        else:
            d.model.extend(bytes(size - len(d.model)))

    def bad_truncate(self, d):
        try:
            os.ftruncate(d.fd, len(d.model) + 100)
        except OSError as e:
            if e.errno != errno.EINVAL:
                raise
            return
        self.mismatches += 1
        self.note(f"MISMATCH op#{self.n} ftruncate to {len(d.model) + 100} (not a sector multiple) succeeded")
        os.ftruncate(d.fd, len(d.model))

    def checksum(self, d):
        h = hashlib.sha256()
        left, pos = len(d.model), 0
        if not d.fixed:
            size = os.fstat(d.fd).st_size
            if size != len(d.model):
                self.mismatches += 1
                self.note(f"MISMATCH op#{self.n} size of {d.path}: expected {len(d.model)}, got {size}")
                return
        while left > 0:
            k = min(left, 1 << 20)
            h.update(os.pread(d.fd, k, d.base + pos)); pos += k; left -= k
        if h.digest() != hashlib.sha256(d.model).digest():
            self.mismatches += 1
            self.note(f"MISMATCH op#{self.n} SHA-256 of {d.path} region at {d.base} ({len(d.model)} bytes) differs from the model")
            # find where, for the report
            for p in range(0, len(d.model), 1 << 20):
                got = os.pread(d.fd, min(1 << 20, len(d.model) - p), d.base + p)
                if got != bytes(d.model[p:p + len(got)]):
                    self.compare(d, "checksum", p, bytes(d.model[p:p + len(got)]), got)
                    break
        self.ops["checksum"] = self.ops.get("checksum", 0) + 1

    # The snapshot lifecycle, on the worker's own disk only.
    def sha_of(self, path):
        h, size = hashlib.sha256(), 0
        with open(path, "rb", buffering=0) as f:
            while True:
                b = f.read(1 << 20)
                if not b:
                    return h.digest(), size
                h.update(b); size += len(b)

    def check_copy(self, op, path, expected):
        digest, size = self.sha_of(path)
        if size != len(expected) or digest != hashlib.sha256(expected).digest():
            self.mismatches += 1
            self.note(f"MISMATCH op#{self.n} {op}: {path} ({size} bytes) differs from the model ({len(expected)} bytes)")

    def snapshot(self, d):
        if len(self.snaps) >= 3:
            self.drop_snapshot(d)
        name = f"w{self.i}-{self.n}"
        os.setxattr(d.path, "user.ramdiskfs.snapshot", name.encode())
        self.snaps[name] = bytes(d.model)

    def snap_check(self, d):
        if self.snaps:
            name = self.rnd.choice(sorted(self.snaps))
            self.check_copy("snapshot read", f"{MNT}/.snap/{name}/w{self.i}", self.snaps[name])

    def rollback(self, d):
        if not self.snaps:
            return
        name = self.rnd.choice(sorted(self.snaps))
        try:
            os.setxattr(d.path, "user.ramdiskfs.rollback", name.encode())
            self.mismatches += 1
            self.note(f"MISMATCH op#{self.n} rollback of {d.path} while open for writing succeeded")
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
        d.close()
        try:
            os.setxattr(d.path, "user.ramdiskfs.rollback", name.encode())
        finally:
            d.reopen()
        d.model = bytearray(self.snaps[name])

    def clone(self, d):
        if not self.snaps:
            return
        name = self.rnd.choice(sorted(self.snaps))
        clone = f"c{self.i}-{self.n}"
        os.setxattr(f"{MNT}/.snap/{name}/w{self.i}", "user.ramdiskfs.clone", clone.encode())
        try:
            self.check_copy("clone", f"{MNT}/{clone}", self.snaps[name])
        finally:
            os.unlink(f"{MNT}/{clone}")

    def drop_snapshot(self, d):
        if self.snaps:
            name = min(self.snaps, key=lambda k: int(k.split("-")[1]))
            os.unlink(f"{MNT}/.snap/{name}/w{self.i}")
            os.rmdir(f"{MNT}/.snap/{name}")
            del self.snaps[name]

    OPS = (("write", 26), ("write_direct", 8), ("read", 26), ("read_direct", 8), ("punch", 9), ("zero", 5),
           ("truncate", 6), ("bad_truncate", 1), ("fsync", 1),
           ("snapshot", 1), ("snap_check", 1), ("rollback", 1), ("clone", 1), ("drop_snapshot", 1))
    SNAPSHOT_OPS = ("snapshot", "snap_check", "rollback", "clone", "drop_snapshot")

    def run(self):
        names = [o for o, _ in self.OPS]; weights = [w for _, w in self.OPS]
        while time.time() < self.stop_at:
            op = self.rnd.choices(names, weights)[0]
            d = self.shared if self.rnd.random() < 0.3 else self.own
            if d.fixed and op in ("truncate", "bad_truncate") + self.SNAPSHOT_OPS:
                d = self.own
            self.n += 1
            try:
                if op == "punch": self.unmap(d, PUNCH)
                elif op == "zero": self.unmap(d, ZERO)
                elif op == "fsync": os.fsync(d.fd)
                else: getattr(self, op)(d)
                self.ops[op] = self.ops.get(op, 0) + 1
            except OSError as e:
                self.errors += 1
                self.note(f"ERROR op#{self.n} {op} on {d.path}: {e}")
            if self.n % 2000 == 0:
                self.checksum(self.own); self.checksum(self.shared)
            if self.n % 200 == 0:
                self.counters[self.i] = self.n
        self.counters[self.i] = self.n
        self.checksum(self.own); self.checksum(self.shared)
        try:
            while self.snaps:
                self.drop_snapshot(self.own)
        except OSError as e:
            self.errors += 1
            self.note(f"ERROR deleting the snapshots at the end: {e}")
        return {"worker": self.i, "ops": self.ops, "mismatches": self.mismatches, "errors": self.errors, "notes": self.notes,
                "own_size": len(self.own.model)}

def work(i, counters, stop_at, q):
    try:
        q.put(Worker(i, counters, stop_at).run())
    except BaseException as e:
        q.put({"worker": i, "ops": {}, "mismatches": 0, "errors": 1, "notes": [f"worker died: {e!r}"], "own_size": 0})

def observer(stop_at, q):
    """df and the xattrs, all the time, from one more process."""
    n, groups, last_group, errors = 0, 0, 0.0, 0
    while time.time() < stop_at:
        if time.time() - last_group > 5:  # a group snapshot, read whole, then deleted
            name = f"{MNT}/.snap/g{groups}"
            try:
                os.mkdir(name)
                with open(f"{name}/shared", "rb", buffering=0) as f:
                    while f.read(1 << 20):
                        pass
                for disk in os.listdir(name):
                    os.unlink(f"{name}/{disk}")
                os.rmdir(name)
            except OSError as e:
                errors += 1
                print(f"soak: observer: ERROR group snapshot {name}: {e}", file=sys.stderr, flush=True)
            groups += 1; last_group = time.time()
        os.statvfs(MNT)
        for name in os.listdir(MNT):
            try:
                os.getxattr(f"{MNT}/{name}", "user.ramdiskfs.committed_bytes")
            except FileNotFoundError:
                pass
        n += 1; time.sleep(0.2)
    q.put({"observer": n, "groups": groups, "observer_errors": errors})

# --- The crash lane: a second ramdiskfs, killed -9 while it saves, again and again ----------------
CRASH_SIZE = 32 << 20
TEMP_MARK = ".ramdiskfs-tmp-"

def mounted(mp):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == mp for line in f)

def live(mp):
    with open("/proc/self/mountinfo") as f:
        if not any(line.split()[4] == mp and " - fuse.ramdiskfs " in line for line in f):
            return False
    try:
        os.listdir(mp); return True
    except OSError:
        return False

def temps(image, pid=None):
    d, name = os.path.split(image)
    prefix = "." + name + TEMP_MARK + ("" if pid is None else f"{pid}-")
    return [os.path.join(d, n) for n in os.listdir(d) if n.startswith(prefix)]

class CrashLane:
    """A persist disk p and a memdiff disk m on their own ramdiskfs process. Each cycle starts the
    process, checks both disks against the model of the last complete save (p) and commit (m), writes
    both, starts one operation - a save by attribute (what `ramdiskfs save` does), the save every
    --save-interval, the save at a stop (SIGTERM) or a commit - and kills the process with SIGKILL at a
    seeded point of the operation's progress (the temporary file's size: random data has no holes),
    or after the data is written. Then: the image (base) must be the old or the complete new one
    (an interval save may also hold a prefix of the cycle's writes: an instant), the other disk's
    image unchanged, a finished stop exited 0 with the new image, and the next start loads exactly
    that and deletes the killed run's temporary files."""
    KINDS = ("attr", "interval", "stop", "commit")

    def __init__(self, stop_at, cmd, home, seed, counter):
        self.stop_at, self.cmd, self.home, self.counter = stop_at, cmd, home, counter
        self.rnd = random.Random(seed * 7919 + 13)
        self.mnt = os.path.join(home, "mnt")
        os.makedirs(self.mnt, exist_ok=True)
        self.image, self.base = os.path.join(home, "p.raw"), os.path.join(home, "m.raw")
        with open(self.base, "wb") as f:
            f.write(self.rnd.randbytes(CRASH_SIZE))
        self.model_p, self.p_exists = bytearray(CRASH_SIZE), False  # no complete save yet
        self.model_m = bytearray(open(self.base, "rb").read())
        self.log = open(os.path.join(home, "crash.log"), "ab")
        self.crashes, self.mismatches, self.cycles, self.notes = 0, 0, 0, []
        self.by_kind, self.landings, self.states = {}, {}, {}
        self.proc = None

    def note(self, text):
        if len(self.notes) < 20:
            self.notes.append(text)
        print(f"soak: crash lane: {text}", file=sys.stderr, flush=True)

    def mismatch(self, text):
        self.mismatches += 1
        self.note(f"MISMATCH cycle {self.cycles}: {text}")

    def start(self, kind):
        args = list(self.cmd) + (["--save-interval", "1s"] if kind == "interval" else [])
        args += ["-d", f"p=persist:{self.image},size={CRASH_SIZE}", "-d", f"m=memdiff:{self.base}", self.mnt]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)
        with open(os.path.join(self.home, "pid"), "w") as f:
            f.write(str(self.proc.pid))  # for the script's cleanup if the driver is stopped
        deadline = time.time() + 120
        while not live(self.mnt):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the crash lane's ramdiskfs did not mount (exit {self.proc.poll()}); see crash.log")
            time.sleep(0.05)

    def check_start(self):
        """The disks read as the last complete save and commit; the start deleted stale temporary files."""
        for path, model, what in ((f"{self.mnt}/p", self.model_p, "persist disk p"), (f"{self.mnt}/m", self.model_m, "memdiff disk m")):
            with open(path, "rb", buffering=0) as f:
                got = f.read(CRASH_SIZE + 1)
            if got != model:
                self.mismatch(f"after the restart {what} differs from the model of its last complete save/commit")
                model[:] = got  # go on from what it holds
        for image in (self.image, self.base):
            # The running process's own: an interval save may have begun already.
            left = [t for t in temps(image) if f"{TEMP_MARK}{self.proc.pid}-" not in t]
            if left:
                self.mismatch(f"the start left stale temporary files: {left}")

    def write(self, path, model, small, fill=False):
        """Random writes (4 KiB aligned; <= 128 KiB, one FUSE request each, when small), or the whole
        disk in 1 MiB pieces (fill: so that a save has tens of MiB to write); returns them in order."""
        writes = []
        fd = os.open(path, os.O_WRONLY)
        try:
            if fill:
                for off in range(0, CRASH_SIZE, 1 << 20):
                    data = self.rnd.randbytes(1 << 20)
                    if os.pwrite(fd, data, off) != len(data):
                        raise OSError(errno.EIO, "short write")
                    writes.append((off, data))
                return writes
            for _ in range(self.rnd.randint(1, 12)):
                n = self.rnd.randint(1, 32 if small else 256) * 4096
                n = min(n, 128 << 10) if small else n
                off = self.rnd.randrange(0, CRASH_SIZE - n + 1, 4096)
                data = self.rnd.randbytes(n)
                if os.pwrite(fd, data, off) != n:
                    raise OSError(errno.EIO, "short write")
                writes.append((off, data))
        finally:
            os.close(fd)
        return writes

    @staticmethod
    def apply(model, writes):
        m = bytearray(model)
        for off, data in writes:
            m[off:off + len(data)] = data
        return m

    def judge(self, path, exists_before, old, writes, prefixes):
        """Which state the image is in: 'old', 'new', 'prefix k' or None (torn / missing). Returns (label, model)."""
        if not os.path.exists(path):
            return ("missing (never saved)", old) if not exists_before else (None, None)
        img = open(path, "rb").read()
        if len(img) != len(old):
            return None, None
        # Outside what this cycle wrote the image must be the old one, whatever instant it shows.
        probe = bytearray(img)
        for off, data in writes:
            probe[off:off + len(data)] = old[off:off + len(data)]
        if probe != old:
            return None, None
        ks = range(len(writes) + 1) if prefixes else (0, len(writes))
        for k in ks:
            state = self.apply(old, writes[:k])
            if all(img[off:off + len(d)] == state[off:off + len(d)] for off, d in writes):
                label = "old" if k == 0 else "new" if k == len(writes) else f"prefix {k}/{len(writes)}"
                return label, state
        return None, None

    def kill_during(self, image, full, aim, fraction, extra):
        """Polls the temporary file of `image`; SIGKILL at the aimed progress ("fraction" of the data
        written, "written" + extra seconds, or "renamed" + extra seconds). Returns where it landed."""
        pid, t0, full_since, seen = self.proc.pid, time.time(), None, False
        aim_after = aim == "written"
        key = os.stat(image).st_ino if os.path.exists(image) else None
        while True:
            if self.proc.poll() is not None:
                return "finished by itself"
            if (os.stat(image).st_ino if os.path.exists(image) else None) != key:
                if aim == "renamed":
                    time.sleep(extra)
                    if self.proc.poll() is not None:
                        return "finished by itself"
                os.kill(pid, signal.SIGKILL); self.proc.wait()
                return "after the rename"
            sizes = []
            for t in temps(image, pid):
                try:
                    sizes.append(os.stat(t).st_size)
                except FileNotFoundError:
                    pass
            if sizes and aim != "renamed":
                seen, size = True, max(sizes)
                if aim_after and size >= full and full_since is None:
                    full_since = time.time()
                due = (full_since is not None and time.time() - full_since >= extra) if aim_after else size >= fraction * full
                if due:
                    os.kill(pid, signal.SIGKILL); self.proc.wait()
                    return "mid-write" if size < full else "data written, before the rename"
            if time.time() - t0 > 30:
                os.kill(pid, signal.SIGKILL); self.proc.wait()
                return "no save seen in 30 s" if not seen else "timeout"
            time.sleep(0.0002)

    def cycle(self):
        self.cycles += 1
        kind = self.rnd.choice(self.KINDS) if self.p_exists else "attr"  # the first save fills the disk
        self.start(kind)
        self.check_start()
        old_p, old_m, p_existed = bytes(self.model_p), bytes(self.model_m), self.p_exists
        wp = self.write(f"{self.mnt}/p", self.model_p, small=(kind == "interval"), fill=not p_existed)
        wm = self.write(f"{self.mnt}/m", self.model_m, small=False)
        # Most kills aim at the data being written, some just after it is (fsync, rename), some after
        # the rename (the new image must then be whole); the first save of the lane is let through.
        r = self.rnd.random()
        aim = "renamed" if r < 0.15 or not p_existed else "written" if r < 0.35 else "fraction"
        fraction, extra = self.rnd.random(), self.rnd.random() * 0.02
        committer = None
        if kind == "attr":
            os.setxattr(f"{self.mnt}/p", "user.ramdiskfs.save", b"")
        elif kind == "stop":
            self.proc.send_signal(signal.SIGTERM)
        elif kind == "commit":
            def commit():
                try:
                    os.setxattr(f"{self.mnt}/m", "user.ramdiskfs.commit", b"1")
                except OSError:
                    pass  # the daemon was killed under it
            committer = threading.Thread(target=commit, daemon=True); committer.start()
        target = self.base if kind == "commit" else self.image
        landing = self.kill_during(target, CRASH_SIZE, aim, fraction, extra)
        exit_code = self.proc.wait()
        if committer:
            committer.join(30)
        if mounted(self.mnt):
            subprocess.run(["fusermount", "-u", "-z", self.mnt], stderr=subprocess.DEVNULL)
        # The persist image: changed only by this cycle's save (attr, interval, stop).
        saved = kind in ("attr", "interval", "stop")
        label_p, state_p = self.judge(self.image, p_existed, old_p, wp if saved else [], kind == "interval")
        label_m, state_m = self.judge(self.base, True, old_m, wm if kind == "commit" else [], False)
        ok = True
        if label_p is None:
            ok = False; self.mismatch(f"{kind}: the persist image is torn or missing after the kill ({landing})")
        if label_m is None:
            ok = False; self.mismatch(f"{kind}: the memdiff base is torn after the kill ({landing})")
        if landing == "finished by itself" and (exit_code != 0 or label_p != "new"):
            ok = False; self.mismatch(f"{kind}: finished by itself with exit {exit_code} and the image {label_p}")
        if ok:
            self.crashes += 1
            self.counter.value = self.crashes
        self.model_p = bytearray(state_p) if state_p is not None else bytearray(open(self.image, "rb").read()) if os.path.exists(self.image) else bytearray(CRASH_SIZE)
        self.p_exists = os.path.exists(self.image)
        self.model_m = bytearray(state_m) if state_m is not None else bytearray(open(self.base, "rb").read())
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        self.landings[landing] = self.landings.get(landing, 0) + 1
        label = label_m if kind == "commit" else label_p
        self.states[label.split(" ")[0] if label else "torn"] = self.states.get(label.split(" ")[0] if label else "torn", 0) + 1

    def run(self):
        try:
            while time.time() < self.stop_at and self.mismatches < 20:
                self.cycle()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(60)
                except subprocess.TimeoutExpired:
                    self.proc.kill(); self.proc.wait()
            if mounted(self.mnt):
                subprocess.run(["fusermount", "-u", "-z", self.mnt], stderr=subprocess.DEVNULL)
        return {"crash": self.crashes, "crash_cycles": self.cycles, "crash_mismatches": self.mismatches, "crash_notes": self.notes,
                "crash_kinds": self.by_kind, "crash_landings": self.landings, "crash_states": self.states}

def crash_lane(stop_at, q, cmd, home, seed, counter):
    try:
        q.put(CrashLane(stop_at, cmd, home, seed, counter).run())
    except BaseException as e:
        q.put({"crash": 0, "crash_cycles": 0, "crash_mismatches": 1, "crash_notes": [f"crash lane died: {e!r}"],
               "crash_kinds": {}, "crash_landings": {}, "crash_states": {}})

def rss_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return -1

if __name__ == "__main__":
    start = time.time(); stop_at = start + DURATION
    counters = mp.Array("q", WORKERS, lock=False)
    q = mp.Queue()
    procs = [mp.Process(target=work, args=(i, counters, stop_at, q)) for i in range(WORKERS)]
    procs.append(mp.Process(target=observer, args=(stop_at, q)))
    crashes = mp.Value("q", 0, lock=False)
    if CRASH_HOME:
        procs.append(mp.Process(target=crash_lane, args=(stop_at, q, CRASH_CMD, CRASH_HOME, SEED, crashes)))
    for p in procs: p.start()
    next_report = start + 60
    results = []
    while len(results) < len(procs):
        try:
            results.append(q.get(timeout=1))
        except Exception:
            pass
        if time.time() >= next_report:
            st = os.statvfs(MNT)
            used = (st.f_blocks - st.f_bfree) * st.f_frsize >> 20
            print(f"soak: {time.time() - start:6.0f} s, {sum(counters)} operations, {crashes.value} crashes survived, "
                  f"ramdiskfs RSS {rss_mib(PID)} MiB, df used {used} MiB",
                  file=sys.stderr, flush=True)
            next_report += 60
        if time.time() > stop_at + 600:
            print("soak: workers did not finish 10 minutes after the end: HANG", file=sys.stderr)
            sys.exit(3)
    for p in procs: p.join()
    workers = [r for r in results if "worker" in r]
    totals = {}
    for r in workers:
        for k, v in r["ops"].items():
            totals[k] = totals.get(k, 0) + v
    mismatches = sum(r["mismatches"] for r in workers)
    errors = sum(r["errors"] for r in workers) + sum(r.get("observer_errors", 0) for r in results)
    for r in workers:
        for n in r["notes"]:
            print(f"soak: worker {r['worker']}: {n}")
    observed = sum(r.get("observer", 0) for r in results)
    groups = sum(r.get("groups", 0) for r in results)
    lane = next((r for r in results if "crash" in r), None)
    crash_text = ""
    if lane:
        mismatches += lane["crash_mismatches"]
        for n in lane["crash_notes"]:
            print(f"soak: crash lane: {n}")
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items()))
        crash_text = (f", {lane['crash']} crashes survived of {lane['crash_cycles']} kill -9 cycles "
                      f"(operations: {fmt(lane['crash_kinds'])}; landed: {fmt(lane['crash_landings'])}; "
                      f"image after the kill: {fmt(lane['crash_states'])})")
    snapshots = totals.get("snapshot", 0) + groups
    print(f"soak: duration {time.time() - start:.0f} s, {WORKERS} workers, {sum(totals.values())} operations "
          f"({', '.join(f'{k} {v}' for k, v in sorted(totals.items()))}), {observed} observer rounds, {groups} group snapshots, "
          f"{snapshots} snapshots in all{crash_text}, mismatches {mismatches}, errors {errors}, ramdiskfs RSS {rss_mib(PID)} MiB")
    sys.exit(0 if mismatches == 0 and errors == 0 else 1)
PY

log "driving it for $DURATION s with $WORKERS workers$([ "$CRASH" = 1 ] && echo ", and the crash lane in $CRASH_HOME")"
crash_args=()
if [ "$CRASH" = 1 ]; then mkdir -p "$CRASH_HOME"; crash_args=("$CRASH_HOME" "${START[@]}"); fi
python3 "$DIR/driver.py" "$MNT" "$DURATION" "$WORKERS" "$SEED" "$REGION_MIB" "$PID" ${crash_args[@]+"${crash_args[@]}"}
driver=$?

# At rest: df's used = the sum of every disk's committed bytes (the budget's books balance), and the
# Java heap after a full GC stays small (disk data lives off the heap).
used=$(df -B1 --output=used "$MNT" | tail -1 | tr -d ' ')
committed=0
for f in "$MNT"/*; do
  c=$(getfattr -n user.ramdiskfs.committed_bytes --only-values --absolute-names "$f" 2>/dev/null) || c=0
  committed=$((committed + c))
done
echo "soak: at rest: df used $used bytes, committed bytes of all disks $committed"
left_snaps=$(ls -A "$MNT/.snap" | wc -l)
[ "$left_snaps" = 0 ] || { echo "soak: MISMATCH: $left_snaps snapshots left in .snap"; driver=1; }
for f in "$MNT"/*; do
  layers=$(getfattr -n user.ramdiskfs.layers --only-values --absolute-names "$f" 2>/dev/null)
  [ "$layers" = ram ] || { echo "soak: MISMATCH: $f has layers '$layers' with every snapshot deleted"; driver=1; }
done
[ "$used" = "$committed" ] || { echo "soak: MISMATCH: df used differs from the disks' committed bytes"; driver=1; }
if command -v jcmd >/dev/null; then
  jcmd "$PID" GC.run >/dev/null 2>&1
  heap=$(jcmd "$PID" GC.heap_info 2>/dev/null | sed -n 's/.*heap *total [0-9]*K, used \([0-9]*\)K.*/\1/p' | sed -n 1p)
  echo "soak: Java heap used after a full GC: $((${heap:-0} / 1024)) MiB"
fi

log "SIGTERM to ramdiskfs ($PID)"
kill -TERM "$PID"
exit_code=
for _ in $(seq 150); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$PID" 2>/dev/null; then
  log "ramdiskfs still runs 30 s after SIGTERM"; exit_code=timeout
else
  wait "$PID"; exit_code=$?
fi
PID=
left=no; is_mounted && left=yes
echo "soak: ramdiskfs exit ${exit_code} after SIGTERM, mount left behind: $left"
if grep -qE ' WARN | ERROR |Exception' "$DIR/ramdiskfs.log"; then
  echo "soak: warnings in the ramdiskfs log:"; grep -E ' WARN | ERROR |Exception' "$DIR/ramdiskfs.log" | sed -n 1,20p
  driver=1
fi
if [ "$driver" = 0 ] && [ "$exit_code" = 0 ] && [ "$left" = no ]; then
  PASSED=1; echo "soak: PASSED"
else
  echo "soak: FAILED"; exit 1
fi
