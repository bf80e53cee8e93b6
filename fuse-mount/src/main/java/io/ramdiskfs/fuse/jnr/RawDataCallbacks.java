package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disk.image.FileLayer;
import io.ramdiskfs.fs.ControlAttributes;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.fs.ErrnoMapper;
import java.nio.charset.StandardCharsets;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * The read and write callbacks, installed in libfuse's operation table in place of jnr-fuse's.
 * jnr-fuse's decode the path into a {@code String} and wrap the file info in a fresh
 * {@code Struct} for every request; these take raw addresses, read the handle straight out of
 * {@code struct fuse_file_info}, and pass the FUSE buffer's address to the disk, so the data path
 * allocates nothing in Java and copies once. The path is decoded only to log a failure.
 */
final class RawDataCallbacks {
    /** {@code read} with every pointer as a raw address. */
    public interface RawRead {
        @Delegate
        int read(@intptr_t long path, @intptr_t long buf, @size_t long size, @off_t long offset, @intptr_t long fi);
    }

    /** {@code write} with every pointer as a raw address. */
    public interface RawWrite {
        @Delegate
        int write(@intptr_t long path, @intptr_t long buf, @size_t long size, @off_t long offset, @intptr_t long fi);
    }

    /** {@code read_buf} with every pointer as a raw address. */
    public interface RawReadBuf {
        @Delegate
        int readBuf(@intptr_t long path, @intptr_t long bufp, @size_t long size, @off_t long offset, @intptr_t long fi);
    }

    /** {@code getxattr} with every pointer as a raw address. */
    public interface RawGetxattr {
        @Delegate
        int getxattr(@intptr_t long path, @intptr_t long name, @intptr_t long value, @size_t long size);
    }

    private static final byte[] OURS = ControlAttributes.PREFIX.getBytes(StandardCharsets.UTF_8);
    // struct fuse_bufvec { size_t count, idx, off; struct fuse_buf buf[1]; } with
    // struct fuse_buf { size_t size; enum fuse_buf_flags flags; void *mem; int fd; off_t pos; }
    private static final int BUFVEC_BYTES = 64;
    private static final int BUF_SIZE = 24;
    private static final int BUF_FLAGS = 32;
    private static final int BUF_MEM = 40;
    private static final int BUF_FD = 48;
    private static final int BUF_POS = 56;
    private static final int FUSE_BUF_IS_FD = 1 << 1;
    private static final int FUSE_BUF_FD_SEEK = 1 << 2;

    private final DiskDirectory dir;
    private final long fhOffset;
    private final JnrFuseAdapter adapter;
    // Held so the closures stay reachable for as long as libfuse may call them.
    private final RawRead read = this::read;
    private final RawWrite write = this::write;
    private final RawGetxattr getxattr = this::getxattr;
    private final RawReadBuf readBuf = this::readBuf;
    private final Libc libc = Libc.get();
    private final ImageDescriptors images = new ImageDescriptors();

    private RawDataCallbacks(DiskDirectory dir, JnrFuseAdapter adapter) {
        this.dir = dir;
        this.adapter = adapter;
        Runtime rt = Runtime.getSystemRuntime();
        this.fhOffset = FuseFileInfo.of(jnr.ffi.Memory.allocateDirect(rt, 128)).fh.offset();
    }

    /**
     * Replaces the read, write and getxattr entries of {@code ops}; returns what must stay
     * reachable and be closed after the loop ends.
     *
     * @param imageReads serve reads with {@code read_buf}, handing those that fall through to a
     *                   memdiff image to libfuse as the file itself (spliced with
     *                   {@code -o splice_write}) instead of copying them through Java
     */
    static RawDataCallbacks install(FuseOperations ops, DiskDirectory dir, JnrFuseAdapter adapter, boolean imageReads) {
        RawDataCallbacks c = new RawDataCallbacks(dir, adapter);
        var closures = Runtime.getSystemRuntime().getClosureManager();
        var memory = Struct.getMemory(ops);
        if (imageReads) {
            memory.putPointer(ops.read_buf.offset(), closures.getClosurePointer(RawReadBuf.class, c.readBuf));
        }
        memory.putPointer(ops.read.offset(), closures.getClosurePointer(RawRead.class, c.read));
        memory.putPointer(ops.write.offset(), closures.getClosurePointer(RawWrite.class, c.write));
        memory.putPointer(ops.getxattr.offset(), closures.getClosurePointer(RawGetxattr.class, c.getxattr));
        return c;
    }

    /**
     * The kernel asks for {@code security.capability} before every write (FUSE does not let an
     * inode remember that it has none), so a name that is not ours is refused here, from its raw
     * bytes, before any string is made.
     */
    int getxattr(long path, long name, long value, long size) {
        try {
            for (int i = 0; i < OURS.length; i++) {
                if (NativeMemory.getByte(null, name + i) != OURS[i]) {
                    return -Errno.ENODATA.code();
                }
            }
            return adapter.getxattr(cString(path), cString(name), jnr.ffi.Pointer.wrap(Runtime.getSystemRuntime(), value), size);
        } catch (Throwable t) {
            return ErrnoMapper.fail("getxattr", cString(path), 0, size, t);
        }
    }

    int read(long path, long buf, long size, long offset, long fi) {
        try {
            return dir.read(NativeMemory.getLong(fi + fhOffset), offset, null, buf, (int) Math.min(size, Integer.MAX_VALUE));
        } catch (Throwable t) {
            return ErrnoMapper.fail("read", cString(path), offset, size, t);
        }
    }

    /**
     * A read as libfuse's {@code read_buf}: when every byte asked for would come from a memdiff
     * disk's image, the answer is that file at that offset (one copy, kernel to kernel, with
     * splice); otherwise the disk copies into a buffer allocated here, as libfuse's own
     * {@code read} path does. libfuse frees both the vector and its memory.
     */
    private int readBuf(long path, long bufp, long size, long offset, long fi) {
        long vec = 0;
        long mem = 0;
        try {
            long fh = NativeMemory.getLong(fi + fhOffset);
            int n = (int) Math.min(size, Integer.MAX_VALUE);
            FileLayer image = dir.imageUnder(fh, offset, n);
            int fd = image == null ? -1 : images.lend(image);
            vec = libc.malloc(BUFVEC_BYTES);
            if (vec == 0) {
                return -Errno.ENOMEM.code();
            }
            NativeMemory.zero(null, vec, BUFVEC_BYTES);
            NativeMemory.putLong(vec, 1); // count
            if (fd >= 0) {
                long available = Math.max(0, Math.min(n, dir.file(fh).disk().sizeBytes() - offset));
                NativeMemory.putLong(vec + BUF_SIZE, available);
                NativeMemory.putInt(vec + BUF_FLAGS, FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
                NativeMemory.putInt(vec + BUF_FD, fd);
                NativeMemory.putLong(vec + BUF_POS, offset);
            } else {
                mem = libc.malloc(Math.max(n, 1));
                if (mem == 0) {
                    libc.free(vec);
                    return -Errno.ENOMEM.code();
                }
                NativeMemory.putLong(vec + BUF_MEM, mem);
                NativeMemory.putLong(vec + BUF_SIZE, dir.read(fh, offset, null, mem, n));
            }
            NativeMemory.putLong(bufp, vec);
            return 0;
        } catch (Throwable t) {
            libc.free(mem);
            libc.free(vec);
            return ErrnoMapper.fail("read", cString(path), offset, size, t);
        }
    }

    /** The FUSE loop's word that the request on this thread is done: a descriptor lent to it may close. */
    void requestDone() {
        images.requestDone();
    }

    /** Closes what {@link #readBuf} opened; call once no request can arrive any more. */
    void close() {
        images.close();
    }

    int write(long path, long buf, long size, long offset, long fi) {
        try {
            return dir.write(NativeMemory.getLong(fi + fhOffset), offset, null, buf, (int) Math.min(size, Integer.MAX_VALUE));
        } catch (Throwable t) {
            return ErrnoMapper.fail("write", cString(path), offset, size, t);
        }
    }

    private static String cString(long address) {
        if (address == 0) {
            return "?";
        }
        int n = 0;
        while (n < 4096 && NativeMemory.getByte(null, address + n) != 0) {
            n++;
        }
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = NativeMemory.getByte(null, address + i);
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}
