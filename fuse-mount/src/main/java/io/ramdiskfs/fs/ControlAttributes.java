package io.ramdiskfs.fs;

import io.ramdiskfs.disk.DiskException;
import io.ramdiskfs.disk.LayeredDisk;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import io.ramdiskfs.status.StatusJson;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The control protocol of a mount, its {@code user.ramdiskfs.*} extended attributes: the one
 * home of their names (the CLI and the FUSE adapter use these constants), of how a written value
 * is decoded, and of what reading or writing each one does. Reading inspects a disk; writing one
 * of the acting names snapshots, rolls back, clones, saves or commits.
 */
public final class ControlAttributes {
    /** Every attribute this filesystem has starts with this. */
    public static final String PREFIX = "user.ramdiskfs.";
    /** Read: the disk's layers, top first ({@link MountStatusView#describeLayers}). */
    public static final String LAYERS = PREFIX + "layers";
    /** Read: data memory the disk holds. */
    public static final String COMMITTED = PREFIX + "committed_bytes";
    public static final String SECTOR_SIZE = PREFIX + "sector_size";
    /** Read: the snapshots that hold the disk, oldest first, space-separated. */
    public static final String SNAPSHOTS = PREFIX + "snapshots";
    /** Written on a disk or the root: take a snapshot of that name. */
    public static final String SNAPSHOT = PREFIX + "snapshot";
    /** Written on a disk or the root: roll back to the snapshot of that name. */
    public static final String ROLLBACK = PREFIX + "rollback";
    /** Written on a disk or snapshot file: make a disk of that name, a clone of it. */
    public static final String CLONE = PREFIX + "clone";
    /** Written on a disk: save it to the image at that absolute path (empty: its persist image); see {@link ImageJobs}. */
    public static final String SAVE = PREFIX + "save";
    /** How far the last save of a disk got. */
    public static final String SAVE_STATUS = PREFIX + "save_status";
    /** Written on a memdiff disk (any value): commit its RAM layers into its base image. */
    public static final String COMMIT = PREFIX + "commit";
    /** On the root: the whole mount as JSON ({@link io.ramdiskfs.status.StatusJson}), for {@code ramdiskfs status}. */
    public static final String STATUS = PREFIX + "status";
    /** The longest value a write may carry: names and paths, not data. */
    public static final int MAX_VALUE_BYTES = 4096;

    private static final List<String> DISK_NAMES = List.of(LAYERS, COMMITTED, SECTOR_SIZE, SNAPSHOTS);
    private static final List<String> SNAPSHOT_NAMES = List.of(LAYERS, COMMITTED, SECTOR_SIZE);

    private final DiskDirectory directory;
    private final Snapshots snapshots;
    private final PermissionPolicy policy;

    ControlAttributes(DiskDirectory directory, Snapshots snapshots, PermissionPolicy policy) {
        this.directory = directory;
        this.snapshots = snapshots;
        this.policy = policy;
    }

    /** True for a name of this protocol; any other is not ours to answer. */
    public static boolean isOurs(String name) {
        return name.startsWith(PREFIX);
    }

    /**
     * The name as {@link java.nio.file.attribute.UserDefinedFileAttributeView} takes it: without
     * the {@code user.} namespace, which the view adds.
     */
    public static String viewName(String attribute) {
        return attribute.substring("user.".length());
    }

    /**
     * A written value as text: a snapshot or disk name, an image path. Null when the bytes are
     * not UTF-8 (the caller answers EINVAL): decoding them with replacement characters would name a
     * snapshot differently from what was asked, and two different values the same. Surrounding
     * white space and NULs go ({@code echo} adds a newline, a C string may count its terminator).
     */
    public static String decodeValue(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString().trim();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The names of the attributes the root, a disk or a snapshot of one has. */
    List<String> names(String path) throws FsException {
        if (DiskDirectory.isRoot(path)) {
            return List.of(STATUS);
        }
        directory.lookup(path);
        return FsPath.parse(path).inSnapshots() ? SNAPSHOT_NAMES : DISK_NAMES;
    }

    /** The value of one attribute; ENODATA for any other name. */
    byte[] read(String path, String name) throws FsException {
        if (DiskDirectory.isRoot(path) && STATUS.equals(name)) {
            // Within the kernel's 64 KiB for one attribute: past it, every reader gets E2BIG.
            return StatusJson.writeWithin(directory.status(), StatusJson.XATTR_SIZE_MAX).getBytes(StandardCharsets.UTF_8);
        }
        if (FsPath.parse(path).isDirectory()) {
            throw new FsException(Errno.ENODATA, "the directory has no attribute " + name);
        }
        LayeredDisk d = directory.lookup(path).disk();
        String value = switch (name) {
            case LAYERS -> MountStatusView.describeLayers(d);
            case COMMITTED -> Long.toString(d.committedBytes());
            case SECTOR_SIZE -> Integer.toString(d.sectorSize());
            case SNAPSHOTS -> snapshots.snapshotsOf(path);
            case SAVE_STATUS -> directory.images().status(path);
            default -> throw new FsException(Errno.ENODATA, "no attribute " + name + " on " + path);
        };
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes one of the attributes that act, by user {@code uid}. */
    void write(String path, String name, String value, int uid, int gid) throws FsException, DiskException {
        FsPath p = FsPath.parse(path);
        switch (name) {
            case SNAPSHOT -> {
                if (p.kind() == FsPath.Kind.ROOT) {
                    snapshots.snapshotAll(value);
                } else {
                    snapshots.snapshotDisk(path, value, uid);
                }
            }
            case ROLLBACK -> snapshots.rollback(path, value);
            case CLONE -> {
                policy.checkMayCreateDisk(uid, gid, value);
                snapshots.cloneTo(path, value, uid, gid);
            }
            case SAVE -> {
                policy.checkMayWriteImages(uid, "save " + path);
                directory.images().startSave(path, value);
            }
            case COMMIT -> {
                policy.checkWritableMount("commit " + path);
                policy.checkMayWriteImages(uid, "commit " + path);
                directory.images().commit(path);
            }
            default -> {
                if (isOurs(name)) {
                    throw new FsException(Errno.EPERM, "attribute " + name + " cannot be set (only " + SNAPSHOT + ", "
                            + ROLLBACK + ", " + CLONE + ", " + SAVE + " and " + COMMIT + " can)");
                }
                throw new FsException(Errno.EOPNOTSUPP, "only user.ramdiskfs.* attributes exist here, not " + name);
            }
        }
    }
}
