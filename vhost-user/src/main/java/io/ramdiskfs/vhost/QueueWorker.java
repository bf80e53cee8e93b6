package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.vhost.os.EventFd;
import io.ramdiskfs.vhost.os.Os;
import io.ramdiskfs.vhost.os.Poll;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that serves one virtqueue: it sleeps in poll on the queue's kick eventfd (never
 * spinning, so it steals no CPU from the guest), drains the ring when kicked, completes each
 * request synchronously on the disk, and signals the call eventfd once per batch when the guest
 * asked for it. Its queue's state is its own while it runs; the control thread stops it (wake
 * eventfd, join) before it changes anything the worker reads.
 */
final class QueueWorker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueWorker.class);
    /** Completions published (and maybe signalled) at least this often in a long drain, so the guest need not wait for all. */
    private static final int BATCH = 32;

    private final String name;
    private final SplitQueue queue;
    private final BlkRequests requests;
    private final DescriptorChain chain;
    private final int kick;
    private final int call;
    private final int err;
    private final Runnable onBroken;
    private final int wake;
    /** Poll's two pollfds, then 8 bytes for eventfd reads and writes. */
    private final long scratch;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile boolean broken;

    QueueWorker(String name, SplitQueue queue, BlkRequests requests, int kick, int call, int err, Runnable onBroken) {
        this.name = name;
        this.queue = queue;
        this.requests = requests;
        this.chain = new DescriptorChain(Math.max(queue.size(), SplitQueue.MAX_INDIRECT) + 64);
        this.kick = kick;
        this.call = call;
        this.err = err;
        this.onBroken = onBroken;
        this.wake = EventFd.create();
        this.scratch = NativeMemory.allocate(24);
        this.thread = new Thread(this, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops the thread after the request it is serving and frees its resources. */
    void stop() {
        stopping = true;
        EventFd.signal(wake);
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        Os.closeQuietly(wake);
        NativeMemory.free(scratch);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The avail index to resume from; read after {@link #stop}. */
    int lastAvail() {
        return queue.lastAvail();
    }

    boolean broken() {
        return broken;
    }

    @Override
    public void run() {
        try {
            // Kicks that came before the ring was started are in the ring already: look now,
            // and signal once, in case the guest waits for completions from before a reconnect.
            drain();
            notifyGuest();
            while (!stopping) {
                if (Poll.either(scratch, kick, wake) != 0) {
                    break;
                }
                EventFd.drain(kick, scratch + 16);
                drain();
            }
        } catch (RingException e) {
            broken = true;
            LOG.warn("vhost-user {}: the guest's ring cannot be parsed, the queue stops: {}", name, e.getMessage());
            if (err >= 0) {
                EventFd.signal(err, scratch + 16);
            }
            onBroken.run();
        } catch (Throwable t) {
            broken = true;
            LOG.error("vhost-user {}: queue failed, it stops", name, t);
            onBroken.run();
        }
    }

    private void drain() throws RingException {
        do {
            queue.suppressKicks();
            int done = 0;
            while (!stopping && queue.pop(chain)) {
                queue.push(chain.head(), requests.serve(chain));
                if (++done % BATCH == 0) {
                    publish();
                }
            }
            if (done % BATCH != 0) {
                publish();
            }
        } while (!stopping && queue.enableKicksAndRecheck());
    }

    private void publish() {
        if (queue.publish()) {
            notifyGuest();
        }
    }

    private void notifyGuest() {
        if (call >= 0) {
            EventFd.signal(call, scratch + 16);
        }
    }
}
