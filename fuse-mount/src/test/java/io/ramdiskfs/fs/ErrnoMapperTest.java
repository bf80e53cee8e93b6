package io.ramdiskfs.fs;

import io.ramdiskfs.disks.FsException;

import io.ramdiskfs.disks.Errno;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ramdiskfs.disk.DiskError;
import io.ramdiskfs.disk.DiskException;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every failure becomes exactly one errno, and nothing escapes. */
class ErrnoMapperTest {
    private static final Map<DiskError, Errno> EXPECTED = new EnumMap<>(Map.of(
            DiskError.ILLEGAL_BLOCK, Errno.EINVAL,
            DiskError.NO_SPACE, Errno.ENOSPC,
            DiskError.READ_ONLY, Errno.EROFS,
            DiskError.INVALID_INPUT, Errno.EINVAL,
            DiskError.TOO_LARGE, Errno.EFBIG,
            DiskError.UNSUPPORTED, Errno.EOPNOTSUPP,
            DiskError.IO, Errno.EIO));

    @ParameterizedTest
    @EnumSource(DiskError.class)
    void everyDiskErrorHasItsErrno(DiskError error) {
        Errno expected = EXPECTED.get(error);
        assertEquals(expected, ErrnoMapper.errno(new DiskException(error, "test")), "errno for " + error);
        assertEquals(-expected.code(), ErrnoMapper.fail("op", "/disk0", 1, 2, new DiskException(error, "test")));
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    void anFsExceptionCarriesItsOwnErrno(Errno errno) {
        FsException e = new FsException(errno, "test");
        assertEquals(errno, ErrnoMapper.errno(e));
        assertEquals(-errno.code(), ErrnoMapper.fail("op", "/disk0", 0, 0, e));
    }

    @Test
    void anythingUnexpectedIsEio() {
        assertEquals(Errno.EIO, ErrnoMapper.errno(new RuntimeException("boom")));
        assertEquals(Errno.EIO, ErrnoMapper.errno(new NullPointerException()));
        assertEquals(Errno.EIO, ErrnoMapper.errno(new IllegalStateException("x")));
        assertEquals(Errno.EIO, ErrnoMapper.errno(new OutOfMemoryError("x")));
        assertEquals(Errno.EIO, ErrnoMapper.errno(new Exception("checked")));
        assertEquals(-5, ErrnoMapper.fail("read", "/disk0", 4096, 512, new RuntimeException("boom")));
    }

    @Test
    void aWrappedDiskExceptionIsStillUnexpected() {
        assertEquals(Errno.EIO, ErrnoMapper.errno(new RuntimeException(new DiskException(DiskError.NO_SPACE, "x"))));
    }

    @Test
    void errnoCodesAreLinuxs() {
        Map<Errno, Integer> linux = new EnumMap<>(Errno.class);
        linux.put(Errno.EPERM, 1);
        linux.put(Errno.ENOENT, 2);
        linux.put(Errno.EIO, 5);
        linux.put(Errno.EBADF, 9);
        linux.put(Errno.EACCES, 13);
        linux.put(Errno.EEXIST, 17);
        linux.put(Errno.ENOTDIR, 20);
        linux.put(Errno.EISDIR, 21);
        linux.put(Errno.EINVAL, 22);
        linux.put(Errno.EFBIG, 27);
        linux.put(Errno.ENOSPC, 28);
        linux.put(Errno.EROFS, 30);
        linux.put(Errno.ERANGE, 34);
        linux.put(Errno.ENAMETOOLONG, 36);
        linux.put(Errno.ENOSYS, 38);
        linux.put(Errno.ENODATA, 61);
        linux.put(Errno.EOPNOTSUPP, 95);
        linux.put(Errno.EINTR, 4);
        linux.put(Errno.ENXIO, 6);
        linux.put(Errno.EAGAIN, 11);
        linux.put(Errno.ENOMEM, 12);
        linux.put(Errno.EFAULT, 14);
        linux.put(Errno.EBUSY, 16);
        linux.put(Errno.ENOTEMPTY, 39);
        for (Errno e : Errno.values()) {
            assertEquals(linux.get(e), e.code(), e.name());
        }
    }

    @Test
    void fsExceptionToStringNamesTheErrno() {
        FsException e = new FsException(Errno.ENOENT, "no disk /x");
        assertEquals("ENOENT: no disk /x", e.toString());
        assertEquals("no disk /x", e.getMessage());
    }
}
