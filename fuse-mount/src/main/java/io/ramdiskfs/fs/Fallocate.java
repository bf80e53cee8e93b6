package io.ramdiskfs.fs;

/** The {@code fallocate(2)} mode bits, from {@code linux/falloc.h}. */
final class Fallocate {
    static final int KEEP_SIZE = 0x01;
    static final int PUNCH_HOLE = 0x02;
    static final int NO_HIDE_STALE = 0x04;
    static final int COLLAPSE_RANGE = 0x08;
    static final int ZERO_RANGE = 0x10;
    static final int INSERT_RANGE = 0x20;
    static final int UNSHARE_RANGE = 0x40;

    private Fallocate() {}

    static String describe(int mode) {
        return "0x" + Integer.toHexString(mode);
    }
}
