package io.ramdiskfs.vhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.vhost.FakeGuest.Buf;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A hostile guest: valid requests, then a seeded mutator over the rings, descriptors, indirect
 * tables, headers, discard segments and lengths, then the device drains. Oracles:
 * <ul>
 *   <li>no exception escapes but the one that stops a queue (RingException), and no request ends
 *       in an exception the request code did not expect;
 *   <li>no byte of guest memory's neighbours changes (canaries on both sides);
 *   <li>no byte of the disk below the lowest sector any request could name changes. Every data
 *       byte the guest or the disk holds has its high bit set, and every header carries 0xff in its
 *       reserved word, so the only small 8-byte values in guest memory are the sectors the test put
 *       there and what the mutator wrote; the lowest unsigned 8-byte value at any offset, before
 *       and after the drain, bounds from below every sector a request could have written.
 * </ul>
 */
class HostileGuestFuzzTest {
    static final int DISK = 4 << 20;
    static final long SECTORS = DISK / 512;
    static final int MEM = 512 * 1024;
    static final int QUEUE = 4096;
    static final int ITERATIONS = Integer.getInteger("vhost.fuzz.iterations", 1500);
    final FakeGuest guest = new FakeGuest(QUEUE, MEM, QUEUE / 2);
    final TestDisk disk = new TestDisk("fuzz-disk-0123456789", DISK);
    final byte[] reference = new byte[DISK];
    final byte[] now = new byte[DISK];

    @AfterEach
    void close() {
        guest.close();
        disk.disk().close();
    }

    @Test
    void mutatedRingsNeverEscapeTheirRequests() throws Exception {
        SplittableRandom seed = new SplittableRandom(0x5eed_2226L);
        // Disk bytes all have their high bit set too: an IN copies only such bytes into the guest.
        for (int i = 0; i < DISK; i++) {
            reference[i] = (byte) (0x80 | seed.nextInt(128));
        }
        disk.disk().bytes().write(0, reference, NativeMemory.BYTE_ARRAY_BASE, DISK);
        guest.ioprio = -1;
        guest.gaps = true;
        int guarded = 0;
        int ringErrors = 0;
        for (int it = 0; it < ITERATIONS; it++) {
            long s = seed.nextLong();
            SplittableRandom r = new SplittableRandom(s);
            guest.fill((byte) 0xff);
            List<int[]> chains = build(r);
            int mutations = 1 + r.nextInt(4);
            for (int m = 0; m < mutations; m++) {
                mutate(r, chains);
            }
            long low = lowestValue();
            long lowBefore = low;
            Device dev = new Device(guest.queue(r.nextBoolean()), new BlkRequests(disk, false));
            try {
                dev.drain();
            } catch (RingException e) {
                ringErrors++;
            } catch (Throwable t) {
                throw new AssertionError("iteration " + it + " (seed " + s + "): " + t, t);
            }
            assertEquals(0, dev.requests.unexpected, "iteration " + it + " (seed " + s + "): a request ended in an unexpected exception");
            long damage = guest.canaryDamage();
            if (damage != -1) {
                fail("iteration " + it + " (seed " + s + "): the device wrote outside guest memory at offset " + damage);
            }
            low = Math.min(low, lowestValue());
            long guardBytes = Long.compareUnsigned(low, SECTORS) >= 0 ? DISK : low * 512;
            disk.disk().bytes().read(0, now, NativeMemory.BYTE_ARRAY_BASE, DISK);
            for (int i = 0; i < guardBytes; i++) {
                if (now[i] != reference[i]) {
                    fail("iteration " + it + " (seed " + s + "): disk byte " + i + " (sector " + (i / 512) + ") changed from 0x"
                            + Integer.toHexString(reference[i] & 0xff) + " to 0x" + Integer.toHexString(now[i] & 0xff)
                            + ", below the lowest sector any request named, " + low);
                }
            }
            if (guardBytes >= DISK / 4) {
                guarded++;
            }
            if (Boolean.getBoolean("vhost.fuzz.trace")) {
                System.out.println("it " + it + " before " + Long.toUnsignedString(lowBefore) + " after " + Long.toUnsignedString(low)
                        + " at " + lowestAt + " (avail " + guest.availAt + ", used " + guest.usedAt + ", indirect " + guest.indirectArea + ")");
            }
            // Back to all high-bit bytes, so that no later IN copies zeros a discard left into the guest.
            disk.disk().bytes().write(0, reference, NativeMemory.BYTE_ARRAY_BASE, DISK);
        }
        assertTrue(guarded > ITERATIONS / 2, "only " + guarded + " of " + ITERATIONS + " iterations guarded a quarter of the disk");
        assertTrue(ringErrors > 0 && ringErrors < ITERATIONS, ringErrors + " of " + ITERATIONS + " iterations broke the ring");
    }

    /** The lowest unsigned little-endian 8-byte value at any offset of guest memory. */
    int lowestAt;

    long lowestValue() {
        long min = -1;
        for (int i = 0; i + 8 <= MEM; i++) {
            long v = NativeMemory.getLong(guest.host + i);
            if (Long.compareUnsigned(v, min) < 0) {
                min = v;
                lowestAt = i;
            }
        }
        return min;
    }

    /** Valid requests in the disk's upper half; each entry: {headerGpaLow, segmentGpaLow or -1, type}. */
    List<int[]> build(SplittableRandom r) {
        List<int[]> made = new ArrayList<>();
        int n = 1 + r.nextInt(8);
        for (int k = 0; k < n; k++) {
            int type = switch (r.nextInt(6)) {
                case 0 -> BlkProtocol.T_IN;
                case 1 -> BlkProtocol.T_FLUSH;
                case 2 -> BlkProtocol.T_GET_ID;
                case 3 -> BlkProtocol.T_DISCARD;
                case 4 -> BlkProtocol.T_WRITE_ZEROES;
                default -> BlkProtocol.T_OUT;
            };
            int sectors = 1 + r.nextInt(16);
            long sector = SECTORS / 2 + r.nextInt((int) (SECTORS / 2) - 16);
            long h = guest.header(type, type == BlkProtocol.T_DISCARD || type == BlkProtocol.T_WRITE_ZEROES ? -1 : sector);
            List<Buf> bufs = new ArrayList<>();
            bufs.add(new Buf(h, 16, false));
            long seg = -1;
            switch (type) {
                case BlkProtocol.T_OUT -> {
                    long d = guest.alloc(sectors * 512, (byte) (0x80 | r.nextInt(128)));
                    bufs.add(new Buf(d, sectors * 512, false));
                }
                case BlkProtocol.T_IN -> bufs.add(new Buf(guest.alloc(sectors * 512, (byte) 0xff), sectors * 512, true));
                case BlkProtocol.T_GET_ID -> bufs.add(new Buf(guest.alloc(20, (byte) 0xff), 20, true));
                case BlkProtocol.T_DISCARD, BlkProtocol.T_WRITE_ZEROES -> {
                    seg = guest.alloc(16, (byte) 0xff);
                    long hs = guest.hostOf(seg);
                    NativeMemory.putLong(hs, sector);
                    // Counts of 1024 and more keep the count word from reading as a small sector.
                    NativeMemory.putInt(hs + 8, 1024 + r.nextInt(1024));
                    NativeMemory.putInt(hs + 12, type == BlkProtocol.T_WRITE_ZEROES ? 0x100 * r.nextInt(2) + 1 : 0x100);
                    bufs.add(new Buf(seg, 16, false));
                }
                default -> { }
            }
            bufs.add(new Buf(guest.alloc(1, (byte) 0xff), 1, true));
            guest.submit(bufs, r.nextBoolean());
            made.add(new int[] {(int) (h - FakeGuest.GPA_BASE), (int) (seg - FakeGuest.GPA_BASE), type});
        }
        return made;
    }

    void mutate(SplittableRandom r, List<int[]> chains) {
        long host = guest.host;
        switch (r.nextInt(9)) {
            case 0 -> NativeMemory.putShort(host + guest.availAt + 2, (short) (r.nextBoolean() ? r.nextInt(1 << 16) : r.nextInt(80)));
            case 1 -> NativeMemory.putShort(host + guest.availAt + 4 + 2L * r.nextInt(16), (short) (r.nextBoolean() ? r.nextInt(1 << 16) : QUEUE / 2 + r.nextInt(66)));
            case 2 -> {
                // A field of a descriptor, in the queue's table or an indirect one.
                long d = r.nextBoolean() ? guest.descAt(QUEUE / 2 + r.nextInt(64))
                        : host + guest.indirectArea + 16L * r.nextInt(64);
                switch (r.nextInt(4)) {
                    case 0 -> NativeMemory.putLong(d, r.nextBoolean() ? r.nextLong()
                            : FakeGuest.GPA_BASE + r.nextInt(MEM + 64) - 32);
                    case 1 -> NativeMemory.putInt(d + 8, switch (r.nextInt(4)) {
                        case 0 -> 0;
                        case 1 -> r.nextInt();
                        case 2 -> MEM + r.nextInt(64);
                        default -> NativeMemory.getInt(d + 8) + r.nextInt(-3, 4);
                    });
                    case 2 -> NativeMemory.putShort(d + 12, (short) r.nextInt(8));
                    default -> NativeMemory.putShort(d + 14, (short) (r.nextBoolean() ? r.nextInt(1 << 16) : QUEUE / 2 + r.nextInt(65)));
                }
            }
            case 3, 4 -> {
                int[] c = chains.get(r.nextInt(chains.size()));
                long h = host + c[0];
                if (r.nextBoolean()) {
                    NativeMemory.putInt(h, new int[] {0, 1, 4, 8, 11, 13, 2, 100, -1}[r.nextInt(9)]);
                } else {
                    NativeMemory.putLong(h + 8, r.nextBoolean() ? r.nextLong() : SECTORS - r.nextInt(32));
                }
            }
            case 5 -> {
                int[] c = chains.get(r.nextInt(chains.size()));
                if (c[1] >= 0) {
                    long s = host + c[1];
                    switch (r.nextInt(3)) {
                        case 0 -> NativeMemory.putLong(s, r.nextBoolean() ? r.nextLong() : SECTORS - r.nextInt(4096));
                        case 1 -> NativeMemory.putInt(s + 8, r.nextInt());
                        default -> NativeMemory.putInt(s + 12, r.nextInt(4));
                    }
                }
            }
            case 6 -> NativeMemory.putShort(host + guest.availAt + 4 + 2L * guest.size, (short) r.nextInt(1 << 16));
            case 7 -> {
                // A loop: some descriptor's next points back at a head.
                long d = guest.descAt(QUEUE / 2 + r.nextInt(64));
                NativeMemory.putShort(d + 12, (short) (NativeMemory.getShort(d + 12) | SplitQueue.F_NEXT));
                NativeMemory.putShort(d + 14, (short) (QUEUE / 2 + r.nextInt(8)));
            }
            default -> NativeMemory.putByte(host + r.nextInt(guest.dataArea), (byte) r.nextInt(256));
        }
    }
}
