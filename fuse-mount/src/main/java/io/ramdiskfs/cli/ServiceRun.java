package io.ramdiskfs.cli;

import io.ramdiskfs.MountException;
import io.ramdiskfs.disk.image.ImageTraffic;
import io.ramdiskfs.service.MetricsAddress;
import io.ramdiskfs.service.MetricsServer;
import io.ramdiskfs.service.SdNotify;
import io.ramdiskfs.service.TimeoutExtender;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;

/**
 * What a mount does for the world around it while it runs: serves {@code /metrics} when asked
 * ({@code --metrics}), tells systemd it is ready and stopping ({@code Type=notify}), and tells the
 * mount helper's waiting parent that the mount is live ({@link MountHelper}), and asks systemd for
 * more time while a start or stop loads or saves images ({@link TimeoutExtender}). Each part is off
 * unless its option or environment variable is there.
 */
final class ServiceRun implements AutoCloseable {
    /** Set by {@link MountHelper} in the daemon's environment: a file to write once the mount is live. */
    static final String READY_FILE_ENV = "RAMDISKFS_READY_FILE";
    static final String READY = "ready";
    /** How often a start or stop that moves images asks systemd for more time (tests make it short). */
    private static final Duration EXTEND_TICK = Duration.ofMillis(Long.getLong("ramdiskfs.notify.tickMillis", 5_000));

    private final MetricsServer metrics;
    private final SdNotify notify;
    private final TimeoutExtender extender;
    private final String readyFile;
    private final Logger log;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private Path mountPoint;

    private ServiceRun(MetricsServer metrics, SdNotify notify, String readyFile, Logger log) {
        this.metrics = metrics;
        this.notify = notify;
        this.extender = TimeoutExtender.start(notify, ImageTraffic::total, EXTEND_TICK);
        this.readyFile = readyFile;
        this.log = log;
    }

    /**
     * Binds the metrics port (before mounting: a port in use fails the start, not the mount).
     *
     * @param metricsAddress {@code HOST:PORT}, or null for no metrics
     */
    static ServiceRun prepare(String metricsAddress, Logger log) throws UsageException, MountException {
        MetricsServer m = null;
        if (metricsAddress != null) {
            InetSocketAddress a;
            try {
                a = MetricsAddress.parse(metricsAddress);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--metrics " + e.getMessage());
            }
            try {
                m = MetricsServer.listen(a);
            } catch (IOException e) {
                throw new MountException("--metrics: cannot listen on " + metricsAddress + ": " + DiskSpecParser.oneLine(e));
            }
        }
        return new ServiceRun(m, SdNotify.fromEnvironment(), System.getenv(READY_FILE_ENV), log);
    }

    /** The mount is live: metrics answer, systemd and the helper's parent hear of it. */
    void mounted(Mounter.Mounted mount, String summary) {
        mountPoint = mount.mountPoint();
        if (metrics != null) {
            metrics.serve(mount::status);
            InetSocketAddress a = metrics.address();
            log.info("metrics on http://{}:{}/metrics", a.getAddress().isAnyLocalAddress() ? "0.0.0.0" : a.getHostString(), a.getPort());
        }
        extender.running();
        notify.ready(summary);
        if (readyFile != null && !readyFile.isEmpty()) {
            try {
                Files.writeString(Path.of(readyFile), READY + " " + ProcessHandle.current().pid() + "\n");
                log.info("daemon pid {} serves {}; umount {} stops it", ProcessHandle.current().pid(), mountPoint, mountPoint);
            } catch (IOException | RuntimeException e) {
                log.warn("could not tell the mount helper that {} is live ({}): {}", mountPoint, readyFile, e.toString());
            }
        }
    }

    /** Signals reach {@code target}, and the first one tells systemd the service is stopping. */
    SignalSink notifying(SignalSink target) {
        return new SignalSink() {
            @Override
            public void onSignal(String name) {
                stopping(name + ": unmounting");
                target.onSignal(name);
            }

            @Override
            public void onShutdown() {
                target.onShutdown();
            }
        };
    }

    private void stopping(String why) {
        if (stopping.compareAndSet(false, true)) {
            extender.stopping();
            notify.stopping(why + (mountPoint == null ? "" : " " + mountPoint));
        }
    }

    /** The mount is gone (or given up on): STOPPING=1 if not said yet, metrics off. */
    @Override
    public void close() {
        stopping("unmounted");
        extender.close();
        if (metrics != null) {
            metrics.close();
        }
    }
}
