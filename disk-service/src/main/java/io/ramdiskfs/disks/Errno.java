package io.ramdiskfs.disks;

/** The Linux error numbers this filesystem answers with (x86-64 and arm64 share them). */
public enum Errno {
    EPERM(1),
    ENOENT(2),
    EINTR(4),
    EIO(5),
    ENXIO(6),
    EBADF(9),
    EAGAIN(11),
    ENOMEM(12),
    EACCES(13),
    EFAULT(14),
    EBUSY(16),
    EEXIST(17),
    ENOTDIR(20),
    EISDIR(21),
    EINVAL(22),
    EFBIG(27),
    ENOSPC(28),
    EROFS(30),
    ERANGE(34),
    ENAMETOOLONG(36),
    ENOSYS(38),
    ENOTEMPTY(39),
    ENODATA(61),
    EOPNOTSUPP(95);

    private final int code;

    Errno(int code) {
        this.code = code;
    }

    /** The positive error number. */
    public int code() {
        return code;
    }
}
