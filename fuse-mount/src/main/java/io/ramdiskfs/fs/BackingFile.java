package io.ramdiskfs.fs;

/**
 * A disk whose bytes live in a file of the kernel's (a tmpfs file the process owns), so that the
 * kernel can move them between that file and a reader or writer itself, without asking the
 * process: FUSE passthrough. Implemented by the one layer of such a disk.
 *
 * <p>Why a separate concept: on a passthrough open the process sees none of the reads and writes,
 * so whatever must follow the data (size, times, memory use) is read from the file, and whatever
 * needs to see every write (a snapshot) must refuse while such an open exists
 * ({@link DiskFile#isPassthroughOpen()}).
 */
public interface BackingFile {
    /** The open descriptor of the file, for {@code FUSE_DEV_IOC_BACKING_OPEN}. */
    int descriptor();

    /** The file's last content change, nanoseconds since the epoch. */
    long modifiedNanos();

    /**
     * Called with a release action once the kernel holds the file for passthrough opens; the
     * layer runs it when it closes, so the kernel lets go of the memory too.
     */
    void onClose(Runnable release);
}
