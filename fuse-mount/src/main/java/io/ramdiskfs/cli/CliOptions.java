package io.ramdiskfs.cli;

import io.ramdiskfs.DiskDefinition;
import io.ramdiskfs.MountOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The command line as picocli fills it in: raw text only. {@link #toMountOptions} checks it and
 * turns it into {@link MountOptions}; every value is parsed there (not by picocli's converters), so
 * each problem is one line in our own words.
 */
@Command(name = "ramdiskfs",
        usageHelpAutoWidth = false,
        usageHelpWidth = 100,
        sortOptions = false,
        headerHeading = "",
        header = "Mount a FUSE filesystem in which every regular file is a layered RAM disk.",
        synopsisHeading = "%nUsage: ",
        customSynopsis = "ramdiskfs [OPTIONS] [MOUNTPOINT]",
        parameterListHeading = "%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%n",
        footer = {
            "Sizes are bytes with an optional binary suffix: 4096, 64K, 512M, 8G, 1T (K=1024; 'B'/'iB' may follow).",
            "Stays in the foreground; Ctrl-C or SIGTERM unmounts and exits 0 (a second signal detaches a busy",
            "mount lazily). Exit codes: 0 done, 1 mount failure, 2 bad command line.",
            "",
            "Examples:",
            "  ramdiskfs                                    # ./disks/disk0, 1 GiB",
            "  ramdiskfs -d disk0=4G -d scratch=1G --memory-limit 6G /mnt/rd",
            "  ramdiskfs -d vm=memdiff:/var/lib/images/debian.raw -d base=memdiff:base.raw,ro /mnt/rd",
            "",
            "On a running mount: ramdiskfs snapshot MOUNT[/DISK] NAME, rollback MOUNT[/DISK] NAME, snapshots MOUNT,",
            "  clone SRC DST, save MOUNT/DISK [IMAGE], commit MOUNT/DISK, status [MOUNTPOINT] [--json].",
            "Also the mount helper form ramdiskfs SOURCE MOUNTPOINT -o disk=NAME=SIZE,...",
            "(what mount -t fuse.ramdiskfs and /etc/fstab run: it daemonizes and returns once the mount is live); man ramdiskfs."})
public final class CliOptions {
    /** Where to mount when no MOUNTPOINT is given: {@code ./disks}, created when missing. */
    public static final String DEFAULT_MOUNT_POINT = "disks";
    /** The disk when no {@code --disk} is given. */
    public static final String DEFAULT_DISK = "disk0=1G";

    @Parameters(index = "0", arity = "0..1", paramLabel = "MOUNTPOINT",
            description = "An existing directory to mount on (default: ./disks, created if missing).")
    String mountPoint;

    @Option(names = {"-d", "--disk"}, paramLabel = "SPEC",
            description = {"NAME=SIZE[,ro][,passthrough]: a RAM disk of SIZE bytes (it grows when written past the end).",
                "NAME=memdiff:IMAGE[,ro]: a RAM layer over a read-only raw image file; writes land in RAM.",
                "NAME=load:IMAGE[,ro]: a RAM disk filled from IMAGE at start (holes stay holes).",
                "NAME=persist:IMAGE[,size=SIZE]: loaded at start (empty of SIZE if IMAGE is missing), saved back",
                "  to IMAGE at every clean stop and by 'ramdiskfs save MOUNT/NAME'; writes since the last save are lost on kill -9.",
                "NAME=cache:IMAGE[,ro]: like memdiff, and what reads fetch from IMAGE stays cached in RAM.",
                "NAME=writethrough:IMAGE[,ro]: writes go to RAM and into IMAGE; reads come from RAM once cached.",
                "IMAGE may be a regular file or a block device.",
                "Repeat for more disks (default: " + DEFAULT_DISK + ")."})
    List<String> disks = new ArrayList<>();

    @Option(names = "--save-interval", paramLabel = "DURATION",
            description = "Also save every persist: disk this often (e.g. 30s, 5m, 1h); default: only at a clean stop.")
    String saveInterval;

    @Option(names = "--sector-size", paramLabel = "N", description = "512 (default) or 4096.")
    String sectorSize;

    @Option(names = "--memory-limit", paramLabel = "SIZE",
            description = "Memory budget shared by all RAM layers (default: half of the machine's RAM).")
    String memoryLimit;

    @Option(names = "--read-only", description = "Every disk read-only; no disk can be created.")
    boolean readOnly;

    @Option(names = "--allow-other", description = "Let other users use the mount (-o allow_other; needs user_allow_other in /etc/fuse.conf when not root).")
    boolean allowOther;

    @Option(names = "--no-xattr", description = "Do not serve the user.ramdiskfs.* attributes. Only matters with --page-cache,"
            + " where the kernel otherwise asks for security.capability before every write (docs/performance.md).")
    boolean noXattr;

    @Option(names = "--page-cache", description = "Serve the disks through the kernel page cache (shared writable mmap works)"
            + " instead of direct I/O. Costs a second copy of the data in the cache and slower writes (docs/performance.md).")
    boolean pageCache;

    @Option(names = "--passthrough", description = "Let the kernel read and write plain RAM disks itself (FUSE passthrough:"
            + " near tmpfs speed; Linux 6.9+, root). No snapshot, rollback or clone of such a disk while it is open."
            + " Per disk: --disk NAME=SIZE,passthrough.")
    boolean passthrough;

    @Option(names = "--huge-pages", description = "Passthrough disks keep their bytes in 2 MiB pages (tmpfs huge=within_size):"
            + " 4 KiB random I/O on a written disk ~1.2x and 1 MiB I/O 2-3x faster, but memory is taken in 2 MiB units (a 4 KiB"
            + " write into an untouched 2 MiB costs 2 MiB; du shows it; a punch still frees 4 KiB pages). Needs --passthrough"
            + " or a ,passthrough disk.")
    boolean hugePages;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9100; port 0: any free port).")
    String metrics;

    @Option(names = "--vhost-user", paramLabel = "DIR",
            description = {"Also serve every disk NAME as a vhost-user-blk device on DIR/NAME.sock (created if missing), for qemu:",
                "-object memory-backend-memfd,id=mem,size=RAM,share=on -machine memory-backend=mem",
                "-chardev socket,id=d0,path=DIR/NAME.sock -device vhost-user-blk-pci,chardev=d0. The same disk as the",
                "file (snapshots, rollback, budget); a connected guest holds it open for writing."})
    String vhostUser;

    @Option(names = {"-v", "--verbose"}, description = "Log at debug level; -vv: trace.")
    boolean[] verbose = new boolean[0];

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean versionRequested;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
    boolean helpRequested;

    /** 0 = info, 1 = debug, 2 or more = trace. */
    public int verbosity() {
        return verbose.length;
    }

    /** True when no MOUNTPOINT was given and {@code ./disks} is used. */
    public boolean mountPointDefaulted() {
        return mountPoint == null;
    }

    /**
     * Checks everything and builds the mount's options.
     *
     * @param workingDir   what relative paths (the mount point, images) are resolved against
     * @param defaultLimit the memory limit when {@code --memory-limit} is not given
     */
    public MountOptions toMountOptions(Path workingDir, LongSupplier defaultLimit) throws UsageException {
        int sector = parseSectorSize(sectorSize);
        long limit;
        if (memoryLimit == null) {
            limit = defaultLimit.getAsLong();
        } else {
            try {
                limit = SizeParser.parse(memoryLimit);
            } catch (UsageException e) {
                throw new UsageException("--memory-limit: " + e.getMessage());
            }
        }
        List<String> specs = disks.isEmpty() ? List.of(DEFAULT_DISK) : disks;
        List<DiskDefinition> defs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String spec : specs) {
            DiskDefinition d = DiskSpecParser.parse(spec, sector, workingDir);
            if (!names.add(d.name())) {
                throw new UsageException("disk name '" + d.name() + "' is given twice");
            }
            defs.add(d);
        }
        if (saveInterval != null) {
            java.time.Duration every = parseDuration(saveInterval);
            if (defs.stream().noneMatch(d -> d.role() == DiskDefinition.Role.PERSIST)) {
                throw new UsageException("--save-interval needs a persist: disk");
            }
            defs.replaceAll(d -> d.role() == DiskDefinition.Role.PERSIST ? d.withSaveInterval(every) : d);
        }
        if (hugePages && !passthrough && defs.stream().noneMatch(DiskDefinition::passthrough)) {
            throw new UsageException("--huge-pages is for passthrough disks: add --passthrough, or ,passthrough to a disk");
        }
        if (mountPoint != null && mountPoint.isEmpty()) {
            throw new UsageException("the mount point is an empty string");
        }
        Path mp = workingDir.resolve(mountPoint == null ? DEFAULT_MOUNT_POINT : mountPoint).toAbsolutePath().normalize();
        Path sockets = null;
        if (vhostUser != null) {
            if (vhostUser.isBlank()) {
                throw new UsageException("--vhost-user: the socket directory is an empty string");
            }
            sockets = workingDir.resolve(vhostUser).toAbsolutePath().normalize();
            if (sockets.startsWith(mp)) {
                // The sockets would be looked for inside the FUSE mount, which holds only disks.
                throw new UsageException("--vhost-user: " + sockets + " is inside the mount point " + mp + "; give a directory outside it");
            }
        }
        try {
            return new MountOptions(mp, defs, sector, limit, readOnly, allowOther, !noXattr, pageCache, passthrough, hugePages, sockets);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage()); // checked above; kept so nothing escapes as a stack trace
        }
    }

    /** {@code 90}, {@code 90s}, {@code 5m}, {@code 1h}: a positive duration. */
    static java.time.Duration parseDuration(String text) throws UsageException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)?").matcher(text.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new UsageException("--save-interval: '" + text + "' is not a positive duration like 30s, 5m or 1h");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> java.time.Duration.ofMillis(n);
            case "m" -> java.time.Duration.ofMinutes(n);
            case "h" -> java.time.Duration.ofHours(n);
            default -> java.time.Duration.ofSeconds(n);
        };
    }

    static int parseSectorSize(String text) throws UsageException {
        if (text == null) {
            return MountOptions.DEFAULT_SECTOR_SIZE;
        }
        switch (text.trim()) {
            case "512":
                return 512;
            case "4096":
                return 4096;
            default:
                throw new UsageException("--sector-size: '" + text + "' is not 512 or 4096");
        }
    }
}
