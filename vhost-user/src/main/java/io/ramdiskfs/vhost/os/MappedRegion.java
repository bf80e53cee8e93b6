package io.ramdiskfs.vhost.os;

import java.io.IOException;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** A shared mapping of a guest memory file (the memfd qemu sends with SET_MEM_TABLE). */
public final class MappedRegion {
    private final long address;
    private final long length;

    private MappedRegion(long address, long length) {
        this.address = address;
        this.length = length;
    }

    /**
     * Maps {@code length} bytes of {@code fd} from offset 0, read-write and shared, the way
     * libvhost-user does (the region's own offset is added by the caller: the mapping itself must
     * start page aligned).
     */
    public static MappedRegion map(int fd, long length) throws IOException {
        Pointer p = Os.libc().mmap(null, length, LinuxAbi.PROT_READ | LinuxAbi.PROT_WRITE,
                LinuxAbi.MAP_SHARED | LinuxAbi.MAP_NORESERVE, fd, 0);
        if (p == null || p.address() == -1L) {
            throw Os.failure("mmap of " + length + " bytes of guest memory");
        }
        return new MappedRegion(p.address(), length);
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    public void unmap() {
        Os.libc().munmap(Pointer.wrap(Runtime.getRuntime(Os.libc()), address), length);
    }
}
