package io.ramdiskfs.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * Takes signals from before the mount is live and hands them to the {@link Foreground} once it
 * exists. The handlers must be in place before mounting: a SIGTERM that arrived between the mount
 * going live and the handlers being installed used to end the JVM at once and leave a dead mount.
 */
final class PendingSignals implements SignalSink {
    private final List<String> early = new ArrayList<>();
    private SignalSink target;
    private boolean shutdown;

    @Override
    public void onSignal(String name) {
        SignalSink t;
        synchronized (this) {
            t = target;
            if (t == null) {
                early.add(name);
                return;
            }
        }
        t.onSignal(name);
    }

    @Override
    public void onShutdown() {
        SignalSink t;
        synchronized (this) {
            t = target;
            if (t == null) {
                shutdown = true;
                return;
            }
        }
        t.onShutdown();
    }

    /** From now on everything goes to {@code t}, starting with what came early. */
    void deliverTo(SignalSink t) {
        List<String> replay;
        boolean down;
        synchronized (this) {
            target = t;
            replay = new ArrayList<>(early);
            early.clear();
            down = shutdown;
        }
        for (String name : replay) {
            t.onSignal(name);
        }
        if (down) {
            t.onShutdown();
        }
    }
}
