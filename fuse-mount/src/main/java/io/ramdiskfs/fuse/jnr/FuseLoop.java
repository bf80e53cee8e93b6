package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.MountException;
import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.fs.DiskDirectory;
import io.ramdiskfs.disks.Errno;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * The libfuse2 request loop, run on threads the JVM owns.
 *
 * <p>Why not {@code fuse_main}: its multithreaded loop runs callbacks on threads libfuse
 * creates, and the native-to-Java bridge (jffi) attaches such a thread to the JVM for each
 * callback and detaches it afterwards, until the thread has made 1000 calls. Worker threads come
 * and go under load, so most requests paid for a fresh {@code java.lang.Thread} and thread-local
 * allocation buffer: measured, 135,000 threads in four seconds of fio, a young collection every
 * 30 ms, and four jobs no faster than one. Here {@code fuse_setup} mounts, and a fixed pool of
 * Java threads each receive and process requests ({@code fuse_chan_recv},
 * {@code fuse_session_process}), exactly what libfuse's own workers do, so callbacks run on
 * threads that are attached already.
 */
final class FuseLoop {
    private static final Logger log = LoggerFactory.getLogger(FuseLoop.class);
    /** Header room in a request buffer beyond the largest write, as libfuse keeps it. */
    static final int HEADROOM = 4096;

    /** The libfuse2 entry points behind {@code fuse_main}, which jnr-fuse does not expose. */
    public interface LibFuse2 {
        Pointer fuse_setup(int argc, String[] argv, FuseOperations op, @size_t long opSize, Pointer mountpoint,
                Pointer multithreaded, Pointer userData);

        void fuse_teardown(Pointer fuse, Pointer mountpoint);

        Pointer fuse_get_session(Pointer fuse);

        Pointer fuse_session_next_chan(Pointer se, Pointer ch);

        @size_t long fuse_chan_bufsize(Pointer ch);

        int fuse_chan_recv(Pointer chp, Pointer buf, @size_t long size);

        void fuse_session_process(Pointer se, Pointer buf, @size_t long len, Pointer ch);

        int fuse_session_exited(Pointer se);

        int fuse_chan_fd(Pointer ch);

        Pointer fuse_chan_new(Pointer ops, int fd, @size_t long bufsize, Pointer data);

        void fuse_chan_destroy(Pointer ch);

        void fuse_session_exit(Pointer se);
    }

    private static volatile LibFuse2 lib;

    private final Runtime runtime = Runtime.getSystemRuntime();
    private final Pointer fuse;
    private final Pointer mountpointOut;
    private final Pointer session;
    private final Pointer channel;
    /** Each worker's request buffer: room for the largest write plus its headers. */
    private final long bufferSize;
    /** Processes OPEN/CREATE when files are opened for direct I/O or passthrough; null otherwise. */
    private final OpenReplyChannel openChannel;
    /** Processes INIT to ask for requests larger than 128 KiB; null when not wanted. */
    private final InitReplyChannel initChannel;
    /** Serves READ and WRITE without libfuse; null when libfuse serves them. */
    private final DataRequests data;
    /** FUSE passthrough for the disks that can have it; null when not wanted. */
    private final Passthrough passthrough;
    /** Told after each request libfuse processed (a descriptor lent for a splice may then close). */
    private final Runnable requestDone;
    private final List<Thread> workers = new ArrayList<>();

    private FuseLoop(Pointer fuse, Pointer mountpointOut, boolean parallelWrites, int maxRequestBytes, DiskDirectory dataDir,
            Passthrough passthrough, Runnable requestDone) {
        this.fuse = fuse;
        this.requestDone = requestDone;
        this.mountpointOut = mountpointOut;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        long libfuseBuffer = lib.fuse_chan_bufsize(channel);
        this.passthrough = passthrough;
        this.openChannel = parallelWrites || passthrough != null
                ? OpenReplyChannel.beside(lib, channel, parallelWrites, passthrough == null ? null : passthrough::backingIdFor)
                : null;
        // The kernel refuses a read of /dev/fuse into a buffer smaller than max_write plus 80
        // bytes of headers, so the buffers grow with the request size; libfuse keeps 4 KiB.
        this.initChannel = maxRequestBytes + HEADROOM > libfuseBuffer || passthrough != null
                ? InitReplyChannel.beside(lib, channel, maxRequestBytes, passthrough) : null;
        this.bufferSize = Math.max(libfuseBuffer, (long) maxRequestBytes + HEADROOM);
        this.data = dataDir == null ? null : new DataRequests(dataDir, lib.fuse_chan_fd(channel), maxRequestBytes);
    }

    static LibFuse2 library() {
        LibFuse2 l = lib;
        if (l == null) {
            try {
                l = LibraryLoader.create(LibFuse2.class).failImmediately().load("fuse");
            } catch (LinkageError | RuntimeException e) {
                l = LibraryLoader.create(LibFuse2.class).failImmediately().load("libfuse.so.2");
            }
            lib = l;
        }
        return l;
    }

    /**
     * Mounts (parsing {@code args} as {@code fuse_main} would) and starts {@code threads} workers.
     *
     * @param args            libfuse arguments after the mount point, e.g. {@code -o big_writes}
     * @param parallelWrites  amend open replies with {@code FOPEN_PARALLEL_DIRECT_WRITES}
     *                        ({@link OpenReplyChannel}); only meaningful with {@code direct_io}
     * @param maxRequestBytes the largest read or write request to ask the kernel for; above
     *                        libfuse2's 128 KiB the init reply is amended ({@link InitReplyChannel})
     * @param dataDir         when not null, READ and WRITE requests are served from it without
     *                        libfuse ({@link DataRequests})
     * @param passthrough     when not null, ask for FUSE passthrough and open the disks that can
     *                        have it with it
     * @param requestDone     run on the worker after each request libfuse processed
     */
    static FuseLoop start(FuseOperations ops, Path mountPoint, List<String> args, int threads, boolean parallelWrites,
            int maxRequestBytes, DiskDirectory dataDir, Passthrough passthrough, Runnable requestDone) throws MountException {
        LibFuse2 l = library();
        List<String> argv = new ArrayList<>(List.of("ramdiskfs", "-f", mountPoint.toString()));
        argv.addAll(args);
        Runtime rt = Runtime.getSystemRuntime();
        Pointer mountpointOut = Memory.allocateDirect(rt, rt.addressSize(), true);
        Pointer multithreaded = Memory.allocateDirect(rt, 4, true);
        Pointer fuse = l.fuse_setup(argv.size(), argv.toArray(new String[0]), ops, Struct.size(ops), mountpointOut,
                multithreaded, null);
        if (fuse == null || fuse.address() == 0) {
            throw new MountException("libfuse could not mount " + mountPoint
                    + " (see its message above; is /dev/fuse there and fusermount installed?)");
        }
        FuseLoop loop;
        try {
            loop = new FuseLoop(fuse, mountpointOut, parallelWrites, maxRequestBytes, dataDir, passthrough, requestDone);
        } catch (LinkageError | RuntimeException e) {
            l.fuse_teardown(fuse, mountpointOut.getPointer(0));
            throw new MountException("could not set up the FUSE channel at " + mountPoint + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(loop::work, "fuse-worker-" + i);
            loop.workers.add(t);
            t.start();
        }
        return loop;
    }

    private void work() {
        Pointer buf = Memory.allocateDirect(runtime, bufferSize, false);
        Pointer chp = Memory.allocateDirect(runtime, runtime.addressSize(), true);
        DataRequests.Worker direct = data == null ? null : data.worker();
        try {
            serve(buf, chp, direct);
        } finally {
            if (direct != null) {
                direct.close();
            }
        }
    }

    /**
     * Serves requests until the session ends. A request whose processing throws (the adapter and
     * the data path answer every error themselves, so this is a bug) is answered EIO and the
     * worker goes on: a worker that died would leave the mount up and, once the last one died,
     * hang every caller. If the request had been answered, the kernel drops the second answer
     * (ENOENT, unique numbers are not reused).
     */
    private void serve(Pointer buf, Pointer chp, DataRequests.Worker direct) {
        while (lib.fuse_session_exited(session) == 0) {
            chp.putPointer(0, channel);
            int res = lib.fuse_chan_recv(chp, buf, bufferSize);
            if (res == -Errno.EINTR.code() || res == -Errno.EAGAIN.code()) {
                continue;
            }
            if (res <= 0) {
                // 0: the kernel ended the connection (unmounted); below 0: a broken channel.
                if (res < 0) {
                    log.warn("reading /dev/fuse failed with errno {}; stopping the loop", -res);
                }
                lib.fuse_session_exit(session);
                break;
            }
            try {
                process(buf, res, chp, direct);
            } catch (Throwable t) {
                failed(buf.address(), t);
            }
        }
    }

    private void process(Pointer buf, int res, Pointer chp, DataRequests.Worker direct) {
        if (direct != null && direct.serve(buf.address(), res)) {
            return;
        }
        Pointer ch = chp.getPointer(0);
        int opcode = NativeMemory.getInt(buf.address() + FuseKernel.InHeader.OPCODE);
        if (openChannel != null && OpenReplyChannel.wants(opcode)) {
            ch = openChannel.channel();
        } else if (initChannel != null && initChannel.accepts(buf.address(), res)) {
            ch = initChannel.channel();
        }
        try {
            lib.fuse_session_process(session, buf, res, ch);
        } finally {
            requestDone.run();
        }
    }

    /** The request at {@code buf} threw {@code t}: log it and answer EIO, so its caller does not wait forever. */
    private void failed(long buf, Throwable t) {
        int opcode = NativeMemory.getInt(buf + FuseKernel.InHeader.OPCODE);
        long unique = NativeMemory.getLong(buf + FuseKernel.InHeader.UNIQUE);
        log.error("request {} (opcode {}) failed inside the FUSE loop; answering EIO", unique, opcode, t);
        long reply = NativeMemory.allocate(FuseKernel.OutHeader.SIZE + 16); // the failure path: allocating is fine here
        try {
            NativeMemory.putInt(reply + FuseKernel.OutHeader.LEN, FuseKernel.OutHeader.SIZE);
            NativeMemory.putInt(reply + FuseKernel.OutHeader.ERROR, -Errno.EIO.code());
            NativeMemory.putLong(reply + FuseKernel.OutHeader.UNIQUE, unique);
            long iov = reply + FuseKernel.OutHeader.SIZE;
            NativeMemory.putLong(iov, reply);
            NativeMemory.putLong(iov + 8, FuseKernel.OutHeader.SIZE);
            Libc.get().writev(lib.fuse_chan_fd(channel), iov, 1);
        } finally {
            NativeMemory.free(reply);
        }
    }

    /** Ends the session: each worker stops after its current request. */
    void exit() {
        lib.fuse_session_exit(session);
    }

    boolean isRunning() {
        for (Thread t : workers) {
            if (t.isAlive()) {
                return true;
            }
        }
        return false;
    }

    /** Waits for every worker, then releases libfuse's state. */
    void join() throws InterruptedException {
        for (Thread t : workers) {
            t.join();
        }
        synchronized (this) {
            if (mountpointOut.getPointer(0) != null) {
                if (passthrough != null) {
                    passthrough.detach();
                }
                if (openChannel != null) {
                    openChannel.destroy(lib);
                }
                if (initChannel != null) {
                    initChannel.destroy(lib);
                }
                if (data != null) {
                    data.close();
                }
                lib.fuse_teardown(fuse, mountpointOut.getPointer(0));
                mountpointOut.putPointer(0, null);
            }
        }
    }
}
