package io.ramdiskfs.vhost.os;

/**
 * Every Linux x86-64 ABI number the vhost-user door uses: flags, constants and struct layouts
 * (glibc 2.36 {@code bits/socket.h}, {@code sys/un.h}, {@code bits/poll.h}, {@code bits/eventfd.h},
 * {@code bits/mman-linux.h}). One home, so a layout is written down once.
 */
public final class LinuxAbi {
    private LinuxAbi() {}

    // sockets
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PEERCRED = 17;
    public static final int SCM_RIGHTS = 1;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;
    public static final int SHUT_RDWR = 2;

    // errno values the door tells apart
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;

    // struct sockaddr_un: sa_family_t sun_family @0, char sun_path[108] @2
    public static final int SOCKADDR_UN_BYTES = 110;
    public static final int SUN_PATH_AT = 2;
    /** The longest path that fits with its NUL. */
    public static final int SUN_PATH_MAX = 107;

    // struct ucred (SO_PEERCRED): pid @0, uid @4, gid @8
    public static final int UCRED_BYTES = 12;

    // struct msghdr (56 bytes)
    public static final int MSGHDR_BYTES = 56;
    public static final int MSG_NAME_AT = 0;
    public static final int MSG_NAMELEN_AT = 8;
    public static final int MSG_IOV_AT = 16;
    public static final int MSG_IOVLEN_AT = 24;
    public static final int MSG_CONTROL_AT = 32;
    public static final int MSG_CONTROLLEN_AT = 40;
    public static final int MSG_FLAGS_AT = 48;

    // struct iovec (16 bytes)
    public static final int IOVEC_BYTES = 16;
    public static final int IOV_BASE_AT = 0;
    public static final int IOV_LEN_AT = 8;

    // struct cmsghdr: size_t cmsg_len @0, int cmsg_level @8, int cmsg_type @12, data @16
    public static final int CMSG_HEADER_BYTES = 16;
    public static final int CMSG_LEN_AT = 0;
    public static final int CMSG_LEVEL_AT = 8;
    public static final int CMSG_TYPE_AT = 12;

    /** {@code CMSG_ALIGN}: control messages are padded to 8 bytes. */
    public static long cmsgAlign(long n) {
        return (n + 7) & ~7L;
    }

    // struct pollfd (8 bytes): int fd @0, short events @4, short revents @6
    public static final int POLLFD_BYTES = 8;
    public static final int POLL_FD_AT = 0;
    public static final int POLL_EVENTS_AT = 4;
    public static final int POLL_REVENTS_AT = 6;
    public static final short POLLIN = 0x1;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    // eventfd
    public static final int EFD_CLOEXEC = 0x80000;

    // mmap
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_NORESERVE = 0x4000;
}
