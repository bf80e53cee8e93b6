package io.ramdiskfs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The numbers in FuseKernel that can be derived rather than copied, and the opcode table's shape. */
class FuseKernelTest {
    /** {@code _IOW(type, nr, size)} of asm-generic/ioctl.h: dir (write = 1) << 30 | size << 16 | type << 8 | nr. */
    private static int iow(int type, int nr, int size) {
        return 1 << 30 | size << 16 | type << 8 | nr;
    }

    @Test
    void ioctlNumbersFollowFromTheirArguments() {
        assertEquals(iow(FuseKernel.DEV_IOC_MAGIC, 1, FuseKernel.BackingMap.SIZE), FuseKernel.FUSE_DEV_IOC_BACKING_OPEN);
        assertEquals(iow(FuseKernel.DEV_IOC_MAGIC, 2, 4), FuseKernel.FUSE_DEV_IOC_BACKING_CLOSE);
    }

    @Test
    void initFlagsAbove31TravelInFlags2() {
        assertEquals(1 << 5, FuseKernel.high(FuseKernel.FUSE_PASSTHROUGH));
        assertEquals(0, FuseKernel.low(FuseKernel.FUSE_PASSTHROUGH));
        assertEquals(1 << 9, FuseKernel.high(FuseKernel.FUSE_OVER_IO_URING));
        assertEquals(1 << 22, FuseKernel.low(FuseKernel.FUSE_MAX_PAGES));
    }

    @Test
    void structsEndWhereTheirLastFieldDoes() {
        assertEquals(FuseKernel.InitOut.REQUEST_TIMEOUT + 2 + 11 * 2, FuseKernel.InitOut.SIZE);
        assertEquals(FuseKernel.InitOut.MAX_STACK_DEPTH + 4, FuseKernel.InitOut.REQUEST_TIMEOUT);
        assertEquals(FuseKernel.InitIn.FLAGS2 + 4 + 11 * 4, FuseKernel.InitIn.SIZE);
        assertEquals(FuseKernel.CopyFileRangeIn.FLAGS + 8, FuseKernel.CopyFileRangeIn.SIZE);
        assertEquals(FuseKernel.InHeader.TOTAL_EXTLEN + 4, FuseKernel.InHeader.SIZE);
    }

    @Test
    void workersServeDataSeekAndCopyAndNothingElse() {
        assertNotNull(NativeOps.of(FuseKernel.FUSE_READ));
        assertNotNull(NativeOps.of(FuseKernel.FUSE_WRITE));
        assertNotNull(NativeOps.of(FuseKernel.FUSE_LSEEK), "libfuse2 would answer ENOSYS and turn SEEK_DATA off");
        assertNotNull(NativeOps.of(FuseKernel.FUSE_COPY_FILE_RANGE));
        assertNotNull(NativeOps.of(FuseKernel.FUSE_COPY_FILE_RANGE_64));
        int served = 0;
        for (int op = -1; op <= FuseKernel.OPCODE_LIMIT; op++) {
            served += NativeOps.of(op) == null ? 0 : 1;
        }
        assertEquals(5, served);
        assertNull(NativeOps.of(4096), "CUSE_INIT");
        assertNull(NativeOps.forRequest(FuseKernel.FUSE_WRITE, FuseKernel.InHeader.SIZE + FuseKernel.ReadWriteIn.SIZE - 1),
                "a WRITE shorter than its fuse_write_in goes to libfuse");
    }
}
