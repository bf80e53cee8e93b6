package io.ramdiskfs.fuse.jnr;

/**
 * The requests a worker answers itself, straight from the request buffer, instead of handing
 * them to libfuse: opcode to handler, as libfuse's {@code fuse_ll_ops[]}. Everything not listed
 * here goes to {@code fuse_session_process}.
 *
 * <p>Why a table: each natively served opcode needs the same three things (the argument bytes
 * that must be present, the handler, its name for logs), and listing them in one place is what
 * keeps a new one (LSEEK, COPY_FILE_RANGE) from being half wired.
 */
final class NativeOps {
    private NativeOps() {}

    /** Serves one request; false hands it to libfuse after all (e.g. a read that cannot be done in place). */
    @FunctionalInterface
    interface Handler {
        boolean serve(DataRequests.Worker worker, long request, int length);
    }

    /**
     * One natively served opcode.
     *
     * @param argBytes the bytes after {@code fuse_in_header} the handler reads; a shorter request
     *                 goes to libfuse, which answers it as malformed
     */
    record Op(int opcode, String name, int argBytes, Handler handler) {}

    private static final Op[] TABLE = new Op[FuseKernel.OPCODE_LIMIT];

    static {
        // A READ needs fh, offset, size, read_flags; lock_owner and flags are not read.
        add(new Op(FuseKernel.FUSE_READ, "READ", FuseKernel.ReadWriteIn.LOCK_OWNER, DataRequests.Worker::read));
        add(new Op(FuseKernel.FUSE_WRITE, "WRITE", FuseKernel.ReadWriteIn.SIZE, DataRequests.Worker::write));
        add(new Op(FuseKernel.FUSE_LSEEK, "LSEEK", FuseKernel.LseekIn.SIZE, DataRequests.Worker::lseek));
        add(new Op(FuseKernel.FUSE_COPY_FILE_RANGE, "COPY_FILE_RANGE", FuseKernel.CopyFileRangeIn.SIZE,
                DataRequests.Worker::copyFileRange));
        add(new Op(FuseKernel.FUSE_COPY_FILE_RANGE_64, "COPY_FILE_RANGE_64", FuseKernel.CopyFileRangeIn.SIZE,
                DataRequests.Worker::copyFileRange64));
    }

    private static void add(Op op) {
        if (TABLE[op.opcode()] != null) {
            throw new IllegalStateException("opcode " + op.opcode() + " listed twice");
        }
        TABLE[op.opcode()] = op;
    }

    /** The entry for {@code opcode}, or null when libfuse serves it. */
    static Op of(int opcode) {
        return opcode >= 0 && opcode < TABLE.length ? TABLE[opcode] : null;
    }

    /** The entry that serves this request ({@code length} bytes), or null when libfuse should. */
    static Op forRequest(int opcode, int length) {
        Op op = of(opcode);
        return op != null && length >= FuseKernel.InHeader.SIZE + op.argBytes() ? op : null;
    }
}
