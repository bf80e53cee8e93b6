package io.ramdiskfs.it.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Mount tests need the kernel's FUSE device, libfuse2, fusermount and their client tools. Missing
 * any of them is a broken test machine, not a reason to pass quietly: the class fails, saying
 * what is missing and how to get it. {@code RAMDISKFS_SKIP_MOUNT_TESTS=1} skips the class instead,
 * for a machine that cannot mount on purpose.
 */
public final class FuseRequirement implements ExecutionCondition, BeforeAllCallback {
    public static final String SKIP_VARIABLE = "RAMDISKFS_SKIP_MOUNT_TESTS";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if ("1".equals(System.getenv(SKIP_VARIABLE))) {
            return ConditionEvaluationResult.disabled(SKIP_VARIABLE + "=1 is set: mount tests are skipped on purpose");
        }
        return ConditionEvaluationResult.enabled("mount tests run");
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        RequiresFuse needs = context.getTestClass()
                .flatMap(c -> AnnotationSupport.findAnnotation(c, RequiresFuse.class))
                .orElse(null);
        List<String> missing = missing(needs);
        if (!missing.isEmpty()) {
            throw new IllegalStateException(context.getDisplayName() + " mounts ramdiskfs for real, but this machine cannot: "
                    + String.join("; ", missing)
                    + ". On Debian as root, bin/test installs what is missing (apt-get install fuse libfuse2 fio e2fsprogs util-linux attr)."
                    + " Set " + SKIP_VARIABLE + "=1 to skip the mount tests on purpose.");
        }
    }

    /** What this machine lacks for {@code needs}; empty when it can run the tests. */
    static List<String> missing(RequiresFuse needs) {
        List<String> missing = new ArrayList<>();
        if (!Files.exists(Path.of("/dev/fuse"))) {
            missing.add("/dev/fuse is missing (modprobe fuse; in a container: --device /dev/fuse --cap-add SYS_ADMIN)");
        } else if (!Files.isReadable(Path.of("/dev/fuse")) || !Files.isWritable(Path.of("/dev/fuse"))) {
            missing.add("/dev/fuse is not readable and writable by this user");
        }
        if (!hasLibfuse2()) {
            missing.add("libfuse.so.2 is not in the linker cache (ldconfig -p; package libfuse2; fuse3 is not enough)");
        }
        Set<String> tools = new LinkedHashSet<>(List.of("fusermount"));
        if (needs != null) {
            tools.addAll(List.of(needs.tools()));
        }
        for (String t : tools) {
            if (!Cmd.exists(t)) {
                missing.add(t + " is not on the PATH");
            }
        }
        if (needs != null && needs.root() && !isRoot()) {
            missing.add("these tests need root (losetup, mount), and uid is " + uid());
        }
        return missing;
    }

    static boolean hasLibfuse2() {
        String ldconfig = Cmd.exists("ldconfig") ? "ldconfig" : "/sbin/ldconfig";
        try {
            Cmd.Result r = Cmd.run(ldconfig, "-p");
            return r.ok() && r.stdout().contains("libfuse.so.2");
        } catch (RuntimeException | AssertionError e) {
            return false;
        }
    }

    public static boolean isRoot() {
        return uid() == 0;
    }

    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (Exception e) {
            return -1;
        }
    }
}
