package io.ramdiskfs.it;

import static io.ramdiskfs.it.support.Data.KiB;
import static io.ramdiskfs.it.support.Data.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.RamDiskFs;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.ForwardingLayer;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.SectorMarker;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.it.support.Data;
import io.ramdiskfs.it.support.MountedDisks;
import io.ramdiskfs.it.support.RequiresFuse;
import io.ramdiskfs.it.support.Tools;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The init reply asks the kernel for requests of up to 1 MiB, so a 1 MiB direct read or write
 * reaches the disk as one request, not eight of 128 KiB; and reads of a RAM disk, answered with
 * the disk's own memory as the reply's iovecs, return exactly what was written, across whole,
 * partial, punched and untouched chunks.
 */
@RequiresFuse
class LargeRequestsIT {
    private static final int SECTOR = 512;

    @RegisterExtension
    final MountedDisks disks = new MountedDisks();

    @Test
    void aOneMebibyteDirectWriteOrReadIsOneRequest() throws Exception {
        Recording layer = mountRecording();
        Path disk = layer.file;

        Tools.dd("if=/dev/zero", "of=" + disk, "bs=1M", "count=4", "oflag=direct", "conv=notrunc").assertOk();
        Tools.dd("if=" + disk, "of=/dev/null", "bs=1M", "count=4", "iflag=direct").assertOk();

        assertEquals(List.of(2048, 2048, 2048, 2048), layer.writes, "sectors per write request for 4 x 1 MiB O_DIRECT");
        assertEquals(List.of(2048, 2048, 2048, 2048), layer.reads, "sectors per read request for 4 x 1 MiB O_DIRECT");
    }

    /** The control: asking for libfuse2's own 128 KiB, the kernel cuts each 1 MiB into eight. */
    @Test
    void withLibfuseRequestSizeTheKernelSendsEightPieces() throws Exception {
        System.setProperty("ramdiskfs.maxRequest", Integer.toString(128 * 1024));
        Recording layer;
        try {
            layer = mountRecording();
        } finally {
            System.clearProperty("ramdiskfs.maxRequest");
        }

        Tools.dd("if=/dev/zero", "of=" + layer.file, "bs=1M", "count=1", "oflag=direct", "conv=notrunc").assertOk();

        assertEquals(List.of(256, 256, 256, 256, 256, 256, 256, 256), layer.writes, "sectors per write request");
    }

    /**
     * A model of the disk in a byte array beside it: random writes and punches, then 300 reads
     * at random offsets and lengths up to 1.5 MiB, each compared with the model.
     */
    @Test
    void readsInPlaceReturnWhatWasWrittenWhereverTheyFall() throws Exception {
        int size = (int) (8 * MiB);
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", size));
        Path disk = fs.mountPoint().resolve("disk0");
        byte[] model = new byte[size];
        Random random = new Random(20261201);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            for (int i = 0; i < 60; i++) {
                int offset = random.nextInt(size - 1);
                int length = 1 + random.nextInt(Math.min(size - offset, (int) (300 * KiB)));
                byte[] data = Data.randomBytes(length, i);
                f.seek(offset);
                f.write(data);
                System.arraycopy(data, 0, model, offset, length);
                if (i % 3 == 2) {
                    int hole = random.nextInt(size - 1);
                    int holeLength = 1 + random.nextInt(Math.min(size - hole, (int) (200 * KiB)));
                    Tools.punchHole(disk, hole, holeLength);
                    java.util.Arrays.fill(model, hole, hole + holeLength, (byte) 0);
                }
            }
            for (int i = 0; i < 300; i++) {
                int offset = random.nextInt(size + 4096);
                int length = 1 + random.nextInt((int) (1536 * KiB));
                byte[] got = new byte[length];
                f.seek(offset);
                int n = Math.max(0, f.read(got));
                int expected = Math.max(0, Math.min(length, size - offset));
                if (n < expected) {
                    // a short read is allowed only at the end: read on
                    int more;
                    while (n < expected && (more = f.read(got, n, length - n)) > 0) {
                        n += more;
                    }
                }
                assertEquals(expected, n, "bytes read at " + offset + " +" + length);
                for (int b = 0; b < n; b++) {
                    if (got[b] != model[offset + b]) {
                        fail("read " + i + " at " + offset + " +" + length + " differs at disk byte " + (offset + b)
                                + ": " + got[b] + " where " + model[offset + b] + " was written");
                    }
                }
            }
        }
    }

    private Recording mountRecording() {
        RamDiskFs fs = disks.mount(DiskDefinition.ram("disk0", MiB));
        Recording layer = new Recording(RamLayer.create(16 * MiB, SECTOR, new MemoryBudget(64 * MiB)));
        fs.directory().add("recorded", LayeredDisk.of(layer, false), 0, 0);
        layer.file = fs.mountPoint().resolve("recorded");
        return layer;
    }

    /** A RAM layer that records the sector count of every read and write that reaches it. */
    static final class Recording extends ForwardingLayer {
        final List<Integer> reads = new CopyOnWriteArrayList<>();
        final List<Integer> writes = new CopyOnWriteArrayList<>();
        Path file;

        Recording(LayerIo ram) {
            super(ram);
        }

        @Override
        public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
            reads.add(count);
            super.read(base, offset, sector, count, marker);
        }

        @Override
        public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
            writes.add(count);
            super.write(base, offset, sector, count, fua);
        }
    }
}
