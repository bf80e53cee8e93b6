package io.ramdiskfs.disks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The watchers of a {@link DiskNamespace} and the changes not yet told to them. A namespace queues
 * each change while it holds its lock (so the queue's order is the order of the changes) and calls
 * {@link #deliver} once it has let go: a watcher runs outside the namespace's lock, so one that
 * calls back into the namespace, or blocks, can never deadlock it.
 *
 * <p>One thread delivers at a time, draining the whole queue: a thread that finds another
 * delivering leaves its changes to it, which keeps every watcher's calls in order.
 */
public final class NamespaceEvents {
    private static final Logger log = LoggerFactory.getLogger(NamespaceEvents.class);

    /** The namespace's lock: a change queued under it is delivered only once it is released. */
    private final Object namespaceLock;
    /** Guarded by this object's monitor, as are {@link #watchers} and {@link #delivering}. */
    private final ArrayDeque<Consumer<List<Watch>>> pending = new ArrayDeque<>();
    /** Changed only by the delivering thread, so a new watcher sees nothing queued before it came. */
    private final List<Watch> watchers = new ArrayList<>();
    private boolean delivering;

    /** @param namespaceLock the monitor the namespace changes under */
    public NamespaceEvents(Object namespaceLock) {
        this.namespaceLock = namespaceLock;
    }

    /** One watcher, until its handle is closed. */
    private static final class Watch implements AutoCloseable {
        final NamespaceWatcher watcher;
        volatile boolean closed;

        Watch(NamespaceWatcher watcher) {
            this.watcher = watcher;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /**
     * Adds {@code watcher}, to be told first of {@code present} (as created) and then of every
     * change queued after this call. Call under the namespace's lock, with the disks present then.
     */
    public AutoCloseable watch(NamespaceWatcher watcher, List<? extends ServedDisk> present) {
        Watch w = new Watch(watcher);
        List<ServedDisk> disks = List.copyOf(present);
        queue(all -> {
            all.add(w);
            for (ServedDisk d : disks) {
                tell(w, x -> x.created(d));
            }
        });
        return w;
    }

    public void created(ServedDisk disk) {
        toEveryone(w -> w.created(disk));
    }

    public void renamed(ServedDisk disk, String oldName) {
        toEveryone(w -> w.renamed(disk, oldName));
    }

    public void removed(ServedDisk disk, String name) {
        toEveryone(w -> w.removed(disk, name));
    }

    public void attributesChanged(ServedDisk disk) {
        toEveryone(w -> w.attributesChanged(disk));
    }

    public void resized(ServedDisk disk) {
        toEveryone(w -> w.resized(disk));
    }

    private void toEveryone(Consumer<NamespaceWatcher> call) {
        queue(all -> {
            for (Watch w : all) {
                tell(w, call);
            }
        });
    }

    private synchronized void queue(Consumer<List<Watch>> event) {
        pending.add(event);
    }

    /**
     * Tells the watchers of every queued change. Does nothing when the calling thread still holds
     * the namespace's lock (an operation nested in another): the outermost one delivers.
     */
    public void deliver() {
        if (Thread.holdsLock(namespaceLock)) {
            return;
        }
        synchronized (this) {
            if (delivering) {
                return;
            }
            delivering = true;
        }
        boolean done = false;
        try {
            while (true) {
                Consumer<List<Watch>> event;
                synchronized (this) {
                    event = pending.poll();
                    if (event == null) {
                        delivering = false;
                        done = true;
                        return;
                    }
                }
                watchers.removeIf(w -> w.closed);
                event.accept(watchers);
            }
        } finally {
            if (!done) {
                synchronized (this) {
                    delivering = false;
                }
            }
        }
    }

    private static void tell(Watch w, Consumer<NamespaceWatcher> call) {
        if (w.closed) {
            return;
        }
        try {
            call.accept(w.watcher);
        } catch (RuntimeException e) {
            log.warn("namespace watcher {} failed; the change is not told to it again", w.watcher, e);
        }
    }
}
