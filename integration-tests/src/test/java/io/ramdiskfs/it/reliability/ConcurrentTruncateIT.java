package io.ramdiskfs.it.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.nio.file.ExtendedOpenOption;
import io.ramdiskfs.it.support.CliProcess;
import io.ramdiskfs.it.support.Cmd;
import io.ramdiskfs.it.support.MountInfo;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Writers, readers and a truncater on one disk at once, all through O_DIRECT so that every byte
 * goes to ramdiskfs and back. Writers put self-describing patterns ({@link SectorPatterns}) in
 * 4 KiB..64 KiB pieces anywhere in [0, 4 MiB), growing the disk when they land past its end; the
 * truncater shrinks and grows it to random sector multiples (ftruncate). Every operation's start
 * and end time is logged.
 *
 * <ul>
 *   <li>During the run, every 8-byte word a reader sees is zero or a word that a logged write put
 *       at exactly that place (bytewise, if a word is torn).</li>
 *   <li>Afterwards, every sector is wholly zero or wholly one write's pattern, and a possible last
 *       value: pattern T only if no write of that sector and no truncate below it started after
 *       T had ended; zero only if the sector was never written, or some truncate below it ended
 *       after every write of it had started.</li>
 *   <li>Nothing hangs: the run has a deadline; past it the failure carries ramdiskfs's threads.</li>
 * </ul>
 */
@RequiresFuse(tools = "jcmd")
class ConcurrentTruncateIT {
    static final int SECTOR = SectorPatterns.SECTOR;
    static final int BLOCK = 4096; // O_DIRECT alignment
    static final long MAX_BYTES = 4L << 20;
    static final int MAX_SECTORS = (int) (MAX_BYTES / SECTOR);
    static final Duration RUN = Duration.ofSeconds(15);
    static final Duration HANG = Duration.ofSeconds(45);
    static final int WRITERS = 3;
    static final int READERS = 2;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    /** One write: sectors [first, first + count), tagged; end is set once it returned. */
    static final class WriteOp {
        final long tag;
        final int first;
        final int count;
        final long start;
        volatile long end = Long.MAX_VALUE;

        WriteOp(long tag, int first, int count, long start) {
            this.tag = tag;
            this.first = first;
            this.count = count;
            this.start = start;
        }

        boolean covers(long sector) {
            return sector >= first && sector < first + count;
        }
    }

    /** One ftruncate to {@code sectors}: every sector at or past it reads zero afterwards until rewritten. */
    record Cut(int sectors, long start, long end) {}

    final AtomicLong tags = new AtomicLong(1);
    final Map<Long, WriteOp> writes = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<Cut> cuts = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> readerMismatches = new ConcurrentLinkedQueue<>();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong wordsChecked = new AtomicLong();

    @Test
    void writesReadsAndTruncatesAtOnceNeverHangAndLeaveOnlyPatternsOrZeros() throws Exception {
        Path mp = disks.newMountPoint();
        CliProcess rd = disks.startCliMounted(mp, "-d", "disk0=" + MAX_BYTES);
        Path disk = mp.resolve("disk0");
        long storeBlock = Files.getFileStore(disk).getBlockSize();
        assertTrue(BLOCK % storeBlock == 0, "O_DIRECT alignment " + storeBlock + " does not divide " + BLOCK);

        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS + 1);
        long deadline = System.nanoTime() + RUN.toNanos();
        List<Future<?>> workers = new ArrayList<>();
        try {
            for (int i = 0; i < WRITERS; i++) {
                int seed = i;
                workers.add(pool.submit(() -> writer(disk, deadline, seed)));
            }
            for (int i = 0; i < READERS; i++) {
                int seed = 100 + i;
                workers.add(pool.submit(() -> reader(disk, deadline, seed)));
            }
            workers.add(pool.submit(() -> truncater(disk, deadline, 200)));
            long hangDeadline = deadline + HANG.toNanos();
            for (Future<?> f : workers) {
                try {
                    f.get(Math.max(1, hangDeadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    String threads = Cmd.run("jcmd", Long.toString(rd.pid()), "Thread.print").stdout();
                    throw new AssertionError("an operation did not return " + HANG.toSeconds() + " s after the end of the run: "
                            + "ramdiskfs hangs (deadlock?). Its threads:\n" + threads + "\n" + rd.describe());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(rd.isAlive(), rd.describe());
        assertTrue(MountInfo.isLiveRamdiskfs(mp));
        assertTrue(readerMismatches.isEmpty(), readerMismatches.size() + " words read during the run were neither zero nor "
                + "a pattern written there; the first: " + readerMismatches.stream().limit(10).toList());

        String summary = checkFinalState(disk);
        System.out.println("ConcurrentTruncateIT: " + summary);
        assertTrue(writes.size() > 1000 && cuts.size() > 100 && reads.get() > 1000,
                "the run must be long and busy enough to mean something: " + summary);
    }

    private Void writer(Path disk, long deadline, int seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024 + BLOCK).alignedSlice(BLOCK);
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.WRITE, ExtendedOpenOption.DIRECT)) {
            while (System.nanoTime() < deadline) {
                int blocks = rnd.nextInt(1, 17);
                int firstBlock = rnd.nextInt(0, (int) (MAX_BYTES / BLOCK) - blocks + 1);
                int first = firstBlock * (BLOCK / SECTOR);
                int count = blocks * (BLOCK / SECTOR);
                long tag = tags.getAndIncrement();
                buf.clear();
                SectorPatterns.fill(buf, tag, first, count);
                buf.flip();
                WriteOp op = new WriteOp(tag, first, count, System.nanoTime());
                writes.put(tag, op);
                long pos = (long) first * SECTOR;
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
                op.end = System.nanoTime();
            }
        }
        return null;
    }

    private Void truncater(Path disk, long deadline, int seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            while (System.nanoTime() < deadline) {
                int sectors = rnd.nextInt(4) == 0 ? MAX_SECTORS : rnd.nextInt(0, MAX_SECTORS + 1);
                long start = System.nanoTime();
                raf.setLength((long) sectors * SECTOR);
                cuts.add(new Cut(sectors, start, System.nanoTime()));
                Thread.sleep(rnd.nextInt(0, 3));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    private Void reader(Path disk, long deadline, int seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocateDirect(128 * 1024 + BLOCK).alignedSlice(BLOCK);
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            while (System.nanoTime() < deadline) {
                int blocks = rnd.nextInt(1, 33);
                long pos = (long) rnd.nextInt(0, (int) (MAX_BYTES / BLOCK)) * BLOCK;
                buf.clear().limit(blocks * BLOCK);
                int n = Math.max(0, ch.read(buf, pos));
                reads.incrementAndGet();
                for (int off = 0; off + 8 <= n; off += 8) {
                    long at = pos + off;
                    long sector = at / SECTOR;
                    int index = (int) (at % SECTOR) / 8;
                    long word = buf.getLong(off);
                    wordsChecked.incrementAndGet();
                    long tag = SectorPatterns.tagOf(word, sector, index);
                    if (tag > 0) {
                        WriteOp op = writes.get(tag);
                        if (op == null || !op.covers(sector)) {
                            readerMismatches.add(describe(at, word, "a word of write " + tag + ", which never wrote sector " + sector));
                        }
                    } else if (tag < 0 && !bytewisePossible(word, sector, index)) {
                        readerMismatches.add(describe(at, word, "not zero and no write's word for sector " + sector + " word " + index));
                    }
                }
            }
        }
        return null;
    }

    /** A torn word: each byte zero or the byte of some write of that sector. */
    private boolean bytewisePossible(long word, long sector, int index) {
        List<Long> candidates = new ArrayList<>();
        for (WriteOp op : writes.values()) {
            if (op.covers(sector)) {
                candidates.add(SectorPatterns.word(op.tag, sector, index));
            }
        }
        for (int b = 0; b < 8; b++) {
            int shift = 56 - 8 * b;
            long got = (word >>> shift) & 0xff;
            boolean ok = got == 0;
            for (long c : candidates) {
                ok |= ((c >>> shift) & 0xff) == got;
            }
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String describe(long offset, long word, String why) {
        return String.format("offset %d: got word 0x%016x: %s", offset, word, why);
    }

    /** Reads the whole disk and checks every sector against the log; returns a summary. */
    private String checkFinalState(Path disk) throws IOException {
        long size = Files.size(disk);
        assertEquals(0, size % SECTOR, "final size " + size + " is not a whole number of sectors");
        assertTrue(size <= MAX_BYTES, "final size " + size + " is past anything written or truncated to");

        long[] lastWriteStart = new long[MAX_SECTORS];
        Arrays.fill(lastWriteStart, Long.MIN_VALUE);
        for (WriteOp op : writes.values()) {
            assertTrue(op.end != Long.MAX_VALUE, "write " + op.tag + " never returned");
            for (int s = op.first; s < op.first + op.count; s++) {
                lastWriteStart[s] = Math.max(lastWriteStart[s], op.start);
            }
        }
        long[] lastCutStart = new long[MAX_SECTORS + 1];
        long[] lastCutEnd = new long[MAX_SECTORS + 1];
        Arrays.fill(lastCutStart, Long.MIN_VALUE);
        Arrays.fill(lastCutEnd, Long.MIN_VALUE);
        for (Cut c : cuts) {
            lastCutStart[c.sectors()] = Math.max(lastCutStart[c.sectors()], c.start());
            lastCutEnd[c.sectors()] = Math.max(lastCutEnd[c.sectors()], c.end());
        }
        for (int s = 1; s <= MAX_SECTORS; s++) { // a cut at n affects every sector >= n
            lastCutStart[s] = Math.max(lastCutStart[s], lastCutStart[s - 1]);
            lastCutEnd[s] = Math.max(lastCutEnd[s], lastCutEnd[s - 1]);
        }

        List<String> mismatches = new ArrayList<>();
        Map<String, Integer> kinds = new HashMap<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024 + BLOCK).alignedSlice(BLOCK);
        try (FileChannel ch = FileChannel.open(disk, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            for (long pos = 0; pos < size; pos += 64 * 1024) {
                buf.clear();
                int n = 0;
                while (buf.hasRemaining() && n % BLOCK == 0) { // O_DIRECT reads go on from aligned places only
                    int r = ch.read(buf, pos + n);
                    if (r <= 0) {
                        break;
                    }
                    n += r;
                }
                assertEquals(Math.min(64 * 1024, size - pos), n, "bytes read at " + pos + " of a " + size + "-byte disk");
                for (int at = 0; at < n; at += SECTOR) {
                    int s = (int) ((pos + at) / SECTOR);
                    long tag = SectorPatterns.sectorTag(buf, at, s);
                    String problem = judge(s, tag, lastWriteStart, lastCutStart, lastCutEnd);
                    kinds.merge(tag == 0 ? "zero" : tag > 0 ? "pattern" : "torn", 1, Integer::sum);
                    if (problem != null) {
                        mismatches.add("sector " + s + " (offset " + (long) s * SECTOR + "): " + problem);
                    }
                }
            }
        }
        String summary = writes.size() + " writes, " + cuts.size() + " truncates, " + reads.get() + " reads (" + wordsChecked.get()
                + " words checked during the run); final size " + size + ", sectors " + kinds;
        assertTrue(mismatches.isEmpty(), mismatches.size() + " sectors hold no possible value (" + summary + "); the first:\n"
                + String.join("\n", mismatches.subList(0, Math.min(20, mismatches.size()))));
        return summary;
    }

    /** Null when {@code tag} (0 zero, -1 torn) is a possible last value of sector {@code s}, else why not. */
    private String judge(int s, long tag, long[] lastWriteStart, long[] lastCutStart, long[] lastCutEnd) {
        if (tag < 0) {
            return "expected one write's pattern or zeros, got a torn or foreign sector";
        }
        if (tag == 0) {
            if (lastWriteStart[s] == Long.MIN_VALUE || lastCutEnd[s] > lastWriteStart[s]) {
                return null;
            }
            return "got zeros, expected data: no truncate below it ended after its last write started";
        }
        WriteOp op = writes.get(tag);
        if (op == null || !op.covers(s)) {
            return "got the pattern of write " + tag + ", which never wrote this sector";
        }
        if (lastWriteStart[s] > op.end) {
            return "got the pattern of write " + tag + ", expected a newer one: another write of this sector started after it ended";
        }
        if (lastCutStart[s] > op.end) {
            return "got the pattern of write " + tag + ", expected zeros: a truncate below the sector started after it ended";
        }
        return null;
    }
}
