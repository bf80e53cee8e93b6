package io.ramdiskfs.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The mount helper's calling convention, {@code ramdiskfs SOURCE MOUNTPOINT -o OPTIONS}, which is
 * what {@code mount -t fuse.ramdiskfs} and an {@code /etc/fstab} line run (through
 * {@code /sbin/mount.fuse.ramdiskfs}), turned into the ordinary command line.
 *
 * <p>Every command-line option has an {@code -o} form; {@code -} and {@code _} are the same in
 * names. Commas separate options (mount(8) joins fstab's options with commas), so a disk's own
 * flags, which are comma-separated on the command line, are joined with {@code +} here:
 * <pre>
 *   disk=NAME=SIZE[+ro]              -d NAME=SIZE[,ro]          (repeat for more disks)
 *   disk=NAME=memdiff:IMAGE[+ro]     -d NAME=memdiff:IMAGE[,ro]
 *   vhost_user=DIR     --vhost-user DIR: every disk also on DIR/NAME.sock
 *   memory_limit=SIZE  sector_size=N  metrics=HOST:PORT  allow_other  ro  page_cache  no_xattr  passthrough  huge_pages  verbose
 *   log=FILE           where the daemon writes its log (helper form only)
 *   daemon_timeout=S   how long to wait for the daemon's mount, in seconds (default 600)
 * </pre>
 * Options mount(8), systemd and fstab use for themselves ({@code defaults, nofail, _netdev,
 * noauto, x-systemd.*, rw, dev, suid, exec, atime}... and their negations) are accepted and
 * ignored; {@code fsname=} and {@code subtype=} too (the mount is always {@code fuse.ramdiskfs}).
 * Anything else is refused with its text. SOURCE is not used: write {@code ramdiskfs}.
 *
 * <p>With SOURCE and MOUNTPOINT the mount runs as a daemon ({@link MountHelper}); with
 * MOUNTPOINT alone, or {@code -f}, it stays in the foreground (a systemd service).
 */
public record MountHelperArgs(String mountPoint, boolean daemon, List<String> cliArgs, String logFile, long daemonTimeoutSeconds) {
    public static final long DEFAULT_DAEMON_TIMEOUT_SECONDS = 600;

    /** Accepted and ignored: mount(8)'s, fstab's and systemd's own options. */
    static final Set<String> IGNORED = Set.of("defaults", "auto", "noauto", "nofail", "_netdev", "user", "users", "nouser",
            "owner", "group", "rw", "dev", "nodev", "suid", "nosuid", "exec", "noexec", "atime", "noatime", "relatime",
            "norelatime", "strictatime", "nostrictatime", "lazytime", "nolazytime", "diratime", "nodiratime", "async",
            "sync", "default_permissions", "silent", "loud", "auto_cache", "noiversion", "iversion", "nomand", "mand");

    public MountHelperArgs {
        cliArgs = List.copyOf(cliArgs);
    }

    /**
     * True for argv in the helper form: an {@code -o} anywhere (mount.fuse.ramdiskfs always passes
     * one). Two bare arguments stay what they always were, a usage error (one MOUNTPOINT only).
     */
    public static boolean isHelperForm(String[] args) {
        for (String a : args) {
            if (a.startsWith("-o")) {
                return true;
            }
        }
        return false;
    }

    public static MountHelperArgs parse(List<String> argv) throws UsageException {
        List<String> positional = new ArrayList<>();
        List<String> options = new ArrayList<>();
        boolean foreground = false;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-o")) {
                if (i + 1 >= argv.size()) {
                    throw new UsageException("-o needs a value: -o disk=NAME=SIZE,memory_limit=SIZE,...");
                }
                options.add(argv.get(++i));
            } else if (a.startsWith("-o")) {
                options.add(a.substring(2));
            } else if (a.equals("-f")) {
                foreground = true;
            } else if (a.startsWith("-") && a.length() > 1) {
                throw new UsageException("unexpected '" + a + "': the mount helper form takes SOURCE MOUNTPOINT -o OPTIONS"
                        + " (and -f to stay in the foreground)");
            } else {
                positional.add(a);
            }
        }
        if (positional.isEmpty() || positional.size() > 2) {
            throw new UsageException("expected SOURCE MOUNTPOINT -o OPTIONS (or MOUNTPOINT -o OPTIONS), got "
                    + positional.size() + " arguments " + positional);
        }
        String mp = positional.get(positional.size() - 1);
        if (mp.isEmpty()) {
            throw new UsageException("the mount point is an empty string");
        }
        List<String> cli = new ArrayList<>();
        String log = null;
        long timeout = DEFAULT_DAEMON_TIMEOUT_SECONDS;
        for (String group : options) {
            for (String item : group.split(",", -1)) {
                if (item.isBlank()) {
                    continue;
                }
                int eq = item.indexOf('=');
                String name = (eq < 0 ? item : item.substring(0, eq)).trim().toLowerCase(Locale.ROOT).replace('-', '_');
                String value = eq < 0 ? null : item.substring(eq + 1);
                switch (name) {
                    case "disk" -> cli.addAll(List.of("--disk", need(item, name, value).replace('+', ',')));
                    case "memory_limit" -> cli.addAll(List.of("--memory-limit", need(item, name, value)));
                    case "sector_size" -> cli.addAll(List.of("--sector-size", need(item, name, value)));
                    case "metrics" -> cli.addAll(List.of("--metrics", need(item, name, value)));
                    case "vhost_user" -> cli.addAll(List.of("--vhost-user", need(item, name, value)));
                    case "allow_other" -> cli.add(flag(item, name, value, "--allow-other"));
                    case "ro", "read_only" -> cli.add(flag(item, name, value, "--read-only"));
                    case "page_cache" -> cli.add(flag(item, name, value, "--page-cache"));
                    case "no_xattr" -> cli.add(flag(item, name, value, "--no-xattr"));
                    case "passthrough" -> cli.add(flag(item, name, value, "--passthrough"));
                    case "huge_pages" -> cli.add(flag(item, name, value, "--huge-pages"));
                    case "verbose", "debug" -> cli.add(flag(item, name, value, "-v"));
                    case "log" -> log = need(item, name, value);
                    case "daemon_timeout" -> timeout = seconds(item, need(item, name, value));
                    case "fsname", "subtype" -> { } // always ramdiskfs / fuse.ramdiskfs
                    default -> {
                        if (!IGNORED.contains(name) && !name.startsWith("x_") && !name.equals("comment")) {
                            throw new UsageException("unknown mount option '" + item + "' (known: disk=NAME=SIZE[+ro],"
                                    + " memory_limit=SIZE, sector_size=N, metrics=HOST:PORT, vhost_user=DIR, allow_other, ro, page_cache,"
                                    + " no_xattr, passthrough, huge_pages, verbose, log=FILE, daemon_timeout=SECONDS; see ramdiskfs(1))");
                        }
                    }
                }
            }
        }
        cli.add(mp);
        return new MountHelperArgs(mp, positional.size() == 2 && !foreground, cli, log, timeout);
    }

    private static String need(String item, String name, String value) throws UsageException {
        if (value == null || value.isEmpty()) {
            throw new UsageException("mount option '" + item + "' needs a value: " + name + "=...");
        }
        return value;
    }

    private static String flag(String item, String name, String value, String cli) throws UsageException {
        if (value != null) {
            throw new UsageException("mount option '" + item + "' takes no value: write " + name);
        }
        return cli;
    }

    private static long seconds(String item, String value) throws UsageException {
        try {
            long s = Long.parseLong(value.trim());
            if (s > 0) {
                return s;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException("mount option '" + item + "': '" + value + "' is not a positive number of seconds");
    }
}
