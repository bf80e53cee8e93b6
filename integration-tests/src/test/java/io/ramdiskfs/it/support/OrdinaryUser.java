package io.ramdiskfs.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real account made for one test class ({@code useradd -m}), with a home of its own, and
 * commands run as it through {@code setpriv} (its uid, its group, its supplementary groups, a
 * clean environment with its HOME). {@link #close} removes the account and its home
 * ({@code userdel -r}). A test that needs more than {@code nobody} uses this: nobody has no home
 * and no directory of its own to mount in or save to.
 */
public final class OrdinaryUser implements AutoCloseable {
    private final String name;
    private final Path home;
    private final int uid;
    private final int gid;

    private OrdinaryUser(String name, Path home, int uid, int gid) {
        this.name = name;
        this.home = home;
        this.uid = uid;
        this.gid = gid;
    }

    /** Creates {@code PREFIXnnn}, the first such name that is free. */
    public static OrdinaryUser create(String prefix) {
        for (int i = 0; i < 1000; i++) {
            String name = prefix + String.format("%03d", (ProcessHandle.current().pid() + i) % 1000);
            if (Cmd.run("id", "-u", name).ok()) {
                continue;
            }
            Cmd.ok("useradd", "--create-home", "--user-group", "--shell", "/bin/sh", name);
            Path home = Path.of(Cmd.ok("getent", "passwd", name).out().split(":")[5]);
            return new OrdinaryUser(name, home, Integer.parseInt(Cmd.ok("id", "-u", name).out()),
                    Integer.parseInt(Cmd.ok("id", "-g", name).out()));
        }
        throw new AssertionError("no free user name " + prefix + "NNN");
    }

    public String name() {
        return name;
    }

    public Path home() {
        return home;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    /** {@code setpriv ... env HOME=.. PATH=.. COMMAND}: the command as this user, in a clean environment. */
    public List<String> prefix() {
        return new ArrayList<>(List.of("setpriv", "--reuid=" + name, "--regid=" + name, "--init-groups", "--",
                "env", "-i", "HOME=" + home, "USER=" + name, "LOGNAME=" + name, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
                "LANG=C.UTF-8"));
    }

    public Cmd.Result run(String... command) {
        List<String> cmd = prefix();
        cmd.addAll(List.of(command));
        return Cmd.run(cmd);
    }

    public Cmd.Result ok(String... command) {
        return run(command).assertOk();
    }

    /** A directory in the home, made and owned by this user. */
    public Path dir(String relative) {
        Path d = home.resolve(relative);
        ok("mkdir", "-p", d.toString());
        return d;
    }

    /**
     * The launcher as a user who cloned and built ramdiskfs in their home has it: bin/ramdiskfs,
     * bin/lib/ and fuse-mount/target/ (the jar under test and its lib/) copied from this checkout
     * (which may sit where the user cannot enter), owned by the user. Returns the launcher.
     */
    public Path checkoutOf(Path repo, Path jar) throws IOException {
        Path tree = home.resolve("ramdiskfs");
        Path target = Files.createDirectories(tree.resolve("fuse-mount/target"));
        Files.createDirectories(tree.resolve("bin"));
        Cmd.ok("cp", "-p", repo.resolve("bin/ramdiskfs").toString(), tree.resolve("bin/ramdiskfs").toString());
        Cmd.ok("cp", "-pr", repo.resolve("bin/lib").toString(), tree.resolve("bin").toString());
        Cmd.ok("cp", "-p", jar.toString(), target.toString());
        Cmd.ok("cp", "-pr", jar.resolveSibling("lib").toString(), target.toString());
        Cmd.ok("chown", "-R", name + ":" + name, tree.toString());
        return tree.resolve("bin/ramdiskfs");
    }

    /**
     * Removes the account and its home. The test stops what it started as this user first, by PID
     * (a process still running as the user makes userdel fail, which is reported).
     */
    @Override
    public void close() {
        Cmd.run("userdel", "--remove", name).assertOk();
        Cmd.run("rm", "-rf", "/tmp/hsperfdata_" + name); // the user's JVMs left their perf data there
    }
}
