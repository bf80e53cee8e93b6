package io.ramdiskfs.fuse.jnr;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToIntFunction;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FUSE-over-io_uring (Linux 6.14+, protocol 7.42) for one mount: asked for in the INIT reply
 * ({@link InitReplyChannel}), then served by one {@link UringQueue} per possible CPU. The
 * {@code /dev/fuse} workers of {@link FuseLoop} stay: INIT, FORGET, INTERRUPT and whatever came
 * before the rings were ready still arrive there.
 *
 * <p>Order, as the kernel needs it: the rings and buffers are made before INIT is answered (so a
 * machine where io_uring cannot be set up, e.g. {@code kernel.io_uring_disabled}, is found out
 * while the answer can still leave the flag out; once the kernel has the flag, every request
 * waits until every queue has an entry registered); the entries are registered only after the
 * reply was written (the kernel refuses them before). A REGISTER the kernel refuses turns the
 * connection back to /dev/fuse by itself. Every way of not using the ring is logged once.
 */
final class UringTransport {
    private static final Logger log = LoggerFactory.getLogger(UringTransport.class);
    static final Path POSSIBLE_CPUS = Path.of("/sys/devices/system/cpu/possible");
    static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static final long PREPARE_MILLIS = 10_000;
    /**
     * Rings (threads) registered on each kernel queue, the second on the next CPU. The kernel
     * puts a request on its caller's CPU's queue and never moves it; with one ring per queue, two
     * fio jobs on one CPU waited for that CPU's ring while the other CPU idled (4-job random
     * writes on a memdiff disk 0.74 of /dev/fuse; with two, 0.97, docs/performance.md).
     */
    private static final int RINGS_PER_QUEUE = Integer.getInteger("ramdiskfs.uring.rings", 2);
    /**
     * Entries per ring. One: a ring's thread serves its entries one after another, so a request
     * that waits inside the file system (two writers meeting in DirectIoIT, a range lock) would
     * hold up the requests already copied into the ring's other entries, while the other ring
     * of the queue idles. With one entry per ring the kernel keeps the rest in its queue and
     * gives each to whichever ring commits first, as /dev/fuse gives it to whichever worker reads.
     */
    static final int DEPTH = Integer.getInteger("ramdiskfs.uring.depth", 1);
    /** Pin each ring's thread to its queue's CPU, as libfuse does. */
    private static final boolean PINNED = Boolean.parseBoolean(System.getProperty("ramdiskfs.uring.pin", "true"));

    private final FuseLoop.LibFuse2 lib;
    private final Pointer session;
    private final Pointer mountChannel;
    private final int devFuse;
    private final DataRequests data;
    private final boolean parallelWrites;
    private final LongToIntFunction backingIds;
    private final int depth;
    private final long payloadBytes;
    private final List<UringQueue> queues = new ArrayList<>();
    private volatile boolean active;

    /**
     * @param data            serves READ/WRITE/... from the entries; null leaves them to libfuse
     * @param maxRequestBytes the largest read or write (max_write, max_pages): each entry's payload
     */
    UringTransport(FuseLoop.LibFuse2 lib, Pointer session, Pointer mountChannel, DataRequests data, boolean parallelWrites,
            LongToIntFunction backingIds, int depth, int maxRequestBytes) {
        this.lib = lib;
        this.session = session;
        this.mountChannel = mountChannel;
        this.devFuse = lib.fuse_chan_fd(mountChannel);
        this.data = data;
        this.parallelWrites = parallelWrites;
        this.backingIds = backingIds;
        this.depth = depth;
        this.payloadBytes = Math.max(FuseKernel.MIN_READ_BUFFER, maxRequestBytes);
    }

    /** The kernel's INIT did not offer it: logs why, once. */
    void notOffered() {
        log.info("FUSE-over-io_uring not offered by the kernel ({} is {}; needs Linux 6.14+ and 1 there): "
                + "serving through /dev/fuse", ENABLE_URING, enableUringSetting());
    }

    /**
     * Makes a ring per possible CPU, before the INIT reply.
     *
     * @return true when all are ready to register; false (logged) when the reply must not ask
     */
    boolean prepare() {
        int cpus;
        try {
            cpus = possibleCpus(Files.readString(POSSIBLE_CPUS));
        } catch (IOException | RuntimeException e) {
            log.info("FUSE-over-io_uring not used ({} unreadable: {}); serving through /dev/fuse", POSSIBLE_CPUS, e.getMessage());
            return false;
        }
        for (int q = 0; q < cpus; q++) {
            for (int r = 0; r < RINGS_PER_QUEUE; r++) {
                // A queue's second ring sits on the next CPU: a busy CPU's requests can be served there.
                UringQueue queue = new UringQueue(this, q, r, PINNED ? (q + r) % cpus : -1, depth, devFuse, payloadBytes);
                queues.add(queue);
                queue.start();
            }
        }
        String failure = null;
        try {
            for (UringQueue q : queues) {
                String f = q.awaitPrepared(PREPARE_MILLIS);
                failure = failure == null ? f : failure;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
        }
        if (failure != null) {
            log.info("FUSE-over-io_uring not used ({}); serving through /dev/fuse", failure);
            release(false);
            return false;
        }
        return true;
    }

    /** After the INIT reply: registers every queue's entries, or (the reply failed) gives up. */
    void release(boolean register) {
        for (UringQueue q : queues) {
            q.release(register);
        }
        if (register) {
            active = true;
            log.info("FUSE-over-io_uring: {} rings of {} entries ({} per CPU, {})", queues.size(), depth, RINGS_PER_QUEUE,
                    PINNED ? "pinned" : "not pinned");
        }
    }

    /** Requests served from the rings so far (a statistic: for the status and tests). */
    long requests() {
        long n = 0;
        for (UringQueue q : queues) {
            n += q.requests();
        }
        return n;
    }

    boolean active() {
        return active;
    }

    /** Ends every queue (after the mount is gone: the kernel has ended their entries already). */
    void stop() throws InterruptedException {
        for (UringQueue q : queues) {
            q.stop();
        }
        for (UringQueue q : queues) {
            q.join(5_000);
        }
    }

    RingReplyChannel newReplyChannel() {
        return new RingReplyChannel(lib, mountChannel, parallelWrites, backingIds);
    }

    DataRequests.Worker newWorker() {
        return data == null ? null : data.worker();
    }

    void destroy(RingReplyChannel channel) {
        channel.destroy(lib);
    }

    /** libfuse2 processes a request rebuilt from a ring entry; its reply goes to {@code channel}. */
    void process(Pointer request, int length, RingReplyChannel channel) {
        lib.fuse_session_process(session, request, length, channel.channel());
    }

    /** The number of CPUs in a list such as {@code 0-3,6}: the highest plus one (queues are by CPU number). */
    static int possibleCpus(String list) {
        int highest = -1;
        for (String part : list.trim().split(",")) {
            String[] range = part.trim().split("-");
            highest = Math.max(highest, Integer.parseInt(range[range.length - 1].trim()));
        }
        if (highest < 0) {
            throw new IllegalArgumentException("no CPU in '" + list + "'");
        }
        return highest + 1;
    }

    private static String enableUringSetting() {
        try {
            return Files.readString(ENABLE_URING).trim();
        } catch (IOException e) {
            return "missing";
        }
    }
}
