package io.ramdiskfs.it.reliability;

import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 20, item 1, from outside: a daemon with a 96 MiB heap used to die of OutOfMemoryError
 * after 17 snapshots of a 1 PiB thin disk, and while writing and punching 4 KiB at each GiB of a
 * big one (every disk lost, no save at stop). The chunk tables now cost heap in proportion to
 * what they hold and give it back, so the daemon lives through both and its heap returns to
 * where it started once the data and the snapshots are gone.
 */
@RequiresFuse(tools = {"truncate", "setfattr", "jcmd", "python3", "dd"})
class HeapExhaustionIT {
    static final List<String> SMALL_HEAP = List.of("-Xmx96m");
    /** Heap a full GC may leave beyond where it started (class loading, caches, buffers). */
    static final long SLACK = 16 * MiB;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /**
     * Snapshots of a 1 PiB disk, one after another, with a 96 MiB heap: before, 4 MiB of heap
     * each and death at the 17th. Now the first thousand cost tens of KiB each, and when the
     * heap is nearly full of them the next one is refused with ENOSPC while the daemon serves on;
     * deleting them gives the heap back, and snapshots work again.
     */
    @Test
    void snapshotsOfAPetabyteDiskUntilTheHeapRefusesThem() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMountedWithJvm(mp, SMALL_HEAP, "-d", "thin=1G");
        Path disk = mp.resolve("thin");
        Cmd.ok("truncate", "-s", "1P", disk.toString());
        Tools.dd("if=/dev/urandom", "of=" + disk, "bs=1M", "count=4", "conv=notrunc").assertOk();
        long idle = JvmHeap.usedAfterFullGc(rd.pid());

        int taken = 0;
        Cmd.Result refused = null;
        long atThousand = -1;
        while (taken < 6000) {
            Cmd.Result r = Cmd.run("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "s" + taken, disk.toString());
            assertTrue(rd.isAlive(), "the daemon died at snapshot " + taken + "\n" + rd.describe());
            if (!r.ok()) {
                refused = r;
                break;
            }
            taken++;
            if (taken == 1000) {
                atThousand = JvmHeap.usedAfterFullGc(rd.pid());
            }
        }
        System.out.println("HeapExhaustionIT: heap " + idle + " bytes idle, " + atThousand + " with 1000 snapshots of a 1 PiB disk; "
                + taken + " taken before " + (refused == null ? "none refused" : "one was refused: " + refused.stderr()));
        assertTrue(atThousand > 0 && atThousand - idle < 48 * MiB, "1000 snapshots of a 1 PiB disk hold " + (atThousand - idle)
                + " bytes of heap");
        assertTrue(refused != null && refused.stderr().contains("No space left on device"),
                "past " + taken + " snapshots the heap is nearly full: the next is refused with ENOSPC"
                        + (refused == null ? "" : "\n" + refused.describe()));
        assertAlive(rd, mp);
        Tools.dd("if=/dev/zero", "of=" + disk, "bs=1M", "count=1", "seek=8", "conv=notrunc").assertOk();

        for (int i = 0; i < taken; i++) {
            Cmd.ok("rmdir", mp.resolve(".snap/s" + i).toString());
        }
        long after = JvmHeap.usedAfterFullGc(rd.pid());
        assertTrue(after - idle < SLACK, "heap after deleting the snapshots: " + after + ", idle was " + idle);
        Cmd.ok("setfattr", "-n", "user.ramdiskfs.snapshot", "-v", "again", disk.toString());
        assertAlive(rd, mp);
    }

    /**
     * 4 KiB written at each of 16,384 GiB (16 TiB of a 1 PiB disk), then punched again: before,
     * a 64 KiB leaf per GiB that punching never freed (1 GiB of heap); now a few KiB per GiB
     * while written and nothing after the punch.
     */
    @Test
    void writingAndPunchingAtEveryGigabyteOfAPetabyte() {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMountedWithJvm(mp, SMALL_HEAP, "--memory-limit", "2G", "-d", "thin=1G");
        Path disk = mp.resolve("thin");
        Cmd.ok("truncate", "-s", "1P", disk.toString());
        long idle = JvmHeap.usedAfterFullGc(rd.pid());

        Cmd.Result w = Cmd.run("python3", "-c", SPREAD, disk.toString(), "16384", "write");
        assertTrue(w.ok(), "writing 4 KiB at each GiB\n" + w.describe() + "\n" + rd.describe());
        assertEquals(16384L * 64 * 1024, Tools.committedBytes(disk), "a 64 KiB chunk per GiB written");
        long written = JvmHeap.usedAfterFullGc(rd.pid());
        Cmd.Result p = Cmd.run("python3", "-c", SPREAD, disk.toString(), "16384", "punch");
        assertTrue(p.ok(), "punching them again\n" + p.describe() + "\n" + rd.describe());
        assertEquals(0, Tools.committedBytes(disk), "committed after punching every write");
        long after = JvmHeap.usedAfterFullGc(rd.pid());
        System.out.println("HeapExhaustionIT: heap " + idle + " idle, " + written + " with 4 KiB at 16384 GiB, " + after + " after the punch");
        assertTrue(after - idle < SLACK, "heap after punching: " + after + ", idle was " + idle);
        assertAlive(rd, mp);
    }

    private static void assertAlive(CliProcess rd, Path mp) {
        assertTrue(rd.isAlive(), rd.describe());
        assertFalse(rd.stderr().contains("OutOfMemoryError"), rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
    }

    /** argv: FILE N write|punch: 4 KiB of 0x5a at each of the first N GiB, or a punch there. */
    private static final String SPREAD = """
            import ctypes, os, sys
            path, n, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
            libc = ctypes.CDLL(None, use_errno=True)
            libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
            fd = os.open(path, os.O_RDWR)
            block = b'\\x5a' * 4096
            for i in range(n):
                off = i << 30
                if what == 'write':
                    os.pwrite(fd, block, off)
                elif libc.fallocate(fd, 3, off, 4096) != 0:  # PUNCH_HOLE | KEEP_SIZE
                    sys.exit('fallocate at %d: %s' % (off, os.strerror(ctypes.get_errno())))
            os.fsync(fd)
            os.close(fd)
            """;
}
