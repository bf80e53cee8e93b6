package io.ramdiskfs.it.support;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test class mounts for real. Before its first test {@link FuseRequirement} checks /dev/fuse,
 * libfuse.so.2, fusermount, the listed tools and (with {@link #root}) root; anything missing fails
 * the class with one clear message, unless {@code RAMDISKFS_SKIP_MOUNT_TESTS=1} skips it on purpose.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(FuseRequirement.class)
public @interface RequiresFuse {
    /** Needs root: losetup, mount, umount. */
    boolean root() default false;

    /** Commands that must be on the PATH, e.g. {@code "fio"}, {@code "mkfs.ext4"}. */
    String[] tools() default {};
}
