package io.ramdiskfs.disk;

/**
 * Something that becomes a layer once it sees the layer beneath it. This is how a RAM layer over
 * an image takes the image's size and sector size (upstream's {@code LazyRamDiskLayer}, the
 * {@code memdiff:} case). Layers are attached bottom-up when a {@link LayeredDisk} is built.
 */
@FunctionalInterface
public interface LayerSource {
    /**
     * @param below the attached layer beneath, or null at the bottom of the stack
     * @throws IllegalArgumentException when the layer cannot be built over {@code below}
     */
    LayerIo attach(LayerIo below);
}
