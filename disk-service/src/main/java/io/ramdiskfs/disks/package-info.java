/**
 * The frontend-neutral disk service: what every door onto a mount's disks (the FUSE file, a
 * vhost-user-blk device) needs of it, with no FUSE, jnr or libfuse type in sight. A door finds a
 * disk ({@link io.ramdiskfs.disks.DiskNamespace}), holds it open while it serves it
 * ({@link io.ramdiskfs.disks.ServedDisk#hold}), moves data through the disk's
 * {@link io.ramdiskfs.disk.DiskBytes}, counts it in the disk's {@link io.ramdiskfs.stats.DiskIo}, and
 * follows the namespace ({@link io.ramdiskfs.disks.NamespaceWatcher}). Refusals are
 * {@link io.ramdiskfs.disks.FsException}s carrying an {@link io.ramdiskfs.disks.Errno}.
 */
package io.ramdiskfs.disks;
