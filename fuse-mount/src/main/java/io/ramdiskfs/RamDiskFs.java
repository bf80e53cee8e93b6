package io.ramdiskfs;

import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disk.MemoryBudget;
import io.ramdiskfs.disk.ram.ChunkAllocator;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.fs.DaemonUser;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.fuse.jnr.BackingFilePool;
import io.ramdiskfs.fuse.jnr.FuseSession;
import io.ramdiskfs.fuse.jnr.PassthroughSupport;
import io.ramdiskfs.fuse.jnr.Serving;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded API: mount a directory of RAM disks from Java.
 *
 * <pre>{@code
 * try (RamDiskFs fs = RamDiskFs.mount(dir, DiskDefinition.ram("disk0", 1L << 30))) {
 *     // dir/disk0 is a 1 GiB file backed by RAM
 * }
 * }</pre>
 *
 * {@link #mount} returns once the kernel serves the mount (checked in /proc/self/mountinfo, not
 * after a fixed wait); {@link #close} unmounts and frees every disk.
 */
public final class RamDiskFs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RamDiskFs.class);
    private static final long MOUNT_TIMEOUT_MILLIS = 30_000;

    private final Path mountPoint;
    private final DiskDirectory directory;
    private final FuseSession session;
    /** Where passthrough disks keep their bytes; null when the mount has none. */
    private final BackingFilePool pool;
    private final Persistence persistence;
    /** The vhost-user door ({@link MountOptions#vhostUser()}); null when the mount has none. */
    private volatile io.ramdiskfs.vhost.VhostUserDoor door;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** What the save at the stop could not save, one line per disk. */
    private volatile List<String> unsaved = List.of();

    private RamDiskFs(Path mountPoint, DiskDirectory directory, FuseSession session, BackingFilePool pool,
            Persistence persistence) {
        this.mountPoint = mountPoint;
        this.directory = directory;
        this.session = session;
        this.pool = pool;
        this.persistence = persistence;
    }

    public static RamDiskFs mount(Path mountPoint, DiskDefinition... disks) throws MountException {
        return mount(MountOptions.of(mountPoint, List.of(disks)));
    }

    /**
     * Builds the disks, mounts them and waits until the mount is live.
     *
     * @throws MountException with one line for a person: the mount point is missing, a file, or a
     *     live mount; a disk cannot be built (its name and why); libfuse is missing or failed
     */
    public static RamDiskFs mount(MountOptions options) throws MountException {
        Path mp = MountTable.canonical(options.mountPoint());
        DaemonUser user = DaemonUser.ofThisProcess();
        FuseDevice.check(FuseDevice.PATH, user);
        if (options.allowOther()) {
            FuseConf.read(FuseConf.PATH).checkAllowOther(user);
        }
        MountPoint.prepare(mp);
        long limit = budgetUnderTheCgroup(options.memoryLimit());
        MemoryBudget budget = new MemoryBudget(limit);
        ChunkAllocator allocator = chunkAllocator();
        int sectorSize = options.sectorSize();
        BackingFilePool pool = options.wantsPassthrough() ? PassthroughSupport.pool(budget, options.hugePages()) : null;
        DiskDirectory dir = new DiskDirectory(
                options.passthrough() && pool != null
                        ? () -> LayeredDisk.of(pool.newDisk(0, sectorSize, false), false)
                        : () -> LayeredDisk.of(RamLayer.create(0, sectorSize, budget, allocator), false),
                budget, options.readOnly(), DiskDirectory::wallClockNanos, user);
        dir.images().holes(ImageDisks.holesFinder());
        Persistence persistence = new Persistence(dir);
        for (DiskDefinition d : options.disks()) {
            try {
                var file = dir.add(d.name(), build(d, options, budget, allocator, pool), user.uid(), user.gid());
                if (d.role() == DiskDefinition.Role.PERSIST) {
                    persistence.register(file, d);
                }
            } catch (IllegalArgumentException e) {
                dir.closeAll();
                closePool(pool);
                throw new MountException("disk " + d.name() + ": " + e.getMessage(), e);
            }
        }
        FuseSession session;
        try {
            session = FuseSession.launch(mp, dir, fuseArguments(options), serving(options, pool != null));
        } catch (MountException e) {
            dir.closeAll();
            closePool(pool);
            throw e;
        }
        try {
            session.awaitLive(MOUNT_TIMEOUT_MILLIS);
        } catch (MountException e) {
            if (MountPoint.abandon(session, mp)) {
                dir.closeAll();
                closePool(pool);
            }
            throw e;
        }
        log.debug("mounted {} with {}", mp, fuseArguments(options));
        RamDiskFs fs = new RamDiskFs(mp, dir, session, pool, persistence);
        if (options.vhostUser() != null) {
            try {
                fs.door = VhostUserExport.open(options.vhostUser(), dir);
            } catch (MountException e) {
                try {
                    fs.close();
                } catch (MountException unmount) {
                    e.addSuppressed(unmount);
                }
                throw e;
            }
            log.info("vhost-user: every disk is served on {}/NAME.sock", options.vhostUser());
        }
        return fs;
    }

    /** The budget, clamped under the memory cgroup's limit ({@link MemoryCeiling}): ENOSPC, not the OOM killer. */
    private static long budgetUnderTheCgroup(long requested) throws MountException {
        try {
            return MemoryCeiling.clamp(requested);
        } catch (IllegalStateException e) {
            throw new MountException(e.getMessage());
        }
    }

    private static void closePool(BackingFilePool pool) {
        if (pool != null) {
            pool.close();
        }
    }

    /** Chunk memory from mmap'd arenas, which frees to the kernel at once; malloc if that fails. */
    private static ChunkAllocator chunkAllocator() {
        try {
            return io.ramdiskfs.fuse.jnr.MmapChunkAllocator.create(RamLayer.CHUNK_BYTES);
        } catch (LinkageError | RuntimeException e) {
            log.warn("mmap unavailable ({}); RAM disk memory comes from malloc and may not shrink after punching", e.toString());
            return ChunkAllocator.MALLOC;
        }
    }

    /**
     * Threads serving FUSE requests. Measured (fio, O_DIRECT, one run each, 2 cores): 2-3
     * threads serve one job's 4 KiB requests fastest (every idle reader of /dev/fuse is one more
     * thread the kernel may wake, cold, for the next request: 8 threads cost a third of 1-job
     * random-read and -write IOPS), while 1 MiB reads, which the kernel splits into concurrent
     * 128 KiB requests, want more (8 threads: +10 %). 4 balances the two; override with
     * {@code -Dramdiskfs.threads=N}.
     */
    static int workerThreads() {
        return Integer.getInteger("ramdiskfs.threads", 4);
    }

    static Serving serving(MountOptions options) {
        return serving(options, false);
    }

    /** @param passthrough some disk keeps its bytes in the passthrough pool */
    static Serving serving(MountOptions options, boolean passthrough) {
        return new Serving(options.xattrs(), parallelWrites(options), imageReads(options), maxRequestBytes(),
                directData(), workerThreads(), passthrough);
    }

    /**
     * READ and WRITE requests are served without libfuse, and reads of a RAM disk hand the kernel
     * the disk's memory itself: one copy from disk to reader instead of two
     * (docs/performance.md, section 9); {@code -Dramdiskfs.directData=false} leaves them to
     * libfuse, to measure the difference.
     */
    static boolean directData() {
        return Boolean.parseBoolean(System.getProperty("ramdiskfs.directData", "true"));
    }

    /**
     * The largest read or write request: 1 MiB, so that a synchronous 1 MiB direct read or write
     * is one round trip through the daemon instead of eight (docs/performance.md, section 8);
     * {@code -Dramdiskfs.maxRequest=131072} keeps libfuse2's 128 KiB, to measure the difference.
     */
    static int maxRequestBytes() {
        return Integer.getInteger("ramdiskfs.maxRequest", Serving.MAX_REQUEST_BYTES);
    }

    /**
     * Writes to one disk run in parallel whenever it is opened for direct I/O (the default);
     * {@code -Dramdiskfs.parallelWrites=false} restores the kernel's one-writer-at-a-time, to
     * measure the difference.
     */
    static boolean parallelWrites(MountOptions options) {
        return !options.pageCache() && Boolean.parseBoolean(System.getProperty("ramdiskfs.parallelWrites", "true"));
    }

    /**
     * Reads that fall through to a memdiff image are handed to libfuse as the image file, which
     * it splices into the kernel: one copy instead of two. Only mounts with a memdiff disk use it
     * (a RAM-only mount keeps the plain read path); {@code -Dramdiskfs.imageReads=false} turns it
     * off, to measure the difference.
     */
    static boolean imageReads(MountOptions options) {
        return options.disks().stream().anyMatch(DiskDefinition::imageBelow)
                && Boolean.parseBoolean(System.getProperty("ramdiskfs.imageReads", "true"));
    }

    static LayeredDisk build(DiskDefinition d, MountOptions options, MemoryBudget budget, ChunkAllocator allocator) {
        return build(d, options, budget, allocator, null);
    }

    /** @param pool where passthrough disks keep their bytes; null: none can (they are RAM disks) */
    static LayeredDisk build(DiskDefinition d, MountOptions options, MemoryBudget budget, ChunkAllocator allocator,
            BackingFilePool pool) {
        boolean ro = d.readOnly() || options.readOnly();
        if (d.role() == DiskDefinition.Role.RAM && pool != null && (d.passthrough() || options.passthrough())) {
            return LayeredDisk.of(pool.newDisk(d.sizeBytes(), options.sectorSize(), ro), ro);
        }
        if (d.role() == DiskDefinition.Role.RAM) {
            return LayeredDisk.of(RamLayer.create(d.sizeBytes(), options.sectorSize(), budget, allocator), ro);
        }
        return ImageDisks.build(d, ro, options.sectorSize(), budget, allocator, ImageDisks.holesFinder());
    }

    /**
     * The libfuse arguments. {@code big_writes} and {@code max_write=131072} take writes in 128 KiB
     * requests instead of 4 KiB pages (libfuse2 caps {@code max_write} there; the init reply then
     * raises it to {@link #maxRequestBytes}, and {@code max_read} lets reads follow); {@code default_permissions} lets the kernel check modes;
     * {@code direct_io} (unless {@link MountOptions#pageCache()}) sends every read and write
     * straight to the disk: no second copy of a RAM disk in the page cache, no copy through it,
     * and no {@code security.capability} lookup before each write (docs/performance.md).
     */
    static List<String> fuseArguments(MountOptions options) {
        List<String> o = new ArrayList<>();
        o.add("-o");
        StringBuilder sb = new StringBuilder("big_writes,max_write=131072,max_read=" + maxRequestBytes()
                + ",default_permissions"
                // No attribute caching: a rollback changes a disk's size behind the kernel's back.
                + ",attr_timeout=0"
                + ",subtype=ramdiskfs,fsname=ramdiskfs");
        if (options.allowOther()) {
            sb.append(",allow_other");
        }
        if (options.readOnly()) {
            sb.append(",ro");
        }
        if (!options.pageCache()) {
            sb.append(",direct_io");
        }
        if (imageReads(options)) {
            sb.append(",splice_write");
        }
        String extra = System.getProperty("ramdiskfs.fuseopts", "");
        if (!extra.isEmpty()) {
            sb.append(',').append(extra);
        }
        o.add(sb.toString());
        return o;
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** The socket disk {@code name} is served on as a vhost-user-blk device; null when the mount has no such door. */
    public Path vhostUserSocket(String name) {
        io.ramdiskfs.vhost.VhostUserDoor d = door;
        return d == null ? null : d.socketOf(name);
    }

    /** The filesystem behind the mount, for inspection. */
    public DiskDirectory directory() {
        return directory;
    }

    // ------------------------------------------------------------------ snapshots, rollback, clones
    // The same operations as MOUNT/.snap and the user.ramdiskfs.* attributes (SPEC section 6).

    /** Snapshots every disk at one instant as {@code name} ({@code mkdir MOUNT/.snap/NAME}). */
    public void snapshot(String name) throws FsException, DiskException {
        directory.snapshotAll(name);
    }

    /** Snapshots one disk into snapshot {@code name}. */
    public void snapshot(String disk, String name) throws FsException, DiskException {
        directory.snapshotDisk("/" + disk, name);
    }

    /** Rolls every disk of snapshot {@code name} back to it, all or none. EBUSY while one is open for writing. */
    public void rollback(String name) throws FsException, DiskException {
        directory.rollback("/", name);
    }

    /** Rolls one disk back to snapshot {@code name}. */
    public void rollback(String disk, String name) throws FsException, DiskException {
        directory.rollback("/" + disk, name);
    }

    /** Deletes snapshot {@code name} of every disk ({@code rmdir MOUNT/.snap/NAME}). */
    public void deleteSnapshot(String name) throws FsException {
        directory.deleteSnapshot("/" + DiskNames.SNAPSHOT_DIRECTORY + "/" + name);
    }

    /** Snapshot names, oldest first. */
    public List<String> snapshots() {
        return directory.snapshotNames();
    }

    /**
     * Makes disk {@code dst} a clone of {@code src}: a disk name, or {@code .snap/NAME/DISK} for a
     * snapshot. No data is copied.
     */
    public void cloneDisk(String src, String dst) throws FsException, DiskException {
        directory.cloneTo("/" + src, dst, directory.owner().uid(), directory.owner().gid());
    }

    // ------------------------------------------------------------------ save, commit (SPEC section 7)

    /**
     * Saves disk {@code disk} as it is at this instant to the sparse raw {@code image} (a temporary
     * file beside it, fsynced and renamed over it: IMAGE is always the old or the complete new
     * file) while the disk keeps serving. Returns the bytes of data written: 0 when IMAGE already
     * held a later instant, saved meanwhile by another save of it, which is left in place.
     */
    public long save(String disk, Path image) throws FsException, DiskException, java.io.IOException {
        return directory.images().saveNow(directory.lookup("/" + disk), image.toAbsolutePath(), disk,
                io.ramdiskfs.disk.image.Progress.NONE).dataBytes();
    }

    /** Saves a {@code persist:} disk to its image. */
    public long save(String disk) throws FsException, DiskException, java.io.IOException {
        var file = directory.lookup("/" + disk);
        Path image = directory.images().persistImage(file);
        if (image == null) {
            throw new FsException(io.ramdiskfs.disks.Errno.EINVAL, "disk " + disk + " is not a persist: disk; give an image");
        }
        return directory.images().saveNow(file, image, disk, io.ramdiskfs.disk.image.Progress.NONE).dataBytes();
    }

    /**
     * The persist disks the last stop ({@link #close}, {@link #unmountLazily}) could not save, one
     * line each naming the disk, its image and why; empty when every one was saved.
     */
    public List<String> unsavedAtStop() {
        return unsaved;
    }

    /**
     * Commits memdiff disk {@code disk}: its base plus its RAM layers become a new image renamed
     * over the base; the disk goes on as an empty RAM layer over it. EBUSY while it is open for writing.
     */
    public void commit(String disk) throws FsException, DiskException {
        directory.images().commit("/" + disk);
    }

    /** Blocks until the mount goes away (closed here, or {@code fusermount -u} from outside). */
    public void awaitUnmounted() throws InterruptedException {
        session.awaitExit();
    }

    /** True while the libfuse loop serves the mount. */
    public boolean isMounted() {
        return session.isRunning();
    }

    /**
     * Detaches the mount lazily ({@code fusermount -uz}): it disappears from the namespace now
     * and the disks are freed once the last user (a loop device, an open file) lets go.
     */
    public void unmountLazily() throws MountException {
        if (!session.isRunning()) {
            return;
        }
        Fusermount.Result r = Fusermount.unmount(mountPoint, true);
        if (!r.ok() && session.isRunning()) {
            throw new MountException("could not detach " + mountPoint + ": " + r.output());
        }
        session.markUnmounted();
        closeDoor();
        // The process exits next (a second signal): save persist disks at this instant, even
        // though a loop device may still hold the detached mount.
        unsaved = persistence.saveAllAtStop();
    }

    /** Unmounts; fails with a message when the kernel refuses because the mount is busy. */
    @Override
    public void close() throws MountException {
        if (closed.get()) {
            return;
        }
        if (session.isRunning()) {
            Fusermount.Result r = Fusermount.unmount(mountPoint, false);
            if (!r.ok() && session.isRunning()) {
                if (r.busy()) {
                    throw new MountException(mountPoint + " is busy (a loop device or an open file?): " + r.output());
                }
                throw new MountException("could not unmount " + mountPoint + ": " + r.output());
            }
            session.markUnmounted();
            try {
                if (!session.awaitExit(30_000)) {
                    throw new MountException("the FUSE loop for " + mountPoint + " did not stop within 30 s of unmounting");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MountException("interrupted while unmounting " + mountPoint, e);
            }
        }
        if (closed.compareAndSet(false, true)) {
            closeDoor();
            // Nothing reaches the disks any more: the last save of a persist disk holds every write.
            unsaved = persistence.saveAllAtStop();
            directory.closeAll();
            closePool(pool);
        }
    }

    /** Disconnects every guest and removes the sockets; the FUSE mount is gone by then. */
    private void closeDoor() {
        io.ramdiskfs.vhost.VhostUserDoor d = door;
        if (d != null) {
            d.close();
        }
    }
}
