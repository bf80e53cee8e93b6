package io.ramdiskfs.disk;

/**
 * A layer that passes every call to another one: tests override the calls they watch or hold up
 * (a write that waits for a second writer, a read that is counted or races a write).
 */
public class ForwardingLayer implements LayerIo {
    protected final LayerIo layer;

    public ForwardingLayer(LayerIo layer) {
        this.layer = layer;
    }

    @Override
    public void read(Object base, long offset, long sector, int count, SectorMarker marker) throws DiskException {
        layer.read(base, offset, sector, count, marker);
    }

    @Override
    public void write(Object base, long offset, long sector, int count, boolean fua) throws DiskException {
        layer.write(base, offset, sector, count, fua);
    }

    @Override
    public String kind() {
        return layer.kind();
    }

    @Override
    public String description() {
        return layer.description();
    }

    @Override
    public int sectorSize() {
        return layer.sectorSize();
    }

    @Override
    public long sectorCount() {
        return layer.sectorCount();
    }

    @Override
    public boolean isReadOnly() {
        return layer.isReadOnly();
    }

    @Override
    public void unmap(long sector, long count, long zeroBelowFrom) throws DiskException {
        layer.unmap(sector, count, zeroBelowFrom);
    }

    @Override
    public void flush() throws DiskException {
        layer.flush();
    }

    @Override
    public long committedBytes() {
        return layer.committedBytes();
    }

    @Override
    public void close() {
        layer.close();
    }
}
