package io.ramdiskfs.it.support;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountException;
import io.ramdiskfs.MountOptions;
import io.ramdiskfs.RamDiskFs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Everything a test mounts or attaches, released after it whatever happened, last first:
 * ext4 mounts ({@code umount}), loop devices ({@code losetup -d} of the device this test
 * attached), ramdiskfs child processes (SIGTERM to their own PID), embedded mounts
 * ({@code close()}, lazily if still busy). A resource that cannot be released cleanly fails the
 * test: a leak is a bug too.
 *
 * <pre>{@code @RegisterExtension final MountedDisks disks = new MountedDisks();}</pre>
 *
 * Mount points and scratch directories live under {@code target/it/CLASS/METHOD/}.
 */
public final class MountedDisks implements BeforeEachCallback, AfterEachCallback {
    private static final Duration BUSY_RETRY = Duration.ofSeconds(15);
    private static final Pattern INVOCATION = Pattern.compile("\\[test-template-invocation:#(\\d+)\\]");

    private final Deque<Resource> resources = new ArrayDeque<>();
    private final AtomicInteger counter = new AtomicInteger();
    private Path testDir;
    private boolean onTheLane = true;

    /**
     * Mounts of this class stay on RAM disks even when the suite runs on the passthrough lane: for
     * classes that test what the lane does not have (snapshots, rollback, clones, save), which a
     * passthrough disk refuses by design (docs/performance.md, section 10).
     */
    public MountedDisks offTheLane() {
        onTheLane = false;
        return this;
    }

    /** Something to release, and how. */
    private record Resource(Object key, String description, Releaser releaser) {}

    @FunctionalInterface
    private interface Releaser {
        void release() throws Exception;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        String cls = context.getRequiredTestClass().getSimpleName();
        String method = context.getRequiredTestMethod().getName();
        Path root = Path.of(System.getProperty("ramdiskfs.it.dir", "target/it")).toAbsolutePath().normalize();
        Matcher invocation = INVOCATION.matcher(context.getUniqueId());
        String name = invocation.find() ? method + "-" + invocation.group(1) : method; // parameterized runs
        Path dir = root.resolve(cls).resolve(name);
        if (Files.exists(dir)) {
            deleteOldRun(dir);
        }
        for (int i = 2; Files.exists(dir); i++) {
            dir = root.resolve(cls).resolve(name + "-" + i); // an old run's directory that could not go
        }
        testDir = Files.createDirectories(dir);
    }

    /** Deletes what an earlier run left in {@code dir} (logs, empty mount points) unless something is mounted there. */
    private static void deleteOldRun(Path dir) {
        String prefix = dir + "/";
        if (MountInfo.entries().stream().anyMatch(e -> e.mountPoint().startsWith(prefix))) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // keep it; the caller picks another name
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        releaseAll();
    }

    /** The directory of this test under target/it, for logs and scratch files (not in a mount). */
    public Path testDir() {
        return testDir;
    }

    /** A new empty directory under {@link #testDir}. */
    public Path newDir(String prefix) {
        try {
            return Files.createDirectories(testDir.resolve(prefix + "-" + counter.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new, empty mount point. */
    public Path newMountPoint() {
        return newDir("mnt");
    }

    /** Default options (512-byte sectors, half the RAM) on a new mount point. */
    public MountOptions options(DiskDefinition... disks) {
        return MountOptions.of(newMountPoint(), List.of(disks));
    }

    public RamDiskFs mount(DiskDefinition... disks) {
        return mount(options(disks));
    }

    /**
     * True when the suite runs on the passthrough fast lane ({@code -Dramdiskfs.it.passthrough=true}):
     * every mount then makes its plain disks passthrough disks, so the same tests prove the same
     * semantics there.
     */
    public static boolean passthroughLane() {
        return Boolean.getBoolean("ramdiskfs.it.passthrough");
    }

    /** Mounts through the embedded API; closed after the test. */
    public RamDiskFs mount(MountOptions options) {
        RamDiskFs fs;
        try {
            fs = RamDiskFs.mount(onTheLane && passthroughLane() ? options.withPassthrough(true) : options);
        } catch (MountException e) {
            throw new AssertionError("cannot mount " + options.mountPoint() + ": " + e.getMessage(), e);
        }
        Path mp = fs.mountPoint();
        add(fs, "ramdiskfs mount " + mp, () -> closeEmbedded(fs), () -> {
            if (MountInfo.isMounted(mp)) {
                Cmd.run("fusermount", "-u", "-z", mp.toString());
            }
        });
        return fs;
    }

    /** Starts the command line; stopped after the test. Output goes to files in {@link #testDir}. */
    public CliProcess startCli(Path mountPoint, List<String> args) {
        if (onTheLane && passthroughLane() && !args.contains("--passthrough")) {
            args = new ArrayList<>(args);
            args.add(0, "--passthrough");
        }
        return startCli(mountPoint, List.of(), args);
    }

    /** {@link #startCli(Path, List)} with {@code wrapper} before {@code java} ({@link CliProcess#start(Path, String, Path, List, List)}). */
    public CliProcess startCli(Path mountPoint, List<String> wrapper, List<String> args) {
        CliProcess p = CliProcess.start(testDir, "ramdiskfs", mountPoint, wrapper, args);
        add(p, "ramdiskfs process " + p.pid(), p::close, null); // CliProcess registers its own emergency release
        return p;
    }

    /** {@link #startCli(Path, List, List)} from {@code jar}, a copy of the jar with its {@code lib/} beside it. */
    public CliProcess startCli(Path mountPoint, List<String> wrapper, Path jar, List<String> args) {
        CliProcess p = CliProcess.start(testDir, "ramdiskfs", mountPoint, wrapper, jar, args);
        add(p, "ramdiskfs process " + p.pid(), p::close, null);
        return p;
    }

    /** {@link #startCliMounted} with {@code jvmFlags} (e.g. {@code -Xmx96m}) instead of the default -Xmx256m. */
    public CliProcess startCliMountedWithJvm(Path mountPoint, List<String> jvmFlags, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(mountPoint.toString());
        CliProcess p = CliProcess.start(testDir, "ramdiskfs", mountPoint, List.of(), CliProcess.jar(), jvmFlags, all);
        add(p, "ramdiskfs process " + p.pid(), p::close, null);
        return p.awaitMount();
    }

    /** Starts {@code ramdiskfs ARGS MOUNTPOINT} and waits until the mount is live. */
    public CliProcess startCliMounted(Path mountPoint, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add(mountPoint.toString());
        return startCli(mountPoint, all).awaitMount();
    }

    /** {@code losetup --find --show [OPTIONS] FILE}; detached after the test. Returns the device. */
    public String attachLoop(Path file, String... options) {
        List<String> cmd = Cmd.line("losetup", "--find", "--show");
        cmd.addAll(List.of(options));
        cmd.add(file.toString());
        String dev = Cmd.run(cmd).assertOk().out();
        if (!dev.startsWith("/dev/loop")) {
            throw new AssertionError("losetup printed '" + dev + "' instead of a loop device");
        }
        add(dev, "loop device " + dev + " on " + file, () -> detachIfOurs(dev, file), () -> Cmd.run("losetup", "-d", dev));
        return dev;
    }

    /** {@code losetup -d} now, before the test ends. */
    public void detachLoop(String device) {
        release(device);
    }

    /** {@code mount [OPTIONS] DEVICE DIR}; unmounted after the test. */
    public void mountDevice(String device, Path dir, String... options) {
        List<String> cmd = Cmd.line("mount");
        cmd.addAll(List.of(options));
        cmd.add(device);
        cmd.add(dir.toString());
        Cmd.run(cmd).assertOk();
        add(dir, "mount of " + device + " at " + dir, () -> {
            if (MountInfo.isMounted(dir)) {
                Cmd.run("umount", dir.toString()).assertOk();
            }
        }, () -> Cmd.run("umount", "-l", dir.toString()));
    }

    /** {@code umount DIR} now. */
    public void umount(Path dir) {
        release(dir);
    }

    /** Releases one resource now (it is then no longer released after the test). */
    private void release(Object key) {
        Resource r = null;
        for (Resource x : resources) {
            if (x.key() == key || x.key().equals(key)) {
                r = x;
                break;
            }
        }
        if (r == null) {
            throw new IllegalStateException(key + " is not held by this test");
        }
        resources.remove(r);
        try {
            r.releaser().release();
        } catch (Exception e) {
            throw new AssertionError("cannot release " + r.description() + ": " + e.getMessage(), e);
        } finally {
            Leftovers.unregister(r.key());
        }
    }

    private void add(Object key, String description, Releaser releaser, Runnable emergency) {
        resources.push(new Resource(key, description, releaser));
        if (emergency != null) {
            Leftovers.register(key, emergency);
        }
    }

    /** Releases everything, last first; the first failure is thrown with the others suppressed. */
    public void releaseAll() {
        AssertionError failure = null;
        while (!resources.isEmpty()) {
            Resource r = resources.pop();
            try {
                r.releaser().release();
            } catch (Exception | AssertionError e) {
                AssertionError a = new AssertionError("cleanup: cannot release " + r.description() + ": " + e.getMessage(), e);
                if (failure == null) {
                    failure = a;
                } else {
                    failure.addSuppressed(a);
                }
            } finally {
                Leftovers.unregister(r.key());
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * close(); while the kernel says busy (a loop device detaching), retry; if it stays busy,
     * detach lazily and fail.
     */
    private static void closeEmbedded(RamDiskFs fs) throws Exception {
        long deadline = System.nanoTime() + BUSY_RETRY.toNanos();
        while (true) {
            try {
                fs.close();
                break;
            } catch (MountException e) {
                if (System.nanoTime() > deadline) {
                    fs.unmountLazily();
                    throw new AssertionError("the mount " + fs.mountPoint() + " stayed busy for " + BUSY_RETRY.toSeconds()
                            + " s; detached lazily: " + e.getMessage(), e);
                }
                Thread.sleep(200);
            }
        }
        if (MountInfo.isMounted(fs.mountPoint())) {
            throw new AssertionError(fs.mountPoint() + " is still in /proc/self/mountinfo after close()");
        }
        Files.deleteIfExists(fs.mountPoint());
    }

    /** {@code losetup -d DEV}, only if DEV still has our file behind it. */
    private static void detachIfOurs(String dev, Path file) {
        Cmd.Result r = Cmd.run("losetup", "--noheadings", "--output", "BACK-FILE", dev);
        if (!r.ok() || r.out().isEmpty()) {
            return; // already detached
        }
        if (!r.out().startsWith(file.toString())) {
            throw new AssertionError(dev + " is now backed by " + r.out() + ", not " + file + ": leaving it alone");
        }
        Cmd.run("losetup", "-d", dev).assertOk();
    }
}
