package io.ramdiskfs.fuse.jnr;

/**
 * How a mount is served: the choices docs/performance.md measured, each switchable for A/B runs.
 *
 * @param xattrs          serve {@code user.ramdiskfs.*} extended attributes
 * @param parallelWrites  let writes to one file run concurrently (needs {@code direct_io} in the
 *                        libfuse options; see {@link OpenReplyChannel})
 * @param imageReads      serve reads that fall through to a memdiff image from the file itself
 *                        (wants {@code splice_write}; see {@link RawDataCallbacks})
 * @param maxRequestBytes the largest read or write request the kernel may send, 128 KiB (what
 *                        libfuse2 asks for) to 1 MiB (see {@link InitReplyChannel})
 * @param directData      serve READ and WRITE requests without libfuse, reads of RAM disks
 *                        straight from their memory (see {@link DataRequests})
 * @param threads         FUSE worker threads
 * @param passthrough     ask the kernel for FUSE passthrough, and open the disks that keep their
 *                        bytes in a {@link io.ramdiskfs.fs.BackingFile} with it (see
 *                        {@link Passthrough})
 */
public record Serving(boolean xattrs, boolean parallelWrites, boolean imageReads, int maxRequestBytes,
        boolean directData, int threads, boolean passthrough) {
    /** libfuse2's own request size. */
    public static final int LIBFUSE_REQUEST_BYTES = 128 << 10;
    /** The most the kernel grants by default ({@code fs.fuse.max_pages_limit} = 256 pages). */
    public static final int MAX_REQUEST_BYTES = 1 << 20;

    public Serving {
        if (maxRequestBytes < LIBFUSE_REQUEST_BYTES || maxRequestBytes > MAX_REQUEST_BYTES || maxRequestBytes % 4096 != 0) {
            throw new IllegalArgumentException("request size " + maxRequestBytes + " is not a multiple of 4096 in ["
                    + LIBFUSE_REQUEST_BYTES + ", " + MAX_REQUEST_BYTES + "]");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("FUSE worker threads " + threads + " is not positive");
        }
    }

    /** Without passthrough. */
    public Serving(boolean xattrs, boolean parallelWrites, boolean imageReads, int maxRequestBytes, boolean directData,
            int threads) {
        this(xattrs, parallelWrites, imageReads, maxRequestBytes, directData, threads, false);
    }
}
