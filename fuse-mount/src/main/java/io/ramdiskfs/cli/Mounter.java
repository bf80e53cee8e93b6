package io.ramdiskfs.cli;

import io.ramdiskfs.MountException;
import io.ramdiskfs.MountOptions;
import io.ramdiskfs.RamDiskFs;
import java.nio.file.Path;

/** Makes a mount: {@link RamDiskFs#mount} for real, a fake in tests. */
@FunctionalInterface
public interface Mounter {
    Mounted mount(MountOptions options) throws MountException;

    /** What the command line does with a live mount: the slice of {@link RamDiskFs} it uses. */
    interface Mounted {
        Path mountPoint();

        /** Unmounts; throws when the kernel refuses (busy). */
        void close() throws MountException;

        /** {@code fusermount -uz}. */
        void unmountLazily() throws MountException;

        /** Returns once the mount is gone, whoever unmounted it. */
        void awaitUnmounted() throws InterruptedException;

        /** The persist disks the stop could not save, one line each (disk, image, why). */
        default java.util.List<String> unsavedAtStop() {
            return java.util.List.of();
        }

        /** The figures of {@code ramdiskfs status} and {@code /metrics}; null where there are none (tests). */
        default io.ramdiskfs.status.MountStatus status() {
            return null;
        }
    }

    /** The real thing. */
    Mounter RAMDISKFS = options -> {
        RamDiskFs fs = RamDiskFs.mount(options);
        return new Mounted() {
            @Override
            public Path mountPoint() {
                return fs.mountPoint();
            }

            @Override
            public void close() throws MountException {
                fs.close();
            }

            @Override
            public void unmountLazily() throws MountException {
                fs.unmountLazily();
            }

            @Override
            public void awaitUnmounted() throws InterruptedException {
                fs.awaitUnmounted();
            }

            @Override
            public java.util.List<String> unsavedAtStop() {
                return fs.unsavedAtStop();
            }

            @Override
            public io.ramdiskfs.status.MountStatus status() {
                return fs.directory().status();
            }
        };
    };
}
