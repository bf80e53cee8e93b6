package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.fs.ControlAttributes;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.fs.DiskFile;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.fs.ErrnoMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * libfuse2 callbacks over a {@link DiskDirectory}. Data moves between the FUSE buffer and the
 * disk's memory in one copy: the buffer's native address goes straight to the disk.
 */
final class JnrFuseAdapter extends FuseStubFS {
    private static final int STATFS_BLOCK = 4096;
    private static final long UTIME_NOW = (1L << 30) - 1;
    private static final long UTIME_OMIT = (1L << 30) - 2;
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;

    /** The uid and gid of the process whose request is being served. */
    record Caller(int uid, int gid) {}

    private final DiskDirectory dir;
    private final long rootTimeNanos = DiskDirectory.wallClockNanos();
    private final RawDataCallbacks rawCallbacks;
    private final Supplier<Caller> caller;

    /**
     * @param imageReads let reads that fall through to a memdiff image go to libfuse as the
     *                   file itself ({@link RawDataCallbacks}); wants {@code -o splice_write}
     */
    JnrFuseAdapter(DiskDirectory dir, boolean xattrs, boolean imageReads) {
        this(dir, xattrs, imageReads, null);
    }

    /**
     * @param caller who asks; null: libfuse's context of the request (only valid on a thread of
     *               the FUSE loop, hence replaceable for tests that call the callbacks directly)
     */
    JnrFuseAdapter(DiskDirectory dir, boolean xattrs, boolean imageReads, Supplier<Caller> caller) {
        this.dir = dir;
        this.caller = caller != null ? caller : () -> {
            FuseContext ctx = getContext();
            return new Caller(ctx.uid.intValue(), ctx.gid.intValue());
        };
        this.rawCallbacks = RawDataCallbacks.install(fuseOperations, dir, this, imageReads);
        // flag_utime_omit_ok (bit 2 of the flags word that follows bmap): without it libfuse2
        // drops a utimens that sets only one of the two times (touch -m, touch -a).
        var ops = jnr.ffi.Struct.getMemory(fuseOperations);
        long flags = fuseOperations.bmap.offset() + jnr.ffi.Runtime.getSystemRuntime().addressSize();
        ops.putByte(flags, (byte) (ops.getByte(flags) | 0x04));
        if (!xattrs) {
            // An empty slot makes libfuse answer ENOSYS, after which the kernel stops asking.
            jnr.ffi.Struct.getMemory(fuseOperations).putAddress(fuseOperations.getxattr.offset(), 0L);
            jnr.ffi.Struct.getMemory(fuseOperations).putAddress(fuseOperations.listxattr.offset(), 0L);
        }
    }

    /** The raw read, write and getxattr callbacks libfuse calls instead of this class's. */
    RawDataCallbacks rawCallbacks() {
        return rawCallbacks;
    }

    /** Releases what the callbacks hold (image descriptors); once the loop has ended. */
    void closeCallbacks() {
        rawCallbacks.close();
    }

    @Override
    protected String getFSName() {
        return "ramdiskfs";
    }

    /** The callback table handed to libfuse. */
    ru.serce.jnrfuse.struct.FuseOperations operations() {
        return fuseOperations;
    }

    /** Marks the mount as gone so jnr-fuse's exit hook does not try to unmount it again. */
    void markUnmounted() {
        mounted.set(false);
    }

    // ------------------------------------------------------------------ attributes

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            DiskDirectory.DirectoryInfo d = dir.directory(path, rootTimeNanos);
            if (d != null) {
                fillDirectory(stat, d);
            } else {
                fill(stat, dir.lookup(path));
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("getattr", path, 0, 0, t);
        }
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        try {
            DiskDirectory.DirectoryInfo d = dir.directory(path, rootTimeNanos);
            if (d != null) {
                fillDirectory(stat, d);
            } else {
                fill(stat, dir.file(fi.fh.get()));
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("fgetattr", path, 0, 0, t);
        }
    }

    private void fillDirectory(FileStat stat, DiskDirectory.DirectoryInfo d) {
        stat.st_mode.set(FileStat.S_IFDIR | d.mode());
        stat.st_uid.set(dir.owner().uid());
        stat.st_gid.set(dir.owner().gid());
        stat.st_nlink.set(2);
        stat.st_ino.set(d.inode());
        setTime(stat.st_atim, d.timeNanos());
        setTime(stat.st_mtim, d.timeNanos());
        setTime(stat.st_ctim, d.timeNanos());
    }

    private static void fill(FileStat stat, DiskFile f) {
        stat.st_mode.set(FileStat.S_IFREG | f.mode());
        stat.st_nlink.set(1);
        stat.st_ino.set(f.inode());
        stat.st_uid.set(f.uid());
        stat.st_gid.set(f.gid());
        stat.st_size.set(f.size());
        stat.st_blocks.set(f.blocks());
        stat.st_blksize.set(4096);
        setTime(stat.st_atim, f.atimeNanos());
        setTime(stat.st_mtim, f.mtimeNanos());
        setTime(stat.st_ctim, f.ctimeNanos());
    }

    private static void setTime(Timespec t, long nanos) {
        t.tv_sec.set(Math.floorDiv(nanos, 1_000_000_000L));
        t.tv_nsec.set(Math.floorMod(nanos, 1_000_000_000L));
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        try {
            List<String> names = dir.list(path);
            filler.apply(buf, ".", null, 0);
            filler.apply(buf, "..", null, 0);
            for (String name : names) {
                if (filler.apply(buf, name, null, 0) != 0) {
                    break;
                }
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("readdir", path, offset, 0, t);
        }
    }

    @Override
    public int statfs(String path, Statvfs st) {
        try {
            long limit = Math.min(dir.budget().limit(), Long.MAX_VALUE / 2);
            long used = dir.memoryUsed();
            st.f_bsize.set(STATFS_BLOCK);
            st.f_frsize.set(STATFS_BLOCK);
            st.f_blocks.set(limit / STATFS_BLOCK);
            st.f_bfree.set(Math.max(0, limit - used) / STATFS_BLOCK);
            st.f_bavail.set(Math.max(0, limit - used) / STATFS_BLOCK);
            st.f_files.set(1L << 20);
            st.f_ffree.set((1L << 20) - dir.names().size());
            st.f_favail.set((1L << 20) - dir.names().size());
            st.f_namemax.set(255);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("statfs", path, 0, 0, t);
        }
    }

    // ------------------------------------------------------------------ handles

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            fi.fh.set(dir.open(path, fi.flags.get()));
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("open", path, 0, 0, t);
        }
    }

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        try {
            Caller c = caller.get();
            fi.fh.set(dir.create(path, (int) mode, c.uid(), c.gid()));
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("create", path, 0, 0, t);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            dir.release(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("release", path, 0, 0, t);
        }
    }

    @Override
    public int flush(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        try {
            dir.fsync(fi.fh.get());
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("fsync", path, 0, 0, t);
        }
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        try {
            if (dir.directory(path, rootTimeNanos) == null) {
                dir.lookup(path);
                return -Errno.ENOTDIR.code();
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("opendir", path, 0, 0, t);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return 0;
    }

    @Override
    public int access(String path, int mask) {
        try {
            if (dir.directory(path, rootTimeNanos) == null) {
                dir.lookup(path);
            }
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("access", path, 0, 0, t);
        }
    }

    // ------------------------------------------------------------------ data

    // read and write are registered so that jnr-fuse reserves their slots in the operation
    // table; RawDataCallbacks then installs allocation-free versions there.
    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return -Errno.EIO.code();
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return -Errno.EIO.code();
    }

    @Override
    public int truncate(String path, @off_t long size) {
        try {
            dir.truncate(path, size);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("truncate", path, size, 0, t);
        }
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        try {
            dir.ftruncate(fi.fh.get(), size);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("ftruncate", path, size, 0, t);
        }
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        try {
            dir.fallocate(fi.fh.get(), mode, off, length);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("fallocate", path, off, length, t);
        }
    }

    // ------------------------------------------------------------------ namespace

    @Override
    public int unlink(String path) {
        try {
            dir.unlink(path);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("unlink", path, 0, 0, t);
        }
    }

    @Override
    public int rename(String oldpath, String newpath) {
        try {
            dir.rename(oldpath, newpath);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("rename", oldpath, 0, 0, t);
        }
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        try {
            if (DiskDirectory.isRoot(path)) {
                return -Errno.EPERM.code();
            }
            dir.chmod(path, (int) mode);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("chmod", path, 0, 0, t);
        }
    }

    @Override
    public int chown(String path, long uid, long gid) {
        try {
            if (DiskDirectory.isRoot(path)) {
                return -Errno.EPERM.code();
            }
            dir.chown(path, (int) uid, (int) gid);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("chown", path, 0, 0, t);
        }
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        try {
            if (DiskDirectory.isRoot(path)) {
                return 0;
            }
            dir.utimens(path, nanos(timespec[0]), nanos(timespec[1]));
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("utimens", path, 0, 0, t);
        }
    }

    private static long nanos(Timespec t) {
        long ns = t.tv_nsec.longValue();
        if (ns == UTIME_NOW) {
            return DiskDirectory.UTIME_NOW;
        }
        if (ns == UTIME_OMIT) {
            return DiskDirectory.UTIME_OMIT;
        }
        return saturatedNanos(t.tv_sec.get(), ns);
    }

    /**
     * Seconds and nanoseconds as one count of nanoseconds, held at the ends of what a long holds
     * (about the years 1678 and 2262) instead of wrapping around: {@code touch -d 2300-01-01}
     * otherwise read back as a date in 1715, and a wrapped value could even hit the UTIME_NOW or
     * UTIME_OMIT markers. ext4 clamps out-of-range times the same way.
     */
    static long saturatedNanos(long seconds, long nanos) {
        long lowest = DiskDirectory.UTIME_NOW + 1; // below it: the markers
        try {
            return Math.max(lowest, Math.addExact(Math.multiplyExact(seconds, 1_000_000_000L), nanos));
        } catch (ArithmeticException e) {
            return seconds > 0 ? Long.MAX_VALUE : lowest;
        }
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        try {
            String prefix = "/" + io.ramdiskfs.DiskNames.SNAPSHOT_DIRECTORY + "/";
            String name = path.startsWith(prefix) ? path.substring(prefix.length()) : null;
            if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
                return refuse("mkdir", path);
            }
            dir.snapshotAll(name);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("mkdir", path, 0, 0, t);
        }
    }

    @Override
    public int rmdir(String path) {
        try {
            if (DiskDirectory.isRoot(path)) {
                return -Errno.EPERM.code();
            }
            dir.deleteSnapshot(path);
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("rmdir", path, 0, 0, t);
        }
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return refuse("symlink", newpath);
    }

    @Override
    public int link(String oldpath, String newpath) {
        return refuse("link", newpath);
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return refuse("mknod", path);
    }

    private static int refuse(String op, String path) {
        return -DiskDirectory.notADiskOperation(op, path).errno().code();
    }

    // ------------------------------------------------------------------ extended attributes

    /**
     * The kernel asks for {@code security.capability} before every write (to clear set-user-ID
     * bits), so names other than ours are answered at once, without an exception.
     */
    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        if (!ControlAttributes.isOurs(name)) {
            return -Errno.ENODATA.code();
        }
        try {
            byte[] v = dir.xattr(path, name);
            return copyOut(v, value, size);
        } catch (Throwable t) {
            return ErrnoMapper.fail("getxattr", path, 0, size, t);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            List<String> names = dir.xattrNames(path); // the root has user.ramdiskfs.status
            StringBuilder sb = new StringBuilder();
            for (String n : names) {
                sb.append(n).append('\0');
            }
            return copyOut(sb.toString().getBytes(StandardCharsets.UTF_8), list, size);
        } catch (Throwable t) {
            return ErrnoMapper.fail("listxattr", path, 0, size, t);
        }
    }

    private static int copyOut(byte[] v, Pointer to, long size) {
        if (size == 0) {
            return v.length;
        }
        if (size < v.length) {
            return -Errno.ERANGE.code();
        }
        to.put(0, v, 0, v.length);
        return v.length;
    }

    /**
     * The value is text, decoded by {@link ControlAttributes#decodeValue}. Refused: more than
     * {@link ControlAttributes#MAX_VALUE_BYTES} ({@code ERANGE}), bytes that are not UTF-8
     * ({@code EINVAL}), flags other than XATTR_CREATE and XATTR_REPLACE ({@code EINVAL}, as the
     * kernel answers itself).
     */
    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        try {
            if (size < 0 || size > ControlAttributes.MAX_VALUE_BYTES) {
                return -Errno.ERANGE.code();
            }
            if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) {
                return -Errno.EINVAL.code();
            }
            if (!ControlAttributes.isOurs(name)) {
                // Not ours, whatever the value (cp -a, rsync -X copying binary ones): what tools
                // take for "no extended attributes here", before any decoding could say EINVAL.
                return -Errno.EOPNOTSUPP.code();
            }
            byte[] v = new byte[(int) size];
            value.get(0, v, 0, v.length);
            String text = ControlAttributes.decodeValue(v);
            if (text == null) {
                return -Errno.EINVAL.code();
            }
            Caller c = caller.get();
            dir.setXattr(path, name, text, c.uid(), c.gid());
            return 0;
        } catch (Throwable t) {
            return ErrnoMapper.fail("setxattr " + name, path, 0, size, t);
        }
    }

    @Override
    public int removexattr(String path, String name) {
        return ControlAttributes.isOurs(name) ? -Errno.EPERM.code() : -Errno.EOPNOTSUPP.code();
    }

}
