package io.ramdiskfs.disk.image;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayerIo;
import io.ramdiskfs.disk.NativeMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Fills a disk from a raw image (a file or a block device): only the image's data extents are
 * read (its SEEK_DATA / SEEK_HOLE, through {@link ImageHoles}), and zeros inside them are not stored
 * (the RAM layer's write finds them as it copies: whole chunks of zeros take its zero state), so
 * holes and zeros cost no memory. Afterwards the disk is independent of the image.
 *
 * <p><b>Crash guarantee.</b> The image is only read: {@code kill -9} at any moment leaves it as it was.
 */
public final class ImageLoader {
    private static final int PIECE = 1 << 20;

    private ImageLoader() {}

    /**
     * Loads {@code image} into {@code target}, a layer that reads zeros and is at least as large
     * (a fresh RAM layer, before it is part of any disk); returns the data bytes read.
     */
    public static long load(Path image, LayerIo target, ImageHoles.Finder finder, Progress progress) throws ImageFailure {
        ByteBuffer buffer = ByteBuffer.allocateDirect(PIECE);
        long address = NativeMemory.offsetOf(buffer);
        long at = 0;
        try (FileChannel in = FileChannel.open(image, StandardOpenOption.READ)) {
            long size = in.size();
            if (size > target.sectorCount() * target.sectorSize()) {
                throw new ImageFailure("image " + image + " is " + size + " bytes, larger than the disk (" + target.sectorCount() * target.sectorSize() + ")", null);
            }
            int ss = target.sectorSize();
            try (ImageHoles holes = FileLayer.isBlockDevice(image) ? ImageHoles.allData(image, size) : finder.open(image, size)) {
                long total = 0;
                for (long pos = 0, data; (data = holes.nextData(pos)) >= 0; pos = holes.nextHole(data)) {
                    total += holes.nextHole(data) - data;
                }
                long done = 0;
                progress.update(0, total);
                for (long pos = 0, data; (data = holes.nextData(pos)) >= 0; pos = holes.nextHole(data)) {
                    long hole = holes.nextHole(data);
                    // Holes start and end on file-system blocks; widen to whole sectors in any case.
                    for (at = data - data % ss; at < hole; ) {
                        long wanted = (hole - at + ss - 1) / ss * ss; // whole sectors; the image is too
                        int n = (int) Math.min(Math.min(PIECE, wanted), size - at);
                        buffer.clear().limit(n);
                        while (buffer.hasRemaining()) {
                            if (in.read(buffer, at + buffer.position()) < 0) {
                                throw new ImageFailure("image " + image + " ended at byte " + (at + buffer.position())
                                        + " of " + size + ": did it change while loading?", null);
                            }
                        }
                        // Zeros inside a data extent cost nothing: the RAM layer finds them as it copies.
                        target.write(null, address, at / ss, n / ss, false);
                        at += n;
                        done += n;
                        ImageTraffic.moved(n);
                        progress.update(done, total);
                    }
                }
                return done;
            }
        } catch (ImageFailure e) {
            throw e;
        } catch (DiskException e) {
            if (e.error() == DiskError.NO_SPACE) {
                throw new ImageFailure("loading " + image + " needs more memory than the budget has left (--memory-limit); stopped at byte "
                        + at, e);
            }
            throw new ImageFailure("loading " + image + " failed at byte " + at + ": " + ImageFailure.reason(e), e);
        } catch (IOException | RuntimeException e) {
            throw new ImageFailure("image " + image + " cannot be read: " + ImageFailure.reason(e), e);
        } finally {
            NativeMemory.release(buffer);
        }
    }
}
