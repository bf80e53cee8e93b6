package io.ramdiskfs.fs;

import io.ramdiskfs.disks.DiskHold;
import io.ramdiskfs.disks.Errno;
import io.ramdiskfs.disks.FsException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who holds a disk open: FUSE handles (numbered, found by the I/O path without the lock) and the
 * doors' holds ({@link DiskHold}, a handle without a number). Both count on the {@link DiskFile}
 * as open and, when writing, as a writer: a rollback or commit waits for writers of any kind, and
 * the last close of an unlinked disk frees it, whoever closes it.
 */
final class OpenHandles {
    private static final Logger log = LoggerFactory.getLogger(OpenHandles.class);
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;

    private final DirectoryLock lock;
    private final Namespace namespace;
    private final HandleTable handles = new HandleTable();
    /** Handles open for writing; guarded by the lock. */
    private final Set<Long> writingHandles = new HashSet<>();
    /** Handles open in passthrough mode ({@link #markPassthrough}); concurrent, not under the lock. */
    private final Set<Long> passthroughHandles = ConcurrentHashMap.newKeySet();
    /** Doors' holds not yet closed ({@link #hold}); guarded by the lock. */
    private final Set<Hold> holds = new HashSet<>();

    OpenHandles(DirectoryLock lock, Namespace namespace) {
        this.lock = lock;
        this.namespace = namespace;
    }

    /** Opens the disk at {@code path}; writing opens of a read-only disk fail with EROFS. */
    long open(String path, int flags) throws FsException {
        synchronized (lock) {
            DiskFile f = namespace.lookup(path);
            boolean writing = (flags & O_ACCMODE) != O_RDONLY;
            if (writing && f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, path + (FsPath.parse(path).inSnapshots() ? " is a snapshot" : " is a read-only disk"));
            }
            return add(f, writing);
        }
    }

    /** A new handle on {@code f}; the caller holds the lock. */
    long add(DiskFile f, boolean writing) {
        f.opened(writing);
        long fh = handles.add(f);
        if (writing) {
            writingHandles.add(fh);
        }
        return fh;
    }

    /** The file of an open handle. */
    DiskFile file(long fh) throws FsException {
        DiskFile f = handles.get(fh);
        if (f == null) {
            throw new FsException(Errno.EBADF, "handle " + fh + " is not open");
        }
        return f;
    }

    void markPassthrough(long fh) throws FsException {
        DiskFile f = file(fh);
        if (passthroughHandles.add(fh)) {
            f.passthroughOpened();
        }
    }

    /** Closes a handle; the last handle of an unlinked disk frees it. */
    void release(long fh) {
        DiskFile closeNow = null;
        synchronized (lock) {
            DiskFile f = handles.remove(fh);
            if (f != null && passthroughHandles.remove(fh)) {
                f.passthroughReleased();
            }
            if (f != null && f.released(writingHandles.remove(fh))) {
                closeNow = f;
                namespace.forgetHidden(f);
            }
            lock.released(); // a rollback or commit may wait for this release (awaitNoWriters)
        }
        if (closeNow != null) {
            closeNow.disk().close();
        }
    }

    /** A door's hold on a disk: an open handle without a handle number. */
    private final class Hold implements DiskHold {
        final DiskFile file;
        final String holder;
        final boolean writing;
        private final AtomicBoolean closed = new AtomicBoolean();

        Hold(DiskFile file, String holder, boolean writing) {
            this.file = file;
            this.holder = holder;
            this.writing = writing;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                releaseHold(this);
            }
        }

        @Override
        public String toString() {
            return holder + (writing ? " writing " : " reading ") + file;
        }
    }

    /** {@link io.ramdiskfs.disks.ServedDisk#hold}: counts as a handle open on {@code f}, for writing if {@code writing}. */
    DiskHold hold(DiskFile f, String holder, boolean writing) throws FsException {
        synchronized (lock) {
            if (f.isUnlinked()) {
                throw new FsException(Errno.ENOENT, "disk " + f.name() + " has been removed; " + holder + " cannot hold it");
            }
            if (writing && f.disk().isReadOnly()) {
                throw new FsException(Errno.EROFS, "disk " + f.name() + " is read-only; " + holder + " cannot hold it for writing");
            }
            f.opened(writing);
            Hold h = new Hold(f, holder, writing);
            holds.add(h);
            log.debug("{} holds {}", holder, f);
            return h;
        }
    }

    private void releaseHold(Hold h) {
        boolean closeNow;
        synchronized (lock) {
            if (!holds.remove(h)) {
                return; // closeAll came first
            }
            closeNow = h.file.released(h.writing);
            if (closeNow) {
                namespace.forgetHidden(h.file);
            }
            lock.released(); // a rollback or commit may wait for this release (awaitNoWriters)
        }
        if (closeNow) {
            h.file.disk().close();
        }
    }

    /** The files of every open handle and hold (a file open twice appears twice). */
    List<DiskFile> openFiles() {
        List<DiskFile> all = new ArrayList<>(handles.openFiles());
        synchronized (lock) {
            for (Hold h : holds) {
                all.add(h.file);
            }
        }
        return all;
    }

    /** Forgets every hold at unmount (their disks are closed with the rest); the caller holds the lock. */
    void clearHolds() {
        holds.clear();
    }
}
