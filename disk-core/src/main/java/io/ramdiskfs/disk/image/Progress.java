package io.ramdiskfs.disk.image;

/** Told how far a save or load has come, in bytes of data (holes cost nothing and count nothing). */
@FunctionalInterface
public interface Progress {
    void update(long doneBytes, long totalBytes);

    Progress NONE = (done, total) -> {};
}
