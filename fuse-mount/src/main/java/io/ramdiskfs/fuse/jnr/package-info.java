/**
 * The only package that touches jnr-fuse and jnr-ffi. It converts between native pointers and
 * structures and the plain-Java {@link io.ramdiskfs.fs.DiskDirectory}, maps every failure to an
 * errno through {@link io.ramdiskfs.fs.ErrnoMapper}, and runs the libfuse loop. No exception
 * escapes into libfuse: every callback ends in a catch of {@code Throwable}.
 */
package io.ramdiskfs.fuse.jnr;
