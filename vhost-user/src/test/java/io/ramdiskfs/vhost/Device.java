package io.ramdiskfs.vhost;

/** The worker's drain without its thread: what a test runs after it filled the ring. */
final class Device {
    final SplitQueue queue;
    final BlkRequests requests;
    final DescriptorChain chain;
    int notifications;

    Device(SplitQueue queue, BlkRequests requests) {
        this.queue = queue;
        this.requests = requests;
        this.chain = new DescriptorChain(Math.max(queue.size(), SplitQueue.MAX_INDIRECT) + 64);
    }

    /** Serves everything available; the requests served. */
    int drain() throws RingException {
        int served = 0;
        do {
            queue.suppressKicks();
            while (queue.pop(chain)) {
                queue.push(chain.head(), requests.serve(chain));
                served++;
            }
            if (queue.publish()) {
                notifications++;
            }
        } while (queue.enableKicksAndRecheck());
        return served;
    }
}
