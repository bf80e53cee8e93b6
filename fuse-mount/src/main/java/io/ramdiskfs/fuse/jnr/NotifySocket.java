package io.ramdiskfs.fuse.jnr;

import java.nio.charset.StandardCharsets;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * One datagram to a unix socket: systemd's {@code sd_notify} protocol without libsystemd. It
 * lives here because Java 17 has no AF_UNIX datagram sockets (JEP 380 added stream sockets only)
 * and this is the one package allowed to call native code through jnr-ffi; libsystemd itself is
 * not needed (containers often lack it) for what is a single {@code sendto}.
 */
public final class NotifySocket {
    private static final short AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int MSG_NOSIGNAL = 0x4000;
    /** {@code sizeof(struct sockaddr_un)}: a 2-byte family and 108 bytes of path. */
    private static final int SUN_PATH = 108;

    /** The three calls it needs, bound on first use. */
    public interface Calls {
        @SaveError
        int socket(int domain, int type, int protocol);

        @SaveError
        @ssize_t
        long sendto(int fd, byte[] buf, @size_t long len, int flags, byte[] addr, int addrlen);

        int close(int fd);
    }

    private static final class Holder {
        static final Calls CALLS = LibraryLoader.create(Calls.class).failImmediately().load("c");
    }

    private NotifySocket() {}

    /**
     * Sends {@code message} to the datagram socket at {@code address}: a path, or an abstract
     * name written with a leading {@code @} (systemd's notation).
     *
     * @throws IllegalArgumentException when the address is empty or too long
     * @throws IllegalStateException    when the socket call fails (with the errno)
     */
    public static void send(String address, String message) {
        byte[] sun = sockaddr(address);
        byte[] data = message.getBytes(StandardCharsets.UTF_8);
        Calls c = Holder.CALLS;
        int fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException("socket(AF_UNIX, SOCK_DGRAM) failed: errno " + LastError.getLastError(Runtime.getSystemRuntime()));
        }
        try {
            long n = c.sendto(fd, data, data.length, MSG_NOSIGNAL, sun, sun.length);
            if (n < 0) {
                throw new IllegalStateException("sendto " + address + " failed: errno " + LastError.getLastError(Runtime.getSystemRuntime()));
            }
        } finally {
            c.close(fd);
        }
    }

    /** {@code struct sockaddr_un} cut to its used length, as the kernel wants for abstract names. */
    static byte[] sockaddr(String address) {
        if (address == null || address.isEmpty() || address.equals("@")) {
            throw new IllegalArgumentException("notify socket address '" + address + "' is empty");
        }
        byte[] path = address.getBytes(StandardCharsets.UTF_8);
        boolean isAbstract = path[0] == '@';
        if (isAbstract) {
            path[0] = 0;
        }
        int used = path.length + (isAbstract ? 0 : 1); // a path is NUL-terminated
        if (used > SUN_PATH) {
            throw new IllegalArgumentException("notify socket address '" + address + "' is longer than " + (SUN_PATH - 1) + " bytes");
        }
        byte[] sun = new byte[2 + used];
        sun[0] = (byte) AF_UNIX; // sa_family_t, little-endian on every Linux this runs on
        sun[1] = 0;
        System.arraycopy(path, 0, sun, 2, path.length);
        return sun;
    }
}
