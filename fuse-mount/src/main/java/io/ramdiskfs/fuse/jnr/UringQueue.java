package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fs.Errno;
import io.ramdiskfs.fuse.jnr.FuseKernel.InHeader;
import io.ramdiskfs.fuse.jnr.FuseKernel.UringCmdReq;
import io.ramdiskfs.fuse.jnr.FuseKernel.UringEntInOut;
import io.ramdiskfs.fuse.jnr.FuseKernel.UringHeader;
import io.ramdiskfs.fuse.jnr.IoUring.Cqe;
import io.ramdiskfs.fuse.jnr.IoUring.Sqe;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE-over-io_uring queue: the kernel's queue {@code qid} (one per possible CPU; a request
 * goes to the queue of the CPU its caller runs on), served by one thread pinned to that CPU that
 * owns its ring, its entries' buffers and a {@link DataRequests.Worker}.
 *
 * <p>Each entry is a 288-byte header buffer and a payload buffer as large as the largest request.
 * The thread registers them all, then loops: wait for completions (a request copied into an
 * entry), serve each (READ/WRITE/LSEEK/COPY_FILE_RANGE by the worker, anything else by libfuse2
 * through {@link RingReplyChannel}), and hand every reply back with COMMIT_AND_FETCH, all of one
 * sweep in one {@code io_uring_enter} that also waits for the next. So a request costs the server
 * one system call instead of a {@code read} and a {@code writev}.
 *
 * <p>The one-thread rule is the kernel's: it copies a request into an entry as task work of the
 * thread that submitted the entry's command. The wait is bounded (a second), so a queue whose
 * mount is gone without telling it (never seen, but a hang at unmount is the one failure not
 * allowed) still ends when {@link #stop} is called.
 */
final class UringQueue {
    private static final Logger log = LoggerFactory.getLogger(UringQueue.class);
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Header buffers are spaced 512 bytes apart (288 used) to keep each in its own cache lines. */
    private static final int HEADER_STRIDE = 512;
    private static final int AFFINITY_MASK_BYTES = 128;
    private static final long HUGE_PAGE = 2L << 20;

    private final int qid;
    private final int depth;
    private final int devFuse;
    private final long payloadBytes;
    private final UringTransport transport;
    private final Thread thread;
    private final CountDownLatch prepared = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean go;
    private volatile boolean stopping;
    private volatile String failure;
    /**
     * Requests served by this queue. Written by its thread only (a plain add, no fence on the I/O
     * path); read by others as a statistic.
     */
    private long requests;

    /** The CPU the thread is pinned to, or -1. */
    private final int cpu;

    /**
     * @param ring this queue's ring number among the rings of its {@code qid}, for the thread name
     * @param cpu  the CPU to pin the thread to (its queue's own, where its requests come from), or -1
     */
    UringQueue(UringTransport transport, int qid, int ring, int cpu, int depth, int devFuse, long payloadBytes) {
        this.transport = transport;
        this.qid = qid;
        this.cpu = cpu;
        this.depth = depth;
        this.devFuse = devFuse;
        this.payloadBytes = payloadBytes;
        this.thread = new Thread(this::run, "fuse-uring-" + qid + "." + ring);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits until the ring and buffers exist; the reason when they could not be made, else null. */
    String awaitPrepared(long millis) throws InterruptedException {
        if (!prepared.await(millis, TimeUnit.MILLISECONDS)) {
            return "queue " + qid + " was not ready within " + millis + " ms";
        }
        return failure;
    }

    /** Registers the entries (after the INIT reply), or, with {@code register} false, gives up. */
    void release(boolean register) {
        go = register;
        released.countDown();
    }

    long requests() {
        return requests;
    }

    void stop() {
        stopping = true;
        released.countDown();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
        if (thread.isAlive()) {
            log.warn("io_uring queue {} did not end within {} ms", qid, millis);
        }
    }

    private void run() {
        IoUring ring = null;
        long headers = 0;
        Pointer payloads = null;
        long payloadBase = 0;
        long iovs = 0;
        Pointer request = null;
        RingReplyChannel channel = null;
        DataRequests.Worker worker = null;
        Libc libc = Libc.get();
        long used = payloadBytes * depth;
        long mapped = used + HUGE_PAGE;
        try {
            if (cpu >= 0) {
                pin(libc);
            }
            ring = new IoUring(depth, 2 * depth);
            if (!ring.registerFile(devFuse)) {
                throw new IllegalStateException("registering /dev/fuse with the ring failed");
            }
            headers = NativeMemory.allocate((long) HEADER_STRIDE * depth);
            NativeMemory.zero(null, headers, (long) HEADER_STRIDE * depth);
            // Untouched payload pages cost nothing: only what requests use becomes resident.
            payloads = libc.mmap(null, mapped, Libc.PROT_READ | Libc.PROT_WRITE,
                    Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
            if (payloads == null || payloads.address() == 0 || payloads.address() == -1) {
                payloads = null;
                throw new IllegalStateException("mapping " + mapped + " bytes of payload buffers failed");
            }
            // On 2 MiB pages where the kernel has them: each 1 MiB reply is copied twice through
            // this memory (by us into it, by the kernel out of it), and huge pages spare the TLB.
            payloadBase = (payloads.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
            libc.madvise(Pointer.wrap(Runtime.getSystemRuntime(), payloadBase), used, Libc.MADV_HUGEPAGE);
            iovs = NativeMemory.allocate((long) FuseKernel.IOVEC_SIZE * FuseKernel.URING_IOV_SEGS * depth);
            Runtime rt = Runtime.getSystemRuntime();
            request = Memory.allocateDirect(rt, InHeader.SIZE + UringHeader.OP_IN + payloadBytes, false);
            channel = transport.newReplyChannel();
            worker = transport.newWorker();
        } catch (Throwable t) {
            failure = "queue " + qid + ": " + t.getMessage();
        }
        prepared.countDown();
        try {
            if (failure == null) {
                released.await();
                if (go && !stopping) {
                    serve(ring, headers, payloadBase, iovs, request, channel, worker);
                }
            }
        } catch (Throwable t) {
            log.error("io_uring queue {} failed", qid, t);
        } finally {
            if (ring != null) {
                ring.close(); // cancels what is still registered
            }
            if (headers != 0) {
                NativeMemory.free(headers);
            }
            if (payloads != null) {
                libc.munmap(payloads, mapped);
            }
            if (iovs != 0) {
                NativeMemory.free(iovs);
            }
            if (worker != null) {
                worker.close();
            }
            if (channel != null) {
                transport.destroy(channel);
            }
        }
    }

    /** Pins the thread to {@link #cpu}. */
    private void pin(Libc libc) {
        long mask = NativeMemory.allocate(AFFINITY_MASK_BYTES);
        try {
            NativeMemory.zero(null, mask, AFFINITY_MASK_BYTES);
            if (cpu < AFFINITY_MASK_BYTES * 8) {
                long word = mask + (cpu / 64) * 8L;
                NativeMemory.putLong(word, 1L << (cpu % 64));
                libc.sched_setaffinity(0, AFFINITY_MASK_BYTES, mask); // an offline CPU: stays unpinned
            }
        } finally {
            NativeMemory.free(mask);
        }
    }

    private void serve(IoUring ring, long headers, long payloads, long iovs, Pointer request, RingReplyChannel channel,
            DataRequests.Worker worker) {
        for (int i = 0; i < depth; i++) {
            long iov = iovs + (long) i * FuseKernel.IOVEC_SIZE * FuseKernel.URING_IOV_SEGS;
            NativeMemory.putLong(iov, headers + (long) i * HEADER_STRIDE);
            NativeMemory.putLong(iov + 8, UringHeader.SIZE);
            NativeMemory.putLong(iov + 16, payloads + i * payloadBytes);
            NativeMemory.putLong(iov + 24, payloadBytes);
            long sqe = command(ring, FuseKernel.FUSE_IO_URING_CMD_REGISTER, i, 0);
            NativeMemory.putLong(sqe + Sqe.ADDR, iov);
            NativeMemory.putInt(sqe + Sqe.LEN, FuseKernel.URING_IOV_SEGS);
        }
        int live = depth;
        while (live > 0) {
            int r = ring.submitAndWait(WAIT_NANOS);
            if (r < 0 && r != -Errno.EINTR.code() && r != -ETIME && r != -Errno.EAGAIN.code() && r != -EBUSY) {
                log.warn("io_uring_enter on queue {} failed with errno {}; the queue stops", qid, -r);
                return;
            }
            if (stopping && r == -ETIME) {
                return;
            }
            int head = ring.cqHead();
            int tail = ring.cqTail();
            for (; head != tail; head++) {
                long cqe = ring.cqe(head);
                int entry = (int) NativeMemory.getLong(cqe + Cqe.USER_DATA);
                int res = NativeMemory.getInt(cqe + Cqe.RES);
                long header = headers + (long) entry * HEADER_STRIDE;
                if (res == 0) {
                    long payload = payloads + entry * payloadBytes;
                    handle(header, payload, request, channel, worker);
                    command(ring, FuseKernel.FUSE_IO_URING_CMD_COMMIT_AND_FETCH, entry,
                            NativeMemory.getLong(header + UringHeader.ENT_IN_OUT + UringEntInOut.COMMIT_ID));
                } else if (res == -Errno.EAGAIN.code() || res == -Errno.EINTR.code()) {
                    log.debug("io_uring queue {} entry {}: errno {}, not retried", qid, entry, -res);
                    live--;
                } else {
                    // ENOTCONN: the connection is gone (unmounted or aborted), the normal end.
                    if (res != -ENOTCONN) {
                        log.warn("io_uring queue {} entry {} ended with errno {}", qid, entry, -res);
                    }
                    live--;
                }
            }
            ring.advance(head);
        }
    }

    private void handle(long header, long payload, Pointer request, RingReplyChannel channel, DataRequests.Worker worker) {
        requests++;
        int payloadSize = NativeMemory.getInt(header + UringHeader.ENT_IN_OUT + UringEntInOut.PAYLOAD_SZ);
        try {
            if (worker != null && worker.serveRing(header, payload, payloadSize)) {
                return;
            }
            // libfuse2 wants the request in one piece: in header, first argument, the rest.
            int length = NativeMemory.getInt(header + InHeader.LEN);
            int opIn = length - InHeader.SIZE - payloadSize;
            if (opIn < 0 || opIn > UringHeader.OP_IN || payloadSize < 0 || payloadSize > payloadBytes) {
                RingReplyChannel.errorReply(header, Errno.EIO.code());
                return;
            }
            long buf = request.address();
            NativeMemory.copy(null, header, null, buf, InHeader.SIZE);
            NativeMemory.copy(null, header + UringHeader.OP_IN, null, buf + InHeader.SIZE, opIn);
            NativeMemory.copy(null, payload, null, buf + InHeader.SIZE + opIn, payloadSize);
            channel.begin(header, payload, payloadBytes);
            transport.process(request, length, channel);
            if (!channel.replied()) {
                RingReplyChannel.errorReply(header, Errno.EIO.code());
            }
        } catch (Throwable t) {
            log.error("serving a request on io_uring queue {} failed", qid, t);
            RingReplyChannel.errorReply(header, Errno.EIO.code());
        }
    }

    /** Queues a FUSE ring command for {@code entry}. */
    private long command(IoUring ring, int cmd, int entry, long commitId) {
        long sqe = ring.nextSqe(); // never 0: the ring has an SQE per entry, and each entry has one command at a time
        NativeMemory.putInt(sqe + Sqe.OPCODE, IoUring.OP_URING_CMD | (IoUring.SQE_FIXED_FILE << 8));
        NativeMemory.putInt(sqe + Sqe.FD, 0); // fixed file 0: /dev/fuse
        NativeMemory.putInt(sqe + Sqe.CMD_OP, cmd);
        NativeMemory.putLong(sqe + Sqe.USER_DATA, entry);
        NativeMemory.putLong(sqe + Sqe.CMD + UringCmdReq.COMMIT_ID, commitId);
        NativeMemory.putInt(sqe + Sqe.CMD + UringCmdReq.QID, qid);
        return sqe;
    }

    private static final int ETIME = Errno.ETIME.code();
    private static final int EBUSY = Errno.EBUSY.code();
    private static final int ENOTCONN = Errno.ENOTCONN.code();
}
