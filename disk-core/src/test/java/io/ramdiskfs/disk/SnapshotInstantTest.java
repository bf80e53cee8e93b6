package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The snapshot instant is a request boundary. Writer threads stamp sequence numbers into slots of
 * their own (write N goes to slot N mod SLOTS of the writer's region, several sectors long, and
 * unaligned so that it is a read-modify-write of partial sectors) while another thread takes group
 * snapshots of two disks. In every snapshot, for every writer: the newest write it holds is some
 * N, and then every slot holds exactly the write that was newest at N (prefix consistency: a
 * snapshot holding write N+1 holds write N), and no write is torn. Across the two disks of one
 * group snapshot, each writer (which writes to both disks, the first then the second) has the
 * second disk at most one write behind the first.
 */
class SnapshotInstantTest {
    static final int WRITERS = 3;
    static final int SLOTS = 16;
    static final int SLOT_BYTES = 3 * 512 + 100;
    static final int REGION = SLOTS * SLOT_BYTES + 512;

    @Test
    void everySnapshotHoldsAPrefixOfEachWritersWrites() throws Exception {
        MemoryBudget budget = new MemoryBudget(256L << 20);
        LayeredDisk a = LayeredDisk.of(RamLayer.create(WRITERS * REGION / 512 * 512 + 4096, 512, budget), false);
        LayeredDisk b = LayeredDisk.of(RamLayer.create(WRITERS * REGION / 512 * 512 + 4096, 512, budget), false);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                byte[] slot = new byte[SLOT_BYTES];
                try {
                    for (long n = 1; !stop.get(); n++) {
                        stamp(slot, writer, n);
                        long at = (long) writer * REGION + 7 + (n % SLOTS) * SLOT_BYTES;
                        a.bytes().write(at, slot, BYTES, slot.length);
                        b.bytes().write(at, slot, BYTES, slot.length);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "writer-" + w);
            writers.add(t);
            t.start();
        }
        List<List<LayeredDisk>> taken = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                taken.add(LayeredDisk.snapshotAll(List.of(a, b)));
                Thread.sleep(1);
            }
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
        int withWrites = 0;
        for (List<LayeredDisk> group : taken) {
            for (int w = 0; w < WRITERS; w++) {
                long newestA = checkPrefix(group.get(0), w);
                long newestB = checkPrefix(group.get(1), w);
                assertTrue(newestB == newestA || newestB == newestA - 1,
                        "writer " + w + ": disk a holds write " + newestA + " but disk b holds " + newestB
                                + " in the same group snapshot");
                if (newestA > 0) {
                    withWrites++;
                }
            }
            for (LayeredDisk s : group) {
                s.close();
            }
        }
        assertTrue(withWrites > 0, "no snapshot caught any write");
        a.close();
        b.close();
        assertEquals(0, budget.used());
    }

    private static void stamp(byte[] slot, int writer, long n) {
        ByteBuffer bb = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 16 <= slot.length; i += 16) {
            bb.putLong(i, writer);
            bb.putLong(i + 8, n);
        }
    }

    /** Returns the newest write of {@code writer} the snapshot holds, having checked the rest against it. */
    private static long checkPrefix(LayeredDisk snapshot, int writer) throws DiskException {
        long[] slots = new long[SLOTS];
        byte[] slot = new byte[SLOT_BYTES];
        long newest = 0;
        for (int j = 0; j < SLOTS; j++) {
            snapshot.bytes().read((long) writer * REGION + 7 + (long) j * SLOT_BYTES, slot, BYTES, slot.length);
            ByteBuffer bb = ByteBuffer.wrap(slot).order(ByteOrder.LITTLE_ENDIAN);
            long n = bb.getLong(8);
            for (int i = 0; i + 16 <= slot.length; i += 16) {
                long w = bb.getLong(i);
                long m = bb.getLong(i + 8);
                if (m != n || (n != 0 && w != writer)) {
                    fail("writer " + writer + " slot " + j + " is torn: bytes " + i + ".. hold (" + w + ", " + m
                            + ") where the slot starts with write " + n);
                }
            }
            slots[j] = n;
            newest = Math.max(newest, n);
        }
        for (int j = 0; j < SLOTS; j++) {
            long expected = newest - ((newest - j) % SLOTS + SLOTS) % SLOTS;
            if (expected < 1) {
                expected = 0;
            }
            if (slots[j] != expected) {
                fail("writer " + writer + ": the snapshot holds write " + newest + " but slot " + j + " holds write "
                        + slots[j] + " instead of " + expected);
            }
        }
        return newest;
    }
}
