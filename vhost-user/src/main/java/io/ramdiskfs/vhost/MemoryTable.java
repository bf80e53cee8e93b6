package io.ramdiskfs.vhost;

import io.ramdiskfs.vhost.os.MappedRegion;
import java.util.List;

/**
 * The guest's memory as qemu described it in SET_MEM_TABLE: regions of guest-physical addresses
 * (what descriptors hold) and of qemu's own virtual addresses (what ring addresses are), each
 * mapped here at a host address. Immutable; a new table replaces the old one whole. Every
 * translation checks the whole range against one region, in unsigned arithmetic, because the
 * numbers come from an untrusted guest and a wrong host address is a crash, not an exception.
 */
public final class MemoryTable {
    private final long[] guestPhys;
    private final long[] sizes;
    private final long[] userAddrs;
    private final long[] hosts;
    private final List<MappedRegion> mappings;

    /**
     * @param guestPhys guest-physical start of each region
     * @param sizes     bytes of each region (&gt; 0, no region wraps the address space)
     * @param userAddrs qemu's virtual address of each region's start
     * @param hosts     host address of each region's start here
     * @param mappings  what {@link #unmap} releases (none for a test's memory)
     */
    public MemoryTable(long[] guestPhys, long[] sizes, long[] userAddrs, long[] hosts, List<MappedRegion> mappings) {
        int n = guestPhys.length;
        if (sizes.length != n || userAddrs.length != n || hosts.length != n) {
            throw new IllegalArgumentException("region arrays differ in length");
        }
        for (int i = 0; i < n; i++) {
            if (sizes[i] <= 0 || wraps(guestPhys[i], sizes[i]) || wraps(userAddrs[i], sizes[i])) {
                throw new IllegalArgumentException("region " + i + " at guest 0x" + Long.toHexString(guestPhys[i])
                        + " of 0x" + Long.toHexString(sizes[i]) + " bytes is empty or wraps");
            }
        }
        this.guestPhys = guestPhys.clone();
        this.sizes = sizes.clone();
        this.userAddrs = userAddrs.clone();
        this.hosts = hosts.clone();
        this.mappings = List.copyOf(mappings);
    }

    public static final MemoryTable EMPTY = new MemoryTable(new long[0], new long[0], new long[0], new long[0], List.of());

    public int regionCount() {
        return sizes.length;
    }

    private static boolean wraps(long start, long length) {
        return Long.compareUnsigned(start + length, start) < 0 && start + length != 0;
    }

    /** Whether {@code [addr, addr + length)} lies in {@code [start, start + size)}, unsigned. */
    private static boolean inside(long addr, long length, long start, long size) {
        long off = addr - start;
        return Long.compareUnsigned(addr, start) >= 0 && Long.compareUnsigned(off, size) < 0
                && Long.compareUnsigned(length, size - off) <= 0;
    }

    /** The host address of qemu virtual range {@code [qva, qva + length)}, or 0 when it is not all in one region. */
    public long userToHost(long qva, long length) {
        for (int i = 0; i < sizes.length; i++) {
            if (inside(qva, length, userAddrs[i], sizes[i])) {
                return hosts[i] + (qva - userAddrs[i]);
            }
        }
        return 0;
    }

    /** The host address of guest range {@code [gpa, gpa + length)}, or 0 when it is not all in one region. */
    public long guestToHost(long gpa, long length) {
        for (int i = 0; i < sizes.length; i++) {
            if (inside(gpa, length, guestPhys[i], sizes[i])) {
                return hosts[i] + (gpa - guestPhys[i]);
            }
        }
        return 0;
    }

    /** The region holding guest address {@code gpa}, or -1: with {@link #hostOf} and {@link #bytesLeft} it splits a buffer that spans regions. */
    public int regionOf(long gpa) {
        for (int i = 0; i < sizes.length; i++) {
            if (inside(gpa, 1, guestPhys[i], sizes[i])) {
                return i;
            }
        }
        return -1;
    }

    public long hostOf(int region, long gpa) {
        return hosts[region] + (gpa - guestPhys[region]);
    }

    /** Bytes from {@code gpa} to the end of {@code region}. */
    public long bytesLeft(int region, long gpa) {
        return sizes[region] - (gpa - guestPhys[region]);
    }

    /** Unmaps the regions; nothing may use this table afterwards. */
    public void unmap() {
        for (MappedRegion m : mappings) {
            m.unmap();
        }
    }
}
