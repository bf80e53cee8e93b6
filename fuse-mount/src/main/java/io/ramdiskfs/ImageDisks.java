package io.ramdiskfs;

import io.ramdiskfs.disk.LayerConfiguration;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.disk.image.ImageHoles;
import io.ramdiskfs.disk.image.ImageFailure;
import io.ramdiskfs.disk.image.ImageLoader;
import io.ramdiskfs.disk.image.ImageWriter;
import io.ramdiskfs.disk.image.Progress;
import io.ramdiskfs.disk.ram.ChunkAllocator;
import io.ramdiskfs.disk.ram.RamLayer;
import java.nio.file.Files;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the disks that have an image ({@link DiskDefinition.Role}): the layer stack of each role,
 * and the loading of {@code load:} and {@code persist:} disks at start.
 */
final class ImageDisks {
    private static final Logger log = LoggerFactory.getLogger(ImageDisks.class);
    private static final long PROGRESS_NANOS = 2_000_000_000L;

    private ImageDisks() {}

    /** SEEK_DATA / SEEK_HOLE of images through libc; data everywhere when that cannot load. */
    static ImageHoles.Finder holesFinder() {
        try {
            io.ramdiskfs.fuse.jnr.Libc.get();
            return io.ramdiskfs.fuse.jnr.NativeImageHoles.FINDER;
        } catch (LinkageError | RuntimeException e) {
            log.warn("no SEEK_DATA for images ({}): they count as data everywhere", e.toString());
            return ImageHoles.ALL_DATA;
        }
    }

    /**
     * The disk of a definition with an image.
     *
     * @throws IllegalArgumentException with one line: the image cannot be opened or loaded
     */
    static LayeredDisk build(DiskDefinition d, boolean readOnly, int sectorSize, MemoryBudget budget, ChunkAllocator allocator,
            ImageHoles.Finder holes) {
        if (d.role() == DiskDefinition.Role.PERSIST || d.role() == DiskDefinition.Role.MEMDIFF) {
            // A save (persist) or commit (memdiff) of a run killed half-way left its temporary file
            // beside the image; it never shadows the image (another name), but it holds space.
            ImageWriter.removeStaleTemps(d.image());
        }
        return switch (d.role()) {
            case RAM -> throw new IllegalArgumentException("a RAM disk has no image");
            case MEMDIFF -> LayeredDisk.create(readOnly, List.of(LayerConfiguration.of(RamLayer.over(budget, allocator)),
                    LayerConfiguration.of(FileLayer.open(d.image(), sectorSize, false, holes))));
            // What a read fetches from the image stays in RAM (never over a newer write); a full
            // budget skips the fill and the read still succeeds (DiskChain.fillReadCache).
            case CACHE -> LayeredDisk.create(readOnly, List.of(new LayerConfiguration(RamLayer.over(budget, allocator), false, true),
                    LayerConfiguration.of(FileLayer.open(d.image(), sectorSize, false, holes))));
            case WRITETHROUGH -> LayeredDisk.create(readOnly, List.of(
                    new LayerConfiguration(RamLayer.over(budget, allocator), !readOnly, true),
                    LayerConfiguration.of(FileLayer.open(d.image(), sectorSize, !readOnly, holes))));
            case LOAD -> loaded(d, readOnly, sectorSize, budget, allocator, holes);
            case PERSIST -> Files.exists(d.image()) ? loaded(d, false, sectorSize, budget, allocator, holes)
                    : LayeredDisk.of(RamLayer.create(d.sizeBytes(), sectorSize, budget, allocator), false);
        };
    }

    /** A RAM disk of the image's size, filled from it. */
    private static LayeredDisk loaded(DiskDefinition d, boolean readOnly, int sectorSize, MemoryBudget budget,
            ChunkAllocator allocator, ImageHoles.Finder holes) {
        long size;
        try (FileLayer probe = FileLayer.open(d.image(), sectorSize)) {
            size = probe.sectorCount() * sectorSize;
        }
        RamLayer layer = RamLayer.create(size, sectorSize, budget, allocator);
        long start = System.nanoTime();
        try {
            long data = ImageLoader.load(d.image(), layer, holes, progress(d));
            log.info("loaded {} from {}: {} MiB of data ({} MiB disk) in {} ms", d.name(), d.image(), data >> 20, size >> 20,
                    (System.nanoTime() - start) / 1_000_000);
        } catch (ImageFailure e) {
            layer.close();
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return LayeredDisk.of(layer, readOnly);
    }

    /** A progress line every two seconds while a load runs. */
    private static Progress progress(DiskDefinition d) {
        long[] last = {System.nanoTime()};
        return (done, total) -> {
            long now = System.nanoTime();
            if (now - last[0] >= PROGRESS_NANOS && total > 0) {
                last[0] = now;
                log.info("loading {} from {}: {}% ({} of {} MiB of data)", d.name(), d.image(), done * 100 / total, done >> 20, total >> 20);
            }
        };
    }
}
