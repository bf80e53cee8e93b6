package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fuse.jnr.FuseKernel.InHeader;
import io.ramdiskfs.fuse.jnr.FuseKernel.InitIn;
import io.ramdiskfs.fuse.jnr.FuseKernel.InitOut;
import io.ramdiskfs.fuse.jnr.FuseKernel.OutHeader;
import jnr.ffi.Pointer;

/**
 * The {@link HookedChannel} through which the {@code INIT} request alone is processed: its send
 * hook extends libfuse2's init reply with {@code FUSE_MAX_PAGES} and a larger {@code max_write},
 * so the kernel sends a 1 MiB read or write as one request instead of eight of 128 KiB.
 *
 * <p>Why: a synchronous direct read or write (qemu with {@code cache=none}, {@code dd
 * oflag=direct}, fio) waits for each request before it sends the next, so a 1 MiB transfer paid
 * eight round trips through the daemon; with one it pays one. libfuse2 speaks protocol 7.19, whose
 * {@code fuse_init_out} ends at {@code max_write}; {@code max_pages} came in 7.28 (Linux 4.20), in
 * the bytes right after it, and the kernel reads whatever part of the newer structure a reply
 * carries. So a 24-byte reply becomes a 32-byte one. Only when the kernel offers
 * {@code FUSE_MAX_PAGES} in its {@code INIT} request; an older kernel gets libfuse's reply as it
 * is. libfuse itself never learns of the larger size and needs not: it hands the request buffer
 * to the file system as it is, and {@link FuseLoop} sizes that buffer for the largest request.
 */
final class InitReplyChannel extends HookedChannel {
    static final int PAGE = 4096;
    private static final int IN_HEADER = InHeader.SIZE;
    private static final int OUT_HEADER = OutHeader.SIZE;
    private static final int IOVEC = FuseKernel.IOVEC_SIZE;

    /** {@code max_stack_depth}: the FUSE layer over a tmpfs file (depth 0). */
    static final int STACK_DEPTH = 1;

    private final int maxRequestBytes;
    /** Asks for FUSE passthrough when the kernel offers it; null when not wanted. */
    private final Passthrough passthrough;
    /** The INIT request being answered offered FUSE_PASSTHROUGH (and we want it). */
    private volatile boolean passthroughOffered;
    /** ... and FUSE_HANDLE_KILLPRIV_V2. */
    private volatile boolean killPrivOffered;
    /** One iovec, then the message it points at. */
    private final long scratch;

    private InitReplyChannel(FuseLoop.LibFuse2 fuse, Pointer original, int maxRequestBytes, Passthrough passthrough) {
        super(fuse, original);
        this.maxRequestBytes = maxRequestBytes;
        this.passthrough = passthrough;
        this.scratch = NativeMemory.allocate(IOVEC + OUT_HEADER + InitOut.SIZE);
        if (passthrough != null) {
            passthrough.attach(fd);
        }
    }

    /**
     * A channel beside {@code original} whose init reply asks for requests of up to
     * {@code maxRequestBytes} (checked by {@link Serving}), and for FUSE passthrough when
     * {@code passthrough} is not null.
     */
    static InitReplyChannel beside(FuseLoop.LibFuse2 fuse, Pointer original, int maxRequestBytes, Passthrough passthrough) {
        return new InitReplyChannel(fuse, original, maxRequestBytes, passthrough);
    }

    /**
     * True when this channel should process the request ({@link #wants}); remembers whether the
     * kernel offers passthrough, for the reply.
     */
    boolean accepts(long request, int length) {
        if (!wants(request, length)) {
            return false;
        }
        if (passthrough != null) {
            passthroughOffered = offersPassthrough(request, length);
            killPrivOffered = (NativeMemory.getInt(request + IN_HEADER + InitIn.FLAGS)
                    & FuseKernel.low(FuseKernel.FUSE_HANDLE_KILLPRIV_V2)) != 0;
            if (!passthroughOffered) {
                passthrough.notOffered();
            }
        }
        return true;
    }

    /** True for an INIT request whose extended flags offer FUSE_PASSTHROUGH (Linux 6.9+). */
    static boolean offersPassthrough(long request, int length) {
        if (length < IN_HEADER + InitIn.FLAGS2 + 4) {
            return false;
        }
        long in = request + IN_HEADER;
        return (NativeMemory.getInt(in + InitIn.FLAGS) & FuseKernel.low(FuseKernel.FUSE_INIT_EXT)) != 0
                && (NativeMemory.getInt(in + InitIn.FLAGS2) & FuseKernel.high(FuseKernel.FUSE_PASSTHROUGH)) != 0;
    }

    /**
     * True for an {@code INIT} request (the whole request at {@code request}, {@code length}
     * bytes) from a kernel that takes {@code max_pages}.
     */
    static boolean wants(long request, int length) {
        if (length < IN_HEADER + InitIn.FLAGS + 4 || NativeMemory.getInt(request + InHeader.OPCODE) != FuseKernel.FUSE_INIT) {
            return false;
        }
        long in = request + IN_HEADER;
        return NativeMemory.getInt(in + InitIn.MAJOR) == FuseKernel.KERNEL_VERSION && NativeMemory.getInt(in + InitIn.MINOR) >= 28
                && (NativeMemory.getInt(in + InitIn.FLAGS) & FuseKernel.low(FuseKernel.FUSE_MAX_PAGES)) != 0;
    }

    @Override
    protected synchronized long deliver(long iov, int count) {
        long message = scratch + IOVEC;
        boolean askPassthrough = passthroughOffered;
        int length = extend(iov, count, message, maxRequestBytes, askPassthrough, askPassthrough && killPrivOffered);
        if (length < 0) {
            return libc.writev(fd, iov, count);
        }
        NativeMemory.putLong(scratch, message);
        NativeMemory.putLong(scratch + 8, length);
        long n = libc.writev(fd, scratch, 1);
        // The kernel processes the INIT reply inside this writev: passthrough is on once it returns.
        if (n == length && askPassthrough) {
            passthrough.granted();
        }
        return n;
    }

    @Override
    protected String what() {
        return "the init reply";
    }

    /**
     * Copies libfuse's successful 7.19 init reply (the {@code count} iovecs at {@code iov}) to
     * {@code out} as a 7.28 reply that sets {@code max_write} to {@code maxRequestBytes} and
     * {@code max_pages} to match; {@code out} has room for {@code 16 + 64} bytes. With
     * {@code passthrough} it becomes the whole 64-byte reply of 7.40+, which also asks for
     * {@code FUSE_PASSTHROUGH} (in {@code flags2}, behind {@code FUSE_INIT_EXT}) with a
     * {@code max_stack_depth} of {@link #STACK_DEPTH}; the kernel reads these whatever minor
     * version the reply names. With {@code killPriv} it also sets {@code FUSE_HANDLE_KILLPRIV_V2}:
     * otherwise the kernel asks for {@code security.capability} (a round trip through the
     * daemon) before every passthrough write, which measured 40k 4 KiB writes per second instead
     * of 540k.
     *
     * @return the new message's length, or -1 when the reply is not such a reply (an error, or
     *     another size), which then goes to the kernel unchanged
     */
    static int extend(long iov, int count, long out, int maxRequestBytes, boolean passthrough) {
        return extend(iov, count, out, maxRequestBytes, passthrough, false);
    }

    static int extend(long iov, int count, long out, int maxRequestBytes, boolean passthrough, boolean killPriv) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += NativeMemory.getLong(iov + (long) i * IOVEC + 8);
        }
        if (total != OUT_HEADER + InitOut.SIZE_7_19) {
            return -1;
        }
        long at = out;
        for (int i = 0; i < count; i++) {
            long len = NativeMemory.getLong(iov + (long) i * IOVEC + 8);
            NativeMemory.copy(null, NativeMemory.getLong(iov + (long) i * IOVEC), null, at, len);
            at += len;
        }
        long arg = out + OUT_HEADER;
        if (NativeMemory.getInt(out + OutHeader.ERROR) != 0 || NativeMemory.getInt(arg + InitOut.MAJOR) != FuseKernel.KERNEL_VERSION) {
            return -1;
        }
        int length = OUT_HEADER + InitOut.SIZE_7_28;
        NativeMemory.putInt(out + OutHeader.LEN, length);
        NativeMemory.putInt(arg + InitOut.FLAGS, NativeMemory.getInt(arg + InitOut.FLAGS) | FuseKernel.low(FuseKernel.FUSE_MAX_PAGES));
        NativeMemory.putInt(arg + InitOut.MAX_WRITE, maxRequestBytes);
        NativeMemory.putInt(arg + InitOut.TIME_GRAN, 0);
        // max_pages (u16) and map_alignment (u16, 0), little-endian, as one int.
        NativeMemory.putInt(arg + InitOut.MAX_PAGES, maxRequestBytes / PAGE);
        if (passthrough) {
            length = OUT_HEADER + InitOut.SIZE;
            NativeMemory.putInt(out + OutHeader.LEN, length);
            NativeMemory.zero(null, arg + InitOut.SIZE_7_28, InitOut.SIZE - InitOut.SIZE_7_28);
            NativeMemory.putInt(arg + InitOut.FLAGS, NativeMemory.getInt(arg + InitOut.FLAGS) | FuseKernel.low(FuseKernel.FUSE_INIT_EXT));
            NativeMemory.putInt(arg + InitOut.FLAGS2, FuseKernel.high(FuseKernel.FUSE_PASSTHROUGH));
            NativeMemory.putInt(arg + InitOut.MAX_STACK_DEPTH, STACK_DEPTH);
            if (killPriv) {
                NativeMemory.putInt(arg + InitOut.FLAGS,
                        NativeMemory.getInt(arg + InitOut.FLAGS) | FuseKernel.low(FuseKernel.FUSE_HANDLE_KILLPRIV_V2));
            }
        }
        return length;
    }

    @Override
    void destroy(FuseLoop.LibFuse2 fuse) {
        super.destroy(fuse);
        NativeMemory.free(scratch);
    }
}
