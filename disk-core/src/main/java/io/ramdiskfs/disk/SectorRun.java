package io.ramdiskfs.disk;

/**
 * A run of sectors in one state, as a layer reports it for SEEK_DATA / SEEK_HOLE
 * ({@link LayerIo#run}): data held, zeros held, or absent (what the layers below say).
 */
public final class SectorRun {
    public static final int DATA = 0;
    public static final int ZERO = 1;
    public static final int ABSENT = 2;

    /** One of {@link #DATA}, {@link #ZERO}, {@link #ABSENT}. */
    public int state;
    /** The first sector past the run. */
    public long end;

    public SectorRun set(int state, long end) {
        this.state = state;
        this.end = end;
        return this;
    }
}
