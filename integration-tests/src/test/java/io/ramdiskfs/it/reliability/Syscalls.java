package io.ramdiskfs.it.reliability;

import io.ramdiskfs.it.support.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One system call on a path, made by a {@code python3} child process, for what Java cannot ask
 * ({@code pread} at a negative offset, {@code fallocate} with any mode, {@code mknod} of a
 * device). The answer is {@code "OK <n>"} (bytes transferred, else 0) or the errno's name
 * ({@code "EINVAL"}, {@code "EOPNOTSUPP"}...).
 */
final class Syscalls {
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    private static final String SCRIPT = """
            import os, sys, errno, ctypes, mmap, stat, base64
            def buffer(n, fill):
                b = mmap.mmap(-1, max(n, 4096))  # page aligned, so O_DIRECT takes it
                if fill: b.write(fill * n)
                return memoryview(b)[:n]
            def run(op, a):
                if op in ("pread", "pwrite"):
                    path, off, n = a[0], int(a[1]), int(a[2])
                    flags = (os.O_RDONLY if op == "pread" else os.O_WRONLY) | (os.O_DIRECT if "direct" in a[3:] else 0)
                    fd = os.open(path, flags)
                    try:
                        # not preadv/pwritev: those read "offset -1" as "the current position"
                        if op == "pread":
                            return os.preadv(fd, [buffer(n, None)], off) if "direct" in a[3:] and off != -1 else len(os.pread(fd, n, off))
                        if "direct" in a[3:] and off != -1: return os.pwritev(fd, [buffer(n, b"\\xa5")], off)
                        return os.pwrite(fd, b"\\xa5" * n, off)
                    finally: os.close(fd)
                if op == "truncate": os.truncate(a[0], int(a[1])); return 0
                if op == "ftruncate":
                    fd = os.open(a[0], os.O_RDWR)
                    try: os.ftruncate(fd, int(a[1])); return 0
                    finally: os.close(fd)
                if op == "fallocate":
                    libc = ctypes.CDLL(None, use_errno=True)
                    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]
                    fd = os.open(a[0], os.O_RDWR)
                    try:
                        if libc.fallocate(fd, int(a[1], 0), int(a[2]), int(a[3])) != 0:
                            e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
                        return 0
                    finally: os.close(fd)
                if op == "open":
                    flags = {"ro": os.O_RDONLY, "wo": os.O_WRONLY, "rw": os.O_RDWR, "trunc": os.O_WRONLY | os.O_TRUNC,
                             "create": os.O_WRONLY | os.O_CREAT}[a[1]]
                    os.close(os.open(a[0], flags, 0o644)); return 0
                if op == "mkdir": os.mkdir(a[0]); return 0
                if op == "rmdir": os.rmdir(a[0]); return 0
                if op == "unlink": os.unlink(a[0]); return 0
                if op == "rename": os.rename(a[0], a[1]); return 0
                if op == "symlink": os.symlink(a[0], a[1]); return 0
                if op == "link": os.link(a[0], a[1]); return 0
                if op == "chmod": os.chmod(a[0], int(a[1], 8)); return 0
                if op == "getxattr": return len(os.getxattr(a[0], a[1]))
                if op == "setxattr": os.setxattr(a[0], a[1], a[2].encode()); return 0
                if op == "removexattr": os.removexattr(a[0], a[1]); return 0
                if op == "mknod":
                    kinds = {"chr": stat.S_IFCHR, "blk": stat.S_IFBLK, "fifo": stat.S_IFIFO, "reg": stat.S_IFREG}
                    os.mknod(a[0], kinds[a[1]] | 0o600, os.makedev(1, 3) if a[1] in ("chr", "blk") else 0); return 0
                raise SystemExit("unknown op " + op)
            def arg(s):  # b64:... is a path given as raw bytes
                return base64.b64decode(s[4:]) if s.startswith("b64:") else s
            try:
                print("OK", run(sys.argv[1], [arg(s) for s in sys.argv[2:]]))
            except OSError as e:
                print("EOPNOTSUPP" if e.errno == errno.EOPNOTSUPP else errno.errorcode.get(e.errno, "errno " + str(e.errno)))
            """;

    private Syscalls() {}

    /** A path argument passed as its UTF-8 bytes, whatever the JVM's file name encoding. */
    static Object utf8(String path) {
        String b64 = java.util.Base64.getEncoder().encodeToString(path.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return new Object() {
            @Override
            public String toString() {
                return "b64:" + b64;
            }
        };
    }

    /** Runs {@code op ARGS}; the answer, e.g. {@code "OK 4096"} or {@code "EINVAL"}. */
    static String call(String op, Object... args) {
        List<String> cmd = new ArrayList<>(List.of(PYTHON, "-c", SCRIPT, op));
        for (Object a : args) {
            cmd.add(String.valueOf(a));
        }
        Cmd.Result r = Cmd.run(cmd);
        if (!r.ok() || r.out().isEmpty() || r.out().contains("\n")) {
            throw new AssertionError("the syscall helper failed\n" + r.describe());
        }
        return r.out();
    }

    static String pread(Path file, long offset, long length) {
        return call("pread", file, offset, length);
    }

    static String preadDirect(Path file, long offset, long length) {
        return call("pread", file, offset, length, "direct");
    }

    /** Writes {@code length} bytes of 0xa5. */
    static String pwrite(Path file, long offset, long length) {
        return call("pwrite", file, offset, length);
    }

    static String pwriteDirect(Path file, long offset, long length) {
        return call("pwrite", file, offset, length, "direct");
    }

    /** {@code truncate(2)} on the path. */
    static String truncate(Path file, long size) {
        return call("truncate", file, size);
    }

    /** {@code ftruncate(2)} on a descriptor opened O_RDWR. */
    static String ftruncate(Path file, long size) {
        return call("ftruncate", file, size);
    }

    /** {@code fallocate(2)} with the raw mode bits, on a descriptor opened O_RDWR. */
    static String fallocate(Path file, int mode, long offset, long length) {
        return call("fallocate", file, "0x" + Integer.toHexString(mode), offset, length);
    }

    /** {@code open(2)}: {@code ro}, {@code wo}, {@code rw}, {@code trunc} or {@code create}. */
    static String open(Path file, String how) {
        return call("open", file, how);
    }
}
