package io.ramdiskfs.cli;

import io.ramdiskfs.MountException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/** A mount that only records what is done to it; close() fails with queued exceptions first. */
class FakeMount implements Mounter.Mounted {
    final Path dir;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final Deque<MountException> closeFailures = new ArrayDeque<>();
    /** Thrown by close() once closeFailures is used up, until the mount is gone. */
    volatile MountException alwaysFailing;
    MountException lazyFailure;
    final CountDownLatch gone = new CountDownLatch(1);

    FakeMount(Path dir) {
        this.dir = dir;
    }

    /** Someone ran fusermount -u from outside. */
    void unmountFromOutside() {
        calls.add("outside");
        gone.countDown();
    }

    @Override
    public Path mountPoint() {
        return dir;
    }

    @Override
    public synchronized void close() throws MountException {
        calls.add("close");
        MountException e = closeFailures.poll();
        if (e == null) {
            e = alwaysFailing;
        }
        if (e != null && gone.getCount() > 0) {
            throw e;
        }
        gone.countDown();
    }

    @Override
    public synchronized void unmountLazily() throws MountException {
        calls.add("lazy");
        if (lazyFailure != null) {
            throw lazyFailure;
        }
        gone.countDown();
    }

    @Override
    public void awaitUnmounted() throws InterruptedException {
        gone.await();
    }

    long count(String call) {
        return calls.stream().filter(call::equals).count();
    }
}
