package io.ramdiskfs.vhost.os;

/** Who is on the other end of a Unix socket (SO_PEERCRED): the process, its user and group. */
public record PeerCredentials(int pid, int uid, int gid) {}
