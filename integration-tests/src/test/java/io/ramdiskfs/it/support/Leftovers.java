package io.ramdiskfs.it.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Last resort: whatever a test started and has not cleaned up yet (child processes, loop devices,
 * mounts) is released by a JVM shutdown hook, so even a test JVM stopped by a timeout leaves no
 * mount or loop device behind. Normal cleanup is {@link MountedDisks}; this only covers its gaps.
 */
final class Leftovers {
    private static final Map<Object, Runnable> LIVE = new LinkedHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Leftovers::releaseAll, "ramdiskfs-it-leftovers"));
    }

    private Leftovers() {}

    static synchronized void register(CliProcess p) {
        LIVE.put(p, () -> {
            p.killNow();
            if (p.mountPoint() != null && MountInfo.isMounted(p.mountPoint())) {
                Cmd.run("fusermount", "-u", "-z", p.mountPoint().toString());
            }
        });
    }

    static synchronized void register(Object key, Runnable emergencyRelease) {
        LIVE.put(key, emergencyRelease);
    }

    static synchronized void unregister(Object key) {
        LIVE.remove(key);
    }

    static synchronized boolean anotherLiveChildServes(CliProcess self, Path mountPoint) {
        for (Object k : LIVE.keySet()) {
            if (k != self && k instanceof CliProcess c && c.isAlive() && mountPoint.equals(c.mountPoint())) {
                return true;
            }
        }
        return false;
    }

    private static void releaseAll() {
        List<Runnable> all;
        synchronized (Leftovers.class) {
            all = new ArrayList<>(LIVE.values());
            LIVE.clear();
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).run();
            } catch (RuntimeException | AssertionError e) {
                System.err.println("ramdiskfs-it: cleanup at exit failed: " + e);
            }
        }
    }
}
