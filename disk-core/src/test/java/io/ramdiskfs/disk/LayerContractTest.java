package io.ramdiskfs.disk;

import static io.ramdiskfs.disk.TestDisks.BYTES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The range and failure contract every layer kind and every stack keeps (SPEC §2 "Range checks",
 * "Memory"): for any {@code long} sector and count — negative, {@code Long.MAX_VALUE},
 * {@code Long.MIN_VALUE}, straddling the end, overflowing {@code sector + count} — an operation
 * either succeeds or fails with {@link DiskError#ILLEGAL_BLOCK}; an in-range one succeeds and an
 * out-of-range one fails; never an unchecked exception. A failed write or unmap changes nothing:
 * neither data, nor committed bytes, nor the budget. Read-only subjects refuse every write with
 * {@link DiskError#READ_ONLY}.
 *
 * <p>A subclass supplies the subject through {@link #create}.
 */
public abstract class LayerContractTest {
    /** Every subject is this large. */
    protected static final int SIZE = 1 << 20;
    /** Reads land here; room for a whole subject and then some, should a bad range slip through. */
    private final byte[] buffer = new byte[SIZE + (1 << 17)];

    @TempDir
    protected Path dir;
    protected final MemoryBudget budget = new MemoryBudget(256L << 20);
    protected Subject subject;
    private long sc;
    private int ss;

    /** One thing under test, seen through the operations of the contract. */
    protected interface Subject {
        int sectorSize();

        long sectorCount();

        /** False when every write and unmap must fail with READ_ONLY. */
        boolean writable();

        /** True when writes draw new memory from the budget (RAM at the top). */
        boolean usesBudget();

        void read(Object base, long offset, long sector, int count) throws DiskException;

        void write(Object base, long offset, long sector, int count) throws DiskException;

        void unmap(long sector, long count) throws DiskException;

        long committedBytes();

        /** What a reader of the whole subject sees. */
        byte[] contents() throws DiskException;

        void close();
    }

    /**
     * Builds the subject: {@link #SIZE} bytes; it may hold data anywhere, but writes to its upper
     * half must need new memory when {@link Subject#usesBudget()}.
     */
    protected abstract Subject create(MemoryBudget budget, Path dir) throws Exception;

    @BeforeEach
    void createSubject() throws Exception {
        subject = create(budget, dir);
        sc = subject.sectorCount();
        ss = subject.sectorSize();
        assertEquals(SIZE, sc * ss);
    }

    @AfterEach
    void closeSubject() {
        subject.close();
        assertEquals(0, budget.used(), "memory left in the budget after close");
    }

    // ------------------------------------------------------------------ helpers for subclasses

    /**
     * A layer operated directly; {@code view} is a disk over it that shows what it holds. With a
     * layer {@code below}, reads pass a marker and take the sectors left unmarked from
     * {@code below}, as a stack would; unmaps tell the layer that {@code below} holds data.
     */
    protected static Subject layer(LayerIo layer, LayeredDisk view, LayerIo below, boolean usesBudget) {
        boolean marked = below != null;
        long zeroBelowFrom = marked ? below.sectorCount() : 0;
        return new Subject() {
            private final SectorMarker marker = new SectorMarker();

            @Override
            public int sectorSize() {
                return layer.sectorSize();
            }

            @Override
            public long sectorCount() {
                return layer.sectorCount();
            }

            @Override
            public boolean writable() {
                return !layer.isReadOnly();
            }

            @Override
            public boolean usesBudget() {
                return usesBudget;
            }

            @Override
            public void read(Object base, long offset, long sector, int count) throws DiskException {
                if (!marked) {
                    layer.read(base, offset, sector, count, null);
                    return;
                }
                // The layer checks the range before it marks; a small marker is enough for bad ranges.
                marker.reset(sector, Math.max(0, Math.min(count, SIZE / 512)));
                layer.read(base, offset, sector, count, marker);
                long end = sector + count;
                for (long run = marker.nextUnset(sector); run < end; ) {
                    long runEnd = marker.nextSet(run);
                    below.read(base, offset + (run - sector) * layer.sectorSize(), run, (int) (runEnd - run), null);
                    run = marker.nextUnset(runEnd);
                }
            }

            @Override
            public void write(Object base, long offset, long sector, int count) throws DiskException {
                layer.write(base, offset, sector, count, false);
            }

            @Override
            public void unmap(long sector, long count) throws DiskException {
                layer.unmap(sector, count, zeroBelowFrom);
            }

            @Override
            public long committedBytes() {
                return layer.committedBytes();
            }

            @Override
            public byte[] contents() throws DiskException {
                return TestDisks.contents(view);
            }

            @Override
            public void close() {
                view.close();
            }

            @Override
            public String toString() {
                return layer + " in " + view;
            }
        };
    }

    /** A whole disk. */
    protected static Subject disk(LayeredDisk disk, boolean usesBudget) {
        return new Subject() {
            @Override
            public int sectorSize() {
                return disk.sectorSize();
            }

            @Override
            public long sectorCount() {
                return disk.sectorCount();
            }

            @Override
            public boolean writable() {
                return !disk.isReadOnly();
            }

            @Override
            public boolean usesBudget() {
                return usesBudget;
            }

            @Override
            public void read(Object base, long offset, long sector, int count) throws DiskException {
                disk.read(base, offset, sector, count);
            }

            @Override
            public void write(Object base, long offset, long sector, int count) throws DiskException {
                disk.write(base, offset, sector, count, false);
            }

            @Override
            public void unmap(long sector, long count) throws DiskException {
                disk.unmap(sector, count);
            }

            @Override
            public long committedBytes() {
                return disk.committedBytes();
            }

            @Override
            public byte[] contents() throws DiskException {
                return TestDisks.contents(disk);
            }

            @Override
            public void close() {
                disk.close();
            }

            @Override
            public String toString() {
                return disk.toString();
            }
        };
    }

    // ------------------------------------------------------------------ ranges

    private record Range(long sector, long count) {
        int intCount() {
            return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, count));
        }

        @Override
        public String toString() {
            return "[" + sector + ", +" + count + ")";
        }
    }

    /** Ranges that lie (at least partly) outside the subject, with a nonzero count. */
    private List<Range> badRanges() {
        long max = Long.MAX_VALUE;
        long min = Long.MIN_VALUE;
        int imax = Integer.MAX_VALUE;
        int imin = Integer.MIN_VALUE;
        return List.of(
                new Range(-1, 1), new Range(min, 1), new Range(max, 1), new Range(max - 1, 2),
                new Range(max, imax), new Range(min, imax), new Range(sc, 1), new Range(sc + 1, 1),
                new Range(sc - 1, 2), new Range(sc - 5, 10), new Range(0, sc + 1), new Range(1, imax),
                new Range(sc - 1, imax), new Range(0, -1), new Range(5, imin), new Range(min, -1),
                new Range(-1, 2), new Range(-imax, imax), new Range(sc / 2, sc), new Range(max - sc / 2, sc),
                new Range(1L << 40, 1), new Range(-(1L << 40), 8));
    }

    /** Ranges with a count beyond an int: only unmap takes them. */
    private List<Range> badLongRanges() {
        long max = Long.MAX_VALUE;
        return List.of(new Range(0, max), new Range(1, max), new Range(max, max), new Range(sc, Long.MIN_VALUE),
                new Range(0, Long.MIN_VALUE), new Range(sc - 1, max - sc + 2), new Range(2, max - 1),
                new Range(0, 1L << 32), new Range(-1, 1L << 32));
    }

    private static boolean inRange(long sector, long count, long sectorCount) {
        return sector >= 0 && count >= 0 && sector <= sectorCount && count <= sectorCount - sector;
    }

    @FunctionalInterface
    private interface Op {
        void run() throws DiskException;
    }

    /** Runs {@code op}; returns null on success or the error of its DiskException; fails on anything else. */
    private DiskError outcome(String what, Op op) {
        try {
            op.run();
            return null;
        } catch (DiskException e) {
            return e.error();
        } catch (Throwable t) {
            throw new AssertionError(subject + ": " + what + " threw an unchecked " + t, t);
        }
    }

    private void expectIllegal(String what, Op op) {
        DiskError e = outcome(what, op);
        assertEquals(DiskError.ILLEGAL_BLOCK, e, () -> subject + ": " + what + (e == null ? " succeeded" : " failed with " + e));
    }

    /** The error a refused write must carry: READ_ONLY on a read-only subject (which may also say ILLEGAL_BLOCK out of range). */
    private void expectRefusedWrite(String what, Op op, boolean outOfRange) {
        DiskError e = outcome(what, op);
        if (subject.writable()) {
            assertEquals(DiskError.ILLEGAL_BLOCK, e, () -> subject + ": " + what + (e == null ? " succeeded" : " failed with " + e));
        } else if (!(outOfRange && e == DiskError.ILLEGAL_BLOCK)) {
            assertEquals(DiskError.READ_ONLY, e, () -> subject + ": " + what + " on a read-only subject");
        }
    }

    /** Runs a mutating operation that must change nothing; checks data, committed bytes and the budget. */
    private void expectUnchanged(String what, Runnable assertOutcome) throws DiskException {
        byte[] before = subject.contents();
        long committed = subject.committedBytes();
        long used = budget.used();
        assertOutcome.run();
        assertEquals(committed, subject.committedBytes(), () -> subject + ": " + what + " changed committed bytes");
        assertEquals(used, budget.used(), () -> subject + ": " + what + " changed the budget");
        byte[] after = subject.contents();
        String m = SectorPattern.mismatch(after, 0, before, 0, SIZE, 0, ss);
        if (m != null) {
            fail(subject + ": " + what + " changed the data: " + m);
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    void readsOutsideTheSubjectFailWithIllegalBlock() {
        for (Range r : badRanges()) {
            expectIllegal("read " + r, () -> subject.read(buffer, BYTES, r.sector(), r.intCount()));
        }
    }

    @Test
    void writesOutsideTheSubjectFailAndChangeNothing() throws DiskException {
        byte[] data = SectorPattern.bytes(0, buffer.length, 9);
        for (Range r : badRanges()) {
            String what = "write " + r;
            expectUnchanged(what, () -> expectRefusedWrite(what, () -> subject.write(data, BYTES, r.sector(), r.intCount()), true));
        }
    }

    @Test
    void unmapsOutsideTheSubjectFailAndChangeNothing() throws DiskException {
        List<Range> ranges = new ArrayList<>(badRanges());
        ranges.addAll(badLongRanges());
        for (Range r : ranges) {
            String what = "unmap " + r;
            expectUnchanged(what, () -> expectRefusedWrite(what, () -> subject.unmap(r.sector(), r.count()), true));
        }
    }

    @Test
    void zeroLengthRequestsWithinTheSubjectSucceed() throws DiskException {
        for (long s : new long[] {0, 1, sc / 2, sc - 1, sc}) {
            assertEquals(null, outcome("read [" + s + ", +0)", () -> subject.read(buffer, BYTES, s, 0)),
                    () -> subject + ": zero-length read at " + s);
            String what = "write [" + s + ", +0)";
            expectUnchanged(what, () -> {
                DiskError e = outcome(what, () -> subject.write(buffer, BYTES, s, 0));
                assertEquals(subject.writable() ? null : DiskError.READ_ONLY, e, () -> subject + ": " + what);
            });
            String unmap = "unmap [" + s + ", +0)";
            expectUnchanged(unmap, () -> {
                DiskError e = outcome(unmap, () -> subject.unmap(s, 0));
                assertEquals(subject.writable() ? null : DiskError.READ_ONLY, e, () -> subject + ": " + unmap);
            });
        }
    }

    @Test
    void zeroLengthRequestsOutsideTheSubjectSucceedOrFailWithIllegalBlock() throws DiskException {
        for (long s : new long[] {-1, sc + 1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40}) {
            DiskError read = outcome("read [" + s + ", +0)", () -> subject.read(buffer, BYTES, s, 0));
            assertTrue(read == null || read == DiskError.ILLEGAL_BLOCK, () -> subject + ": zero-length read at " + s + ": " + read);
            String what = "write [" + s + ", +0)";
            expectUnchanged(what, () -> {
                DiskError e = outcome(what, () -> subject.write(buffer, BYTES, s, 0));
                assertTrue(e == null || e == DiskError.ILLEGAL_BLOCK || (!subject.writable() && e == DiskError.READ_ONLY),
                        () -> subject + ": " + what + ": " + e);
                DiskError u = outcome("unmap", () -> subject.unmap(s, 0));
                assertTrue(u == null || u == DiskError.ILLEGAL_BLOCK || (!subject.writable() && u == DiskError.READ_ONLY),
                        () -> subject + ": unmap [" + s + ", +0): " + u);
            });
        }
    }

    /**
     * For a read-only subject, the write and unmap a test would make must fail with READ_ONLY and
     * change nothing; returns false for a writable subject, which runs the test proper.
     */
    private boolean readOnlyRefuses(long sector, int count) throws DiskException {
        if (subject.writable()) {
            return false;
        }
        byte[] data = SectorPattern.sectors(sector, count, 9, ss);
        expectUnchanged("write and unmap of a read-only subject", () -> {
            assertEquals(DiskError.READ_ONLY, outcome("write", () -> subject.write(data, BYTES, sector, count)),
                    () -> subject + ": write [" + sector + ", +" + count + ")");
            assertEquals(DiskError.READ_ONLY, outcome("unmap", () -> subject.unmap(sector, count)),
                    () -> subject + ": unmap [" + sector + ", +" + count + ")");
        });
        return true;
    }

    @Test
    void theFirstAndLastSectorsAndTheWholeSubjectAreInRange() throws DiskException {
        subject.read(buffer, BYTES, 0, 1);
        subject.read(buffer, BYTES, sc - 1, 1);
        subject.read(buffer, BYTES, 0, (int) sc);
        if (readOnlyRefuses(sc - 1, 1)) {
            return;
        }
        byte[] last = SectorPattern.sectors(sc - 1, 1, 5, ss);
        subject.write(last, BYTES, sc - 1, 1);
        byte[] first = SectorPattern.sectors(0, 1, 6, ss);
        subject.write(first, BYTES, 0, 1);
        byte[] all = subject.contents();
        SectorPattern.check(all, 0, ss, 0, 6, ss);
        SectorPattern.check(all, SIZE - ss, ss, SIZE - ss, 5, ss);
        subject.unmap(0, sc);
        SectorPattern.checkZeros(subject.contents(), 0, SIZE, 0, ss);
    }

    @Test
    void writtenSectorsReadBackAndTheirNeighboursKeepTheirData() throws DiskException {
        if (readOnlyRefuses(sc / 2 - 5, 10)) {
            return;
        }
        byte[] before = subject.contents();
        long sector = sc / 2 - 5;
        int count = 10 + (int) (2 * (1 << 16) / ss);
        subject.write(SectorPattern.sectors(sector, count, 7, ss), BYTES, sector, count);
        byte[] after = subject.contents();
        int from = (int) (sector * ss);
        int to = from + count * ss;
        SectorPattern.check(after, from, to - from, from, 7, ss);
        SectorPattern.checkEquals(after, 0, before, 0, from, 0, ss);
        SectorPattern.checkEquals(after, to, before, to, SIZE - to, to, ss);
        subject.read(buffer, BYTES, sector, count);
        SectorPattern.check(buffer, 0, count * ss, from, 7, ss);
    }

    @Test
    void unmappedSectorsReadZerosAndTheirNeighboursKeepTheirData() throws DiskException {
        if (readOnlyRefuses(3, (int) sc - 7)) {
            return;
        }
        subject.write(SectorPattern.sectors(0, (int) sc, 3, ss), BYTES, 0, (int) sc);
        long sector = 3;
        long count = sc - 7;
        subject.unmap(sector, count);
        byte[] after = subject.contents();
        int from = (int) (sector * ss);
        int to = (int) ((sector + count) * ss);
        SectorPattern.check(after, 0, from, 0, 3, ss);
        SectorPattern.checkZeros(after, from, to - from, from, ss);
        SectorPattern.check(after, to, SIZE - to, to, 3, ss);
    }

    @Test
    void aWriteTheBudgetCannotHoldFailsWithNoSpaceAndChangesNothing() throws DiskException {
        if (readOnlyRefuses(sc / 2 + 3, 2)) {
            return;
        }
        assumeTrue(subject.usesBudget(), "every writable subject here draws from the budget");
        long eaten = budget.available() - RamLayer.CHUNK_BYTES / 2;
        assertTrue(budget.tryReserve(eaten));
        try {
            long sector = sc / 2 + 3;
            int count = (int) (RamLayer.CHUNK_BYTES / ss) + 2;
            byte[] data = SectorPattern.sectors(sector, count, 4, ss);
            expectUnchanged("write beyond the budget", () -> assertEquals(DiskError.NO_SPACE, outcome("write", () -> subject.write(data, BYTES, sector, count)),
                            () -> subject + ": a write beyond the budget"));
            budget.release(eaten);
            eaten = 0;
            subject.write(data, BYTES, sector, count);
            byte[] after = subject.contents();
            SectorPattern.check(after, (int) (sector * ss), count * ss, sector * ss, 4, ss);
        } finally {
            budget.release(eaten);
        }
    }

    /**
     * The fuzz oracle of upstream's {@code disk_layered}: thousands of seeded requests mixing edge
     * values; an in-range request must succeed and return the right data, an out-of-range one
     * must fail with ILLEGAL_BLOCK and change nothing.
     */
    @Test
    void arbitraryRequestsSucceedInRangeAndFailWithIllegalBlockOutside() throws DiskException {
        long seed = 0x5eed_0000L + getClass().getSimpleName().hashCode();
        Random rnd = new Random(seed);
        byte[] model = subject.contents();
        long[] edges = {0, 1, 2, -1, -2, sc - 1, sc, sc + 1, sc / 2, Long.MAX_VALUE, Long.MIN_VALUE,
            Long.MAX_VALUE - sc, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32, -(1L << 32)};
        for (int op = 0; op < 1500; op++) {
            long sector = rnd.nextInt(3) == 0 ? edges[rnd.nextInt(edges.length)] : rnd.nextLong(sc + 2);
            long count = switch (rnd.nextInt(4)) {
                case 0 -> edges[rnd.nextInt(edges.length)];
                default -> rnd.nextInt(300);
            };
            int icount = (int) count;
            String what = "seed " + seed + ", op " + op + ": ";
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    String req = what + "read [" + sector + ", +" + icount + ")";
                    DiskError e = outcome(req, () -> subject.read(buffer, BYTES, sector, icount));
                    if (inRange(sector, icount, sc)) {
                        assertEquals(null, e, () -> subject + ": " + req);
                        String m = SectorPattern.mismatch(buffer, 0, model, (int) (sector * ss), icount * ss, sector * ss, ss);
                        if (m != null) {
                            fail(subject + ": " + req + ": " + m);
                        }
                    } else if (icount != 0) {
                        assertEquals(DiskError.ILLEGAL_BLOCK, e, () -> subject + ": " + req);
                    }
                }
                case 1 -> {
                    String req = what + "write [" + sector + ", +" + icount + ")";
                    boolean ok = inRange(sector, icount, sc);
                    byte[] data = ok ? SectorPattern.sectors(sector, icount, 1 + rnd.nextInt(200), ss) : buffer;
                    DiskError e = outcome(req, () -> subject.write(data, BYTES, sector, icount));
                    if (!subject.writable()) {
                        assertTrue(e == DiskError.READ_ONLY || (!ok && e == DiskError.ILLEGAL_BLOCK), () -> subject + ": " + req + ": " + e);
                    } else if (ok) {
                        assertEquals(null, e, () -> subject + ": " + req);
                        System.arraycopy(data, 0, model, (int) (sector * ss), icount * ss);
                    } else if (icount != 0) {
                        assertEquals(DiskError.ILLEGAL_BLOCK, e, () -> subject + ": " + req);
                    }
                }
                default -> {
                    String req = what + "unmap [" + sector + ", +" + count + ")";
                    boolean ok = inRange(sector, count, sc);
                    DiskError e = outcome(req, () -> subject.unmap(sector, count));
                    if (!subject.writable()) {
                        assertTrue(e == DiskError.READ_ONLY || (!ok && e == DiskError.ILLEGAL_BLOCK), () -> subject + ": " + req + ": " + e);
                    } else if (ok) {
                        assertEquals(null, e, () -> subject + ": " + req);
                        java.util.Arrays.fill(model, (int) (sector * ss), (int) ((sector + count) * ss), (byte) 0);
                    } else if (count != 0) {
                        assertEquals(DiskError.ILLEGAL_BLOCK, e, () -> subject + ": " + req);
                    }
                }
            }
            if (op % 100 == 99) {
                String m = SectorPattern.mismatch(subject.contents(), 0, model, 0, SIZE, 0, ss);
                if (m != null) {
                    fail(subject + ": seed " + seed + ", after op " + op + ": " + m);
                }
            }
        }
        assertArrayEquals(model, subject.contents());
    }
}
