package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.MountException;
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
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

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

        void fuse_session_exit(Pointer se);
    }

    private static volatile LibFuse2 lib;

    private final Runtime runtime = Runtime.getSystemRuntime();
    private final Pointer fuse;
    private final Pointer mountpointOut;
    private final Pointer session;
    private final Pointer channel;
    private final long bufferSize;
    private final List<Thread> workers = new ArrayList<>();

    private FuseLoop(Pointer fuse, Pointer mountpointOut) {
        this.fuse = fuse;
        this.mountpointOut = mountpointOut;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        this.bufferSize = lib.fuse_chan_bufsize(channel);
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
     * @param args libfuse arguments after the mount point, e.g. {@code -o big_writes}
     */
    static FuseLoop start(FuseOperations ops, Path mountPoint, List<String> args, int threads) throws MountException {
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
        FuseLoop loop = new FuseLoop(fuse, mountpointOut);
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
        while (lib.fuse_session_exited(session) == 0) {
            chp.putPointer(0, channel);
            int res = lib.fuse_chan_recv(chp, buf, bufferSize);
            if (res == -EINTR || res == -EAGAIN) {
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
            lib.fuse_session_process(session, buf, res, chp.getPointer(0));
        }
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
                lib.fuse_teardown(fuse, mountpointOut.getPointer(0));
                mountpointOut.putPointer(0, null);
            }
        }
    }
}
