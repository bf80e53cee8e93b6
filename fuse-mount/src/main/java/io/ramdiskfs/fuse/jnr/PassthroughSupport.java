package io.ramdiskfs.fuse.jnr;

import io.ramdiskfs.disk.MemoryBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this process can have FUSE passthrough disks, decided before any disk is built: a
 * kernel of 6.9 or later, CAP_SYS_ADMIN (for the backing-file ioctls and the private tmpfs), and
 * a {@link BackingFilePool}. When not, one line says why and the disks are plain RAM disks,
 * served as without the option.
 */
public final class PassthroughSupport {
    private static final Logger log = LoggerFactory.getLogger(PassthroughSupport.class);
    private static final int CAP_SYS_ADMIN = 21;

    private PassthroughSupport() {}

    /**
     * The pool for passthrough disks, sharing {@code budget}'s limit with the RAM layers (one
     * budget for the mount, not one per kind), or null (logged).
     *
     * @param hugePages the files keep their bytes in 2 MiB pages ({@code huge=within_size})
     */
    public static BackingFilePool pool(MemoryBudget budget, boolean hugePages) {
        String why = missing(read("/proc/sys/kernel/osrelease"), read("/proc/self/status"));
        if (why != null) {
            log.info("passthrough disks are served as plain RAM disks: {}", why);
            return null;
        }
        BackingFilePool pool = BackingFilePool.create(budget.limit(), hugePages);
        if (pool == null) {
            return null;
        }
        try {
            budget.share(pool, loanStep(budget.limit()));
            return pool;
        } catch (RuntimeException e) {
            pool.close();
            log.info("passthrough disks are served as plain RAM disks: the passthrough tmpfs cannot share the memory budget ({})",
                    e.getMessage());
            return null;
        }
    }

    /**
     * How far the tmpfs's share of the budget moves at once: a 64th of the limit, between 1 and
     * 64 MiB. Smaller is closer to the limit for passthrough writes (the tmpfs may be refused up
     * to two steps early); larger is fewer reconfigurations (one per step of RAM written or freed).
     */
    static long loanStep(long limit) {
        long step = Math.min(64L << 20, Math.max(1L << 20, limit / 64));
        return step / 4096 * 4096;
    }

    /** What is missing for passthrough, or null; from the kernel release and /proc/self/status. */
    static String missing(String osRelease, String status) {
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(osRelease.trim());
        if (!m.find() || Integer.parseInt(m.group(1)) * 1000 + Integer.parseInt(m.group(2)) < 6009) {
            return "FUSE passthrough needs Linux 6.9 or later (this is " + osRelease.trim() + ")";
        }
        Matcher cap = Pattern.compile("(?m)^CapEff:\\s*([0-9a-fA-F]+)").matcher(status);
        if (!cap.find() || (Long.parseUnsignedLong(cap.group(1), 16) & (1L << CAP_SYS_ADMIN)) == 0) {
            return "FUSE passthrough needs CAP_SYS_ADMIN (run as root)";
        }
        return null;
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            return "";
        }
    }
}
