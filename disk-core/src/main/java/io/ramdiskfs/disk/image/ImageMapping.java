package io.ramdiskfs.disk.image;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.ReadVector;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A read-only image mapped into memory, in segments of 1 GiB (a Java mapping holds at most
 * 2 GiB), so a layer above can hand its bytes to the kernel as runs of the page cache: a read of a
 * memdiff disk that falls through to the image then moves the data once, page cache to reader,
 * like a read of RAM. Pages are faulted in by the kernel as it copies (64 KiB around each fault),
 * and count in the process's resident size as file pages while mapped, though they are the page
 * cache's and not a copy.
 *
 * <p>The image must not shrink while mapped: the kernel's copy from a page past its end fails,
 * and the reader gets an I/O error.
 */
final class ImageMapping implements ReadVector.Below {
    static final int SEGMENT_SHIFT = 30;
    static final long SEGMENT_BYTES = 1L << SEGMENT_SHIFT;
    private static final long PREFAULT_STEP = 2L << 20;
    private static final int PAGE = 4096;

    private final long size;
    private final MappedByteBuffer[] segments;
    private final long[] addresses;
    private boolean unmapped;

    private ImageMapping(long size, MappedByteBuffer[] segments) {
        this.size = size;
        this.segments = segments;
        this.addresses = new long[segments.length];
        for (int i = 0; i < segments.length; i++) {
            addresses[i] = NativeMemory.offsetOf(segments[i]);
        }
    }

    /** Maps the first {@code size} bytes of the image; undoes what it mapped if it fails. */
    static ImageMapping map(FileChannel channel, long size) throws IOException {
        int n = (int) ((size + SEGMENT_BYTES - 1) >>> SEGMENT_SHIFT);
        MappedByteBuffer[] segments = new MappedByteBuffer[n];
        try {
            for (int i = 0; i < n; i++) {
                long at = (long) i << SEGMENT_SHIFT;
                segments[i] = channel.map(FileChannel.MapMode.READ_ONLY, at, Math.min(SEGMENT_BYTES, size - at));
            }
        } catch (IOException | RuntimeException e) {
            for (MappedByteBuffer s : segments) {
                if (s != null) {
                    NativeMemory.release(s);
                }
            }
            throw e;
        }
        return new ImageMapping(size, segments);
    }

    /**
     * Faults every page of the mapping in, on a background thread started when the disk is
     * built, when the image lives in memory already (tmpfs: no I/O, only page-table entries,
     * 2 MiB per GiB). Why: the kernel's copy from a page not yet mapped costs a fault, and after
     * {@code drop_caches} one per 4 KiB page (measured: a first 1 MiB-read pass over a 1 GiB
     * image at 1,180 MiB/s, the second at 3,590). An image on a disk is left alone: faulting it
     * in would read all of it. The thread touches one byte per page, 2 MiB at a time under this
     * object's lock, and stops once {@link #unmap} has run.
     */
    void prefaultInBackground(String name) {
        Thread t = new Thread(() -> {
            for (long at = 0; at < size; at += PREFAULT_STEP) {
                if (!touch(at, Math.min(size, at + PREFAULT_STEP))) {
                    return;
                }
            }
        }, "image-prefault " + name);
        t.setDaemon(true);
        t.start();
    }

    private synchronized boolean touch(long from, long to) {
        if (unmapped) {
            return false;
        }
        for (long p = from; p < to; p += PAGE) {
            NativeMemory.getByte(null, addresses[(int) (p >>> SEGMENT_SHIFT)] + (p & (SEGMENT_BYTES - 1)));
        }
        return true;
    }

    /** Bytes past the image read as zeros (a disk grown beyond its image). */
    @Override
    public void runs(long position, long length, ReadVector vector) {
        long end = position + length;
        long p = position;
        long mappedEnd = Math.min(end, size);
        while (p < mappedEnd) {
            int segment = (int) (p >>> SEGMENT_SHIFT);
            long within = p & (SEGMENT_BYTES - 1);
            long n = Math.min(mappedEnd - p, SEGMENT_BYTES - within);
            vector.data(addresses[segment] + within, n);
            p += n;
        }
        if (p < end) {
            vector.zeros(end - p);
        }
    }

    /** Unmaps; no reader may use the runs any more. */
    synchronized void unmap() {
        unmapped = true;
        for (MappedByteBuffer s : segments) {
            NativeMemory.release(s);
        }
    }
}
