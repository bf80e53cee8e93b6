package io.ramdiskfs.disk;

/** The kind of an I/O failure; the FUSE side maps each kind to exactly one errno. */
public enum DiskError {
    /** The sector range (or byte range) lies outside the disk, is negative, or overflows. */
    ILLEGAL_BLOCK,
    /** The shared memory budget cannot hold the data; nothing was changed. */
    NO_SPACE,
    /** The disk, or the layer written to, is read-only. */
    READ_ONLY,
    /** A parameter is malformed, e.g. a size that is not a multiple of the sector size. */
    INVALID_INPUT,
    /** The requested size is larger than the largest disk this model can address. */
    TOO_LARGE,
    /** The layer does not implement the operation. */
    UNSUPPORTED,
    /** An underlying file failed. */
    IO
}
