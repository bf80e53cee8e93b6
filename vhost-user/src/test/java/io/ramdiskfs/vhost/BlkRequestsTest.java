package io.ramdiskfs.vhost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ramdiskfs.disk.SectorPattern;
import io.ramdiskfs.vhost.FakeGuest.Buf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** virtio-blk requests through a split ring in a fake guest's memory, against a RAM disk. */
class BlkRequestsTest {
    static final int DISK = 1 << 20;
    final FakeGuest guest = new FakeGuest(128, 2 << 20);
    final TestDisk disk = new TestDisk("disk0", DISK);

    @AfterEach
    void close() {
        guest.close();
        disk.disk().close();
    }

    Device device(boolean eventIdx, boolean readOnly) throws RingException {
        return new Device(guest.queue(eventIdx), new BlkRequests(disk, readOnly));
    }

    /** OUT of {@code data} at {@code sector}, laid out as Linux does: header, data, status. */
    long out(long sector, byte[] data, boolean indirect) {
        long h = guest.header(BlkProtocol.T_OUT, sector);
        long d = guest.alloc(data.length);
        guest.put(d, data);
        long s = guest.alloc(1, (byte) 0x55);
        guest.submit(List.of(new Buf(h, 16, false), new Buf(d, data.length, false), new Buf(s, 1, true)), indirect);
        return s;
    }

    /** IN of {@code length} bytes at {@code sector}: returns {data, status} guest addresses. */
    long[] in(long sector, int length, boolean indirect) {
        long h = guest.header(BlkProtocol.T_IN, sector);
        long d = guest.alloc(length, (byte) 0x77);
        long s = guest.alloc(1, (byte) 0x55);
        guest.submit(List.of(new Buf(h, 16, false), new Buf(d, length, true), new Buf(s, 1, true)), indirect);
        return new long[] {d, s};
    }

    @Test
    void writeThenReadBackDirectAndIndirect() throws Exception {
        Device dev = device(true, false);
        byte[] pattern = SectorPattern.bytes(8 * 512, 64 * 1024, 1);
        long s1 = out(8, pattern, false);
        long s2 = out(8 + 128, SectorPattern.bytes((8 + 128) * 512, 4096, 2), true);
        assertEquals(2, dev.drain());
        assertEquals(BlkProtocol.S_OK, guest.status(s1));
        assertEquals(BlkProtocol.S_OK, guest.status(s2));
        assertEquals(2, guest.usedIdx());
        assertEquals(1, guest.usedLen(0), "used length = writable bytes (the status byte)");

        long[] r1 = in(8, 64 * 1024, true);
        long[] r2 = in(8 + 128, 4096, false);
        assertEquals(2, dev.drain());
        assertEquals(BlkProtocol.S_OK, guest.status(r1[1]));
        assertEquals(BlkProtocol.S_OK, guest.status(r2[1]));
        SectorPattern.check(guest.get(r1[0], 64 * 1024), 8 * 512, 1);
        SectorPattern.check(guest.get(r2[0], 4096), (8 + 128) * 512, 2);
        assertEquals(64 * 1024 + 1, guest.usedLen(2));
        assertEquals(2L, disk.io().writes().snapshot().operations(), "vhost-user writes count like file writes");
    }

    @Test
    void qtestLayoutHeaderWithDataAndDataWithStatus() throws Exception {
        Device dev = device(false, false);
        // qemu's qtest: one 528-byte readable buffer (header + sector), one 513-byte writable one.
        long req = guest.alloc(528);
        guest.put(req, new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0});
        guest.put(req + 16, SectorPattern.bytes(3 * 512, 512, 7));
        long st = guest.alloc(1);
        guest.submit(List.of(new Buf(req, 528, false), new Buf(st, 1, true)), false);
        long rq = guest.header(BlkProtocol.T_IN, 3);
        long back = guest.alloc(513, (byte) 0x99);
        guest.submit(List.of(new Buf(rq, 16, false), new Buf(back, 513, true)), false);
        assertEquals(2, dev.drain());
        assertEquals(BlkProtocol.S_OK, guest.status(st));
        byte[] got = guest.get(back, 513);
        SectorPattern.check(Arrays.copyOf(got, 512), 3 * 512, 7);
        assertEquals(BlkProtocol.S_OK, got[512], "status in the last byte of the data buffer");
    }

    @Test
    void badRequestsGetUnsuppOrIoerr() throws Exception {
        Device dev = device(true, false);
        long total = DISK / 512;
        long unknown = status(BlkProtocol.T_OUT + 100, 0, 512);
        long past = status(BlkProtocol.T_OUT, total, 512);
        long straddle = status(BlkProtocol.T_IN, total - 1, 1024);
        long huge = status(BlkProtocol.T_IN, 0xffff_ffff_ffff_fff0L, 512);
        long odd = status(BlkProtocol.T_IN, 0, 100);
        long twoSegments = zeroes(BlkProtocol.T_DISCARD, 2, 0, 8, 0);
        long discardUnmap = zeroes(BlkProtocol.T_DISCARD, 1, 0, 8, BlkProtocol.SEGMENT_FLAG_UNMAP);
        long badFlags = zeroes(BlkProtocol.T_WRITE_ZEROES, 1, 0, 8, 6);
        long zeroesPast = zeroes(BlkProtocol.T_WRITE_ZEROES, 1, total - 4, 8, 0);
        assertEquals(9, dev.drain());
        assertEquals(BlkProtocol.S_UNSUPP, guest.status(unknown), "unknown type");
        assertEquals(BlkProtocol.S_IOERR, guest.status(past), "write at the end");
        assertEquals(BlkProtocol.S_IOERR, guest.status(straddle), "read across the end");
        assertEquals(BlkProtocol.S_IOERR, guest.status(huge), "sector that overflows");
        assertEquals(BlkProtocol.S_IOERR, guest.status(odd), "length not whole sectors");
        assertEquals(BlkProtocol.S_UNSUPP, guest.status(twoSegments), "two discard segments");
        assertEquals(BlkProtocol.S_UNSUPP, guest.status(discardUnmap), "discard with the unmap flag");
        assertEquals(BlkProtocol.S_UNSUPP, guest.status(badFlags), "reserved write-zeroes flags");
        assertEquals(BlkProtocol.S_IOERR, guest.status(zeroesPast), "write-zeroes across the end");
    }

    /** A data request of {@code type}; its status address. */
    long status(int type, long sector, int length) {
        long h = guest.header(type, sector);
        long d = guest.alloc(length);
        long s = guest.alloc(1, (byte) 0x55);
        boolean w = type != BlkProtocol.T_OUT;
        guest.submit(List.of(new Buf(h, 16, false), new Buf(d, length, w), new Buf(s, 1, true)), false);
        return s;
    }

    long zeroes(int type, int segments, long sector, int count, int flags) {
        long h = guest.header(type, 0);
        long seg = guest.alloc(16 * segments);
        for (int i = 0; i < segments; i++) {
            byte[] b = new byte[16];
            java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(sector).putInt(count).putInt(flags);
            guest.put(seg + 16L * i, b);
        }
        long s = guest.alloc(1, (byte) 0x55);
        guest.submit(List.of(new Buf(h, 16, false), new Buf(seg, 16 * segments, false), new Buf(s, 1, true)), false);
        return s;
    }

    @Test
    void discardAndWriteZeroesGiveMemoryBack() throws Exception {
        Device dev = device(true, false);
        out(0, SectorPattern.bytes(0, 512 * 1024, 3), false);
        dev.drain();
        long before = disk.disk().committedBytes();
        long d = zeroes(BlkProtocol.T_DISCARD, 1, 0, 256, 0);
        long z = zeroes(BlkProtocol.T_WRITE_ZEROES, 1, 256, 256, BlkProtocol.SEGMENT_FLAG_UNMAP);
        assertEquals(2, dev.drain());
        assertEquals(BlkProtocol.S_OK, guest.status(d));
        assertEquals(BlkProtocol.S_OK, guest.status(z));
        long after = disk.disk().committedBytes();
        assertTrue(after <= before - 256 * 1024, "committed bytes " + before + " -> " + after + " after zeroing 256 KiB");
        long[] r = in(0, 512 * 1024, false);
        dev.drain();
        byte[] got = guest.get(r[0], 512 * 1024);
        SectorPattern.checkZeros(got, 0, 256 * 1024, 0, 512);
        SectorPattern.check(got, 256 * 1024, 256 * 1024, 256 * 1024, 3, 512);
    }

    @Test
    void getIdAnswersTheDiskName() throws Exception {
        Device dev = device(false, false);
        long h = guest.header(BlkProtocol.T_GET_ID, 0);
        long id = guest.alloc(20, (byte) 0x7e);
        long s = guest.alloc(1);
        guest.submit(List.of(new Buf(h, 16, false), new Buf(id, 20, true), new Buf(s, 1, true)), false);
        dev.drain();
        assertEquals(BlkProtocol.S_OK, guest.status(s));
        byte[] expected = Arrays.copyOf("disk0".getBytes(StandardCharsets.UTF_8), 20);
        assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(guest.get(id, 20), StandardCharsets.ISO_8859_1));
    }

    @Test
    void readOnlyDeviceRefusesWritesAndKeepsTheDisk() throws Exception {
        Device dev = device(false, true);
        long s = out(0, SectorPattern.bytes(0, 4096, 9), false);
        long z = zeroes(BlkProtocol.T_WRITE_ZEROES, 1, 0, 8, 0);
        dev.drain();
        assertEquals(BlkProtocol.S_IOERR, guest.status(s));
        assertEquals(BlkProtocol.S_IOERR, guest.status(z));
        assertEquals(0, disk.disk().committedBytes());
    }

    /** The budget full: that request fails with IOERR, nothing of it lands, the queue goes on serving. */
    @Test
    void aWritePastTheBudgetIsAnIoErrorOnThatRequestOnly() throws Exception {
        TestDisk small = new TestDisk("small", DISK, 512, false, new io.ramdiskfs.disk.MemoryBudget(128 * 1024));
        try {
            Device dev = new Device(guest.queue(true), new BlkRequests(small, false));
            long fits = out(0, SectorPattern.bytes(0, 128 * 1024, 4), false);
            long over = out(1024, SectorPattern.bytes(1024 * 512, 64 * 1024, 5), false);
            long[] back = in(0, 128 * 1024, false);
            assertEquals(3, dev.drain());
            assertEquals(BlkProtocol.S_OK, guest.status(fits));
            assertEquals(BlkProtocol.S_IOERR, guest.status(over), "ENOSPC reaches the guest as an I/O error");
            assertEquals(BlkProtocol.S_OK, guest.status(back[1]), "the next request is served");
            SectorPattern.check(guest.get(back[0], 128 * 1024), 0, 4);
            assertEquals(128 * 1024, small.disk().committedBytes(), "nothing of the refused write is in RAM");
        } finally {
            small.disk().close();
        }
    }

    @Test
    void fourKibSectorDisk() throws Exception {
        TestDisk d4 = new TestDisk("d4k", DISK, 4096, false);
        try {
            Device dev = new Device(guest.queue(true), new BlkRequests(d4, false));
            long h = guest.header(BlkProtocol.T_OUT, 8);
            long d = guest.alloc(8192);
            guest.put(d, SectorPattern.bytes(4096, 8192, 4));
            long s = guest.alloc(1);
            guest.submit(List.of(new Buf(h, 16, false), new Buf(d, 8192, false), new Buf(s, 1, true)), false);
            long misaligned = status(BlkProtocol.T_IN, 1, 4096);
            dev.drain();
            assertEquals(BlkProtocol.S_OK, guest.status(s));
            assertEquals(BlkProtocol.S_IOERR, guest.status(misaligned), "sector 1 is not on a 4 KiB block");
            byte[] back = new byte[8192];
            d4.disk().bytes().read(4096, back, io.ramdiskfs.disk.NativeMemory.BYTE_ARRAY_BASE, 8192);
            SectorPattern.check(back, 4096, 4);
        } finally {
            d4.disk().close();
        }
    }

    @Test
    void brokenChainsComeBackWithoutStatusAndBadBuffersWithIoerr() throws Exception {
        Device dev = device(false, false);
        // A loop: descriptor 0 -> 1 -> 0.
        long h = guest.header(BlkProtocol.T_OUT, 0);
        FakeGuest.putDesc(guest.descAt(0), h, 16, SplitQueue.F_NEXT, 1);
        FakeGuest.putDesc(guest.descAt(1), h, 16, SplitQueue.F_NEXT, 0);
        guest.makeAvailable(0);
        // A data buffer outside guest memory, with a good status byte.
        long h2 = guest.header(BlkProtocol.T_IN, 0);
        long s2 = guest.alloc(1, (byte) 0x55);
        FakeGuest.putDesc(guest.descAt(2), h2, 16, SplitQueue.F_NEXT, 3);
        FakeGuest.putDesc(guest.descAt(3), 0x10, 512, SplitQueue.F_NEXT | SplitQueue.F_WRITE, 4);
        FakeGuest.putDesc(guest.descAt(4), s2, 1, SplitQueue.F_WRITE, 0);
        guest.makeAvailable(2);
        assertEquals(2, dev.drain());
        assertEquals(0, guest.usedId(0));
        assertEquals(0, guest.usedLen(0), "a loop has no status byte to trust");
        assertEquals(2, guest.usedId(1));
        assertEquals(BlkProtocol.S_IOERR, guest.status(s2));
    }

    @Test
    void impossibleAvailIndexStopsTheQueue() throws Exception {
        Device dev = device(false, false);
        io.ramdiskfs.disk.NativeMemory.putShort(guest.host + guest.availAt + 2, (short) 500);
        assertThrows(RingException.class, dev::drain);
        guest.reset();
        Device dev2 = device(false, false);
        guest.makeAvailable(200);
        RingException e = assertThrows(RingException.class, dev2::drain);
        assertTrue(e.getMessage().contains("head 200"), e.getMessage());
    }

    @Test
    void eventIndexSuppressesNotifications() throws Exception {
        Device dev = device(true, false);
        out(0, new byte[512], false);
        dev.drain();
        assertEquals(1, dev.notifications, "the first completion always notifies");
        assertEquals(1, guest.availEvent(), "avail_event follows the last popped index");
        // The guest wants an interrupt only when used passes 5.
        guest.setUsedEvent(5);
        out(1, new byte[512], false);
        dev.drain();
        assertEquals(1, dev.notifications, "used 2 has not passed used_event 5");
        for (int i = 0; i < 4; i++) {
            out(2 + i, new byte[512], false);
        }
        dev.drain();
        assertEquals(2, dev.notifications, "used 6 passed used_event 5");
    }

    @Test
    void ringsOutsideMemoryAreRefused() {
        MemoryTable t = guest.table();
        assertThrows(RingException.class, () -> new SplitQueue(t, 128, FakeGuest.QVA_BASE + guest.memBytes - 16,
                FakeGuest.QVA_BASE, FakeGuest.QVA_BASE + 4096, 0, false));
        assertThrows(RingException.class, () -> new SplitQueue(t, 100, FakeGuest.QVA_BASE, FakeGuest.QVA_BASE + 4096,
                FakeGuest.QVA_BASE + 8192, 0, false));
        assertNull(null);
    }
}
