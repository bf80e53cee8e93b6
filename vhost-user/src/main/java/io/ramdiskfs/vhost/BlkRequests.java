package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.DiskBytes;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.stats.OpCounter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves virtio-blk requests on one disk: reads the request header from the chain's readable
 * buffers, moves the data once between guest memory and the disk ({@link DiskBytes} copies
 * straight from and to the host addresses of the guest's buffers), and writes the status byte.
 * Validation follows qemu-storage-daemon's: lengths in whole 512-byte sectors, ranges inside the
 * disk without overflow, one discard segment, writes to a read-only device refused. One instance
 * per queue; nothing here allocates per request.
 */
public final class BlkRequests {
    private static final Logger LOG = LoggerFactory.getLogger(BlkRequests.class);

    private final ServedDisk served;
    private final boolean readOnly;
    private final byte[] id;
    private long faults;
    /** Requests that ended in an exception nothing here expected: a bug, counted for the fuzz tests. */
    long unexpected;

    /** @param readOnly whether this device refuses writes (a read-only disk or a peer allowed only to read) */
    public BlkRequests(ServedDisk served, boolean readOnly) {
        this.served = served;
        this.readOnly = readOnly;
        byte[] name = served.name().getBytes(StandardCharsets.UTF_8);
        this.id = java.util.Arrays.copyOf(name, Math.min(name.length, BlkProtocol.ID_BYTES));
    }

    /**
     * Serves one request.
     *
     * @return the used length to report: the bytes of the writable buffers when the status byte
     *     was written, 0 when the chain had no addressable status byte
     */
    public int serve(DescriptorChain chain) {
        long status = chain.statusAddress();
        if (chain.broken() || status == 0) {
            complain(chain, chain.fault() != null ? chain.fault() : "no writable status byte at the end");
            return 0;
        }
        byte s;
        if (chain.hasBadBuffer()) {
            complain(chain, chain.fault());
            s = BlkProtocol.S_IOERR;
        } else {
            try {
                s = execute(chain);
            } catch (RuntimeException e) {
                unexpected++;
                LOG.warn("vhost-user {}: request failed: {}", served.name(), e.toString());
                s = BlkProtocol.S_IOERR;
            }
        }
        NativeMemory.putByte(status, s);
        return (int) Math.min(chain.writableBytes(), Integer.MAX_VALUE);
    }

    private void complain(DescriptorChain chain, String why) {
        // A hostile guest can make this happen on every request: the log tells of the first few only.
        if (faults++ < 10) {
            LOG.warn("vhost-user {}: request with head {} refused: {}", served.name(), chain.head(), why);
        }
    }

    private byte execute(DescriptorChain chain) {
        if (chain.readableBytes() < BlkProtocol.HEADER_BYTES) {
            return BlkProtocol.S_IOERR;
        }
        int type = (int) readable(chain, 0, 4);
        long sector = readable(chain, 8, 8);
        return switch (type) {
            case BlkProtocol.T_IN -> read(chain, sector);
            case BlkProtocol.T_OUT -> write(chain, sector);
            case BlkProtocol.T_FLUSH -> flush();
            case BlkProtocol.T_GET_ID -> getId(chain);
            case BlkProtocol.T_DISCARD, BlkProtocol.T_WRITE_ZEROES -> zero(chain, type == BlkProtocol.T_DISCARD);
            default -> BlkProtocol.S_UNSUPP;
        };
    }

    /** Whether {@code bytes} from 512-byte sector {@code sector} is a whole-sector range inside the disk. */
    private static boolean inside(LayeredDisk disk, long sector, long bytes) {
        if ((bytes & (BlkProtocol.SECTOR_BYTES - 1)) != 0) {
            return false;
        }
        long total = disk.sizeBytes() >>> BlkProtocol.SECTOR_SHIFT;
        return Long.compareUnsigned(sector, total) <= 0 && (bytes >>> BlkProtocol.SECTOR_SHIFT) <= total - sector
                && ((sector << BlkProtocol.SECTOR_SHIFT) % disk.sectorSize()) == 0;
    }

    private byte read(DescriptorChain chain, long sector) {
        LayeredDisk disk = served.disk();
        long bytes = chain.writableBytes() - 1;
        if (!inside(disk, sector, bytes)) {
            return BlkProtocol.S_IOERR;
        }
        long start = OpCounter.start();
        DiskBytes d = disk.bytes();
        long position = sector << BlkProtocol.SECTOR_SHIFT;
        long left = bytes;
        try {
            for (int i = chain.readableCount(); i < chain.count() && left > 0; i++) {
                int n = (int) Math.min(chain.length(i), left);
                if (d.read(position, null, chain.address(i), n) != n) {
                    served.io().reads().failed();
                    return BlkProtocol.S_IOERR;
                }
                position += n;
                left -= n;
            }
        } catch (DiskException e) {
            served.io().reads().failed();
            return BlkProtocol.S_IOERR;
        }
        served.io().reads().record(bytes, start);
        return BlkProtocol.S_OK;
    }

    private byte write(DescriptorChain chain, long sector) {
        if (readOnly) {
            return BlkProtocol.S_IOERR;
        }
        LayeredDisk disk = served.disk();
        long bytes = chain.readableBytes() - BlkProtocol.HEADER_BYTES;
        if (!inside(disk, sector, bytes)) {
            return BlkProtocol.S_IOERR;
        }
        long start = OpCounter.start();
        DiskBytes d = disk.bytes();
        long position = sector << BlkProtocol.SECTOR_SHIFT;
        long skip = BlkProtocol.HEADER_BYTES;
        try {
            for (int i = 0; i < chain.readableCount(); i++) {
                long at = chain.address(i);
                int n = chain.length(i);
                if (skip >= n) {
                    skip -= n;
                    continue;
                }
                at += skip;
                n -= (int) skip;
                skip = 0;
                d.write(position, null, at, n);
                position += n;
            }
        } catch (DiskException e) {
            served.io().writes().failed();
            return BlkProtocol.S_IOERR;
        }
        served.io().writes().record(bytes, start);
        return BlkProtocol.S_OK;
    }

    private byte flush() {
        try {
            served.disk().flush();
            return BlkProtocol.S_OK;
        } catch (DiskException e) {
            return BlkProtocol.S_IOERR;
        }
    }

    private byte getId(DescriptorChain chain) {
        long room = Math.min(chain.writableBytes() - 1, BlkProtocol.ID_BYTES);
        long written = 0;
        for (int i = chain.readableCount(); i < chain.count() && written < room; i++) {
            long at = chain.address(i);
            int n = (int) Math.min(chain.length(i), room - written);
            for (int k = 0; k < n; k++) {
                long b = written + k;
                NativeMemory.putByte(at + k, b < id.length ? id[(int) b] : 0);
            }
            written += n;
        }
        return BlkProtocol.S_OK;
    }

    /** DISCARD and WRITE_ZEROES: both give the range's memory back (later reads are zeros). */
    private byte zero(DescriptorChain chain, boolean discard) {
        long payload = chain.readableBytes() - BlkProtocol.HEADER_BYTES;
        if (payload < BlkProtocol.SEGMENT_BYTES || payload % BlkProtocol.SEGMENT_BYTES != 0) {
            return BlkProtocol.S_IOERR;
        }
        if (payload / BlkProtocol.SEGMENT_BYTES > BlkProtocol.MAX_DISCARD_SEGMENTS) {
            return BlkProtocol.S_UNSUPP;
        }
        long sector = readable(chain, BlkProtocol.HEADER_BYTES, 8);
        long count = readable(chain, BlkProtocol.HEADER_BYTES + 8, 4);
        int flags = (int) readable(chain, BlkProtocol.HEADER_BYTES + 12, 4);
        if ((flags & ~BlkProtocol.SEGMENT_FLAG_UNMAP) != 0 || (discard && flags != 0)) {
            return BlkProtocol.S_UNSUPP;
        }
        if (readOnly) {
            return BlkProtocol.S_IOERR;
        }
        LayeredDisk disk = served.disk();
        if (count > BlkProtocol.MAX_DISCARD_SECTORS || !inside(disk, sector, count << BlkProtocol.SECTOR_SHIFT)) {
            return BlkProtocol.S_IOERR;
        }
        long start = OpCounter.start();
        long bytes = count << BlkProtocol.SECTOR_SHIFT;
        try {
            disk.bytes().unmap(sector << BlkProtocol.SECTOR_SHIFT, bytes);
        } catch (DiskException e) {
            served.io().discards().failed();
            return BlkProtocol.S_IOERR;
        }
        served.io().discards().record(bytes, start);
        return BlkProtocol.S_OK;
    }

    /** {@code n} (&lt;= 8) little-endian bytes at byte {@code offset} of the readable buffers, read once. */
    private static long readable(DescriptorChain chain, long offset, int n) {
        long value = 0;
        int got = 0;
        long skip = offset;
        for (int i = 0; i < chain.readableCount() && got < n; i++) {
            int len = chain.length(i);
            if (skip >= len) {
                skip -= len;
                continue;
            }
            long at = chain.address(i) + skip;
            int take = (int) Math.min(len - skip, n - got);
            for (int k = 0; k < take; k++) {
                value |= (NativeMemory.getByte(null, at + k) & 0xffL) << (8 * (got + k));
            }
            got += take;
            skip = 0;
        }
        return value;
    }
}
