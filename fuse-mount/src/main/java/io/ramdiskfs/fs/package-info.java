/**
 * The filesystem in plain Java: a flat directory in which every regular file is a disk, with
 * {@code .snap} for its snapshots. {@link io.ramdiskfs.fs.DiskDirectory} is the facade the FUSE
 * adapter, {@code RamDiskFs} and the doors call, and the data path; each other concept has a
 * class of its own (the namespace, open handles and holds, snapshots, the {@code user.ramdiskfs.*}
 * control attributes, the permission policy, range operations, status, image jobs), all changed
 * under one {@link io.ramdiskfs.fs.DirectoryLock}. Nothing here imports FUSE or jnr (enforced by
 * {@code ArchitectureTest}): unit tests drive it without a mount.
 */
package io.ramdiskfs.fs;
