package io.ramdiskfs.vhost;

import static io.ramdiskfs.vhost.VhostUserRequest.*;

import io.ramdiskfs.disk.NativeMemory;
import io.ramdiskfs.disks.ServedDisk;
import io.ramdiskfs.vhost.os.MappedRegion;
import io.ramdiskfs.vhost.os.Os;
import io.ramdiskfs.vhost.os.UnixConnection;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One front end's connection to one disk: the vhost-user control protocol as qemu 7.2's
 * vhost-user-blk drives it (handshake, memory table, vrings, config), on the connection's own
 * thread, with a {@link QueueWorker} per started queue. A message it cannot accept drops the
 * connection; when the connection ends, every worker stops, every descriptor is closed and the
 * guest memory is unmapped.
 */
public final class VhostUserSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(VhostUserSession.class);
    /** Queues offered (GET_QUEUE_NUM): qemu's default is one per vCPU. */
    public static final int MAX_QUEUES = 8;
    private static final int CONFIG_MAX = 256;
    private static final long PROTOCOL_OFFERED = PROTOCOL_MQ | PROTOCOL_REPLY_ACK | PROTOCOL_CONFIG | PROTOCOL_BACKEND_REQ;

    private final UnixConnection connection;
    private final ServedDisk disk;
    private final boolean readOnly;
    private final long features;
    private final long buffer;
    private final long reply;
    private final Vring[] vrings = new Vring[MAX_QUEUES];
    private MemoryTable memory = MemoryTable.EMPTY;
    private long acked;
    private long protocolAcked;
    /** The front end's channel for this back end's own requests (SET_BACKEND_REQ_FD), or null; guarded by backendLock. */
    private UnixConnection backend;
    private final Object backendLock = new Object();
    /** 12 bytes for a backend request's header; guarded by backendLock. */
    private final long backendMessage;

    public VhostUserSession(UnixConnection connection, ServedDisk disk, boolean readOnly) {
        this.connection = connection;
        this.disk = disk;
        this.readOnly = readOnly;
        this.features = VirtioFeatures.OFFERED | (readOnly ? VirtioFeatures.BLK_RO : 0);
        this.buffer = NativeMemory.allocate(HEADER_BYTES + MAX_PAYLOAD);
        this.reply = NativeMemory.allocate(HEADER_BYTES + MAX_PAYLOAD);
        this.backendMessage = NativeMemory.allocate(HEADER_BYTES);
        for (int i = 0; i < MAX_QUEUES; i++) {
            vrings[i] = new Vring(i);
        }
    }

    /** Serves messages until the peer goes, a message is refused, or {@link #drop} is called. */
    @Override
    public void run() {
        try {
            while (true) {
                connection.receive(buffer, HEADER_BYTES);
                handleOne();
            }
        } catch (EOFException e) {
            LOG.info("vhost-user {}: the front end disconnected", disk.name());
        } catch (IOException | ProtocolException e) {
            LOG.warn("vhost-user {}: connection dropped: {}", disk.name(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("vhost-user {}: connection dropped", disk.name(), e);
        } finally {
            teardown();
        }
    }

    /** Whether the front end was given a read-only device. */
    public boolean readOnly() {
        return readOnly;
    }

    /** Ends the connection from another thread (unmount, the disk removed, a broken ring). */
    public void drop() {
        connection.shutdown();
    }

    private void handleOne() throws IOException, ProtocolException {
        int request = NativeMemory.getInt(buffer);
        int flags = NativeMemory.getInt(buffer + 4);
        int size = NativeMemory.getInt(buffer + 8);
        if ((flags & VERSION_MASK) != VERSION || (flags & FLAG_REPLY) != 0) {
            throw new ProtocolException("message " + request + " has flags 0x" + Integer.toHexString(flags));
        }
        if (size < 0 || size > MAX_PAYLOAD) {
            throw new ProtocolException(name(request) + " carries " + (size & 0xffffffffL) + " bytes, more than "
                    + MAX_PAYLOAD);
        }
        connection.readFully(buffer + HEADER_BYTES, size);
        boolean needReply = (flags & FLAG_NEED_REPLY) != 0 && (protocolAcked & PROTOCOL_REPLY_ACK) != 0;
        LOG.debug("vhost-user {}: {} size {}", disk.name(), name(request), size);
        boolean replied;
        try {
            replied = dispatch(request, buffer + HEADER_BYTES, size);
        } catch (ProtocolException e) {
            if (needReply) {
                replyU64(request, 1);
            }
            throw e;
        }
        if (needReply && !replied) {
            replyU64(request, 0);
        }
    }

    /** Serves one message; true when it sent a reply of its own. */
    private boolean dispatch(int request, long p, int size) throws IOException, ProtocolException {
        switch (request) {
            case GET_FEATURES -> replyU64(request, features);
            case SET_FEATURES -> setFeatures(u64(p, size));
            case SET_OWNER -> { }
            case RESET_OWNER -> resetRings();
            case GET_PROTOCOL_FEATURES -> replyU64(request, PROTOCOL_OFFERED);
            case SET_PROTOCOL_FEATURES -> protocolAcked = u64(p, size) & PROTOCOL_OFFERED;
            case GET_QUEUE_NUM -> replyU64(request, MAX_QUEUES);
            case SET_MEM_TABLE -> setMemTable(p, size);
            case SET_VRING_NUM -> setNum(p, size);
            case SET_VRING_BASE -> setBase(p, size);
            case SET_VRING_ADDR -> setAddr(p, size);
            case GET_VRING_BASE -> getBase(p, size);
            case SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR -> setFd(request, u64(p, size));
            case SET_VRING_ENABLE -> setEnable(p, size);
            case SET_BACKEND_REQ_FD -> setBackendFd();
            case GET_CONFIG -> getConfig(p, size);
            case SET_CONFIG -> {
                // Nothing in the config is guest-writable here (no CONFIG_WCE offered).
            }
            default -> throw new ProtocolException(name(request) + " is not supported");
        }
        return request == GET_FEATURES || request == GET_PROTOCOL_FEATURES || request == GET_QUEUE_NUM
                || request == GET_VRING_BASE || request == GET_CONFIG;
    }

    private static long u64(long p, int size) throws ProtocolException {
        if (size != 8) {
            throw new ProtocolException("a u64 payload of " + size + " bytes");
        }
        return NativeMemory.getLong(p);
    }

    private Vring vring(long p, int size, int expected) throws ProtocolException {
        if (size != expected) {
            throw new ProtocolException("a vring payload of " + size + " bytes, not " + expected);
        }
        return vring(NativeMemory.getInt(p) & 0xffffffffL);
    }

    private Vring vring(long index) throws ProtocolException {
        if (index >= MAX_QUEUES) {
            throw new ProtocolException("vring " + index + " of " + MAX_QUEUES);
        }
        return vrings[(int) index];
    }

    private void setFeatures(long wanted) throws ProtocolException {
        if ((wanted & ~features) != 0) {
            throw new ProtocolException("features 0x" + Long.toHexString(wanted & ~features) + " were not offered");
        }
        stopAll();
        acked = wanted;
        settleAll();
    }

    private void setNum(long p, int size) throws ProtocolException {
        Vring v = vring(p, size, 8);
        int n = NativeMemory.getInt(p + 4);
        if (n <= 0 || n > SplitQueue.MAX_SIZE || Integer.bitCount(n) != 1) {
            throw new ProtocolException("vring " + v.index + " size " + n + " is not a power of two up to " + SplitQueue.MAX_SIZE);
        }
        stop(v);
        v.size = n;
        settle(v);
    }

    private void setBase(long p, int size) throws ProtocolException {
        Vring v = vring(p, size, 8);
        stop(v);
        v.base = NativeMemory.getInt(p + 4) & 0xffff;
        settle(v);
    }

    private void setAddr(long p, int size) throws ProtocolException {
        Vring v = vring(p, size, 40);
        stop(v);
        v.descQva = NativeMemory.getLong(p + 8);
        v.usedQva = NativeMemory.getLong(p + 16);
        v.availQva = NativeMemory.getLong(p + 24);
        v.addressed = true;
        settle(v);
    }

    private void getBase(long p, int size) throws IOException, ProtocolException {
        Vring v = vring(p, size, 8);
        stop(v);
        // The ring is stopped until its next kick descriptor; its state stays for a restart.
        v.kick = Vring.replace(v.kick, -1);
        NativeMemory.putInt(reply + HEADER_BYTES, v.index);
        NativeMemory.putInt(reply + HEADER_BYTES + 4, v.base);
        send(GET_VRING_BASE, 8);
    }

    private void setFd(int request, long value) throws ProtocolException {
        Vring v = vring(value & VRING_INDEX_MASK);
        int fd = -1;
        if ((value & VRING_NOFD) == 0) {
            if (connection.fdCount() < 1) {
                throw new ProtocolException(name(request) + " for vring " + v.index + " came without a descriptor");
            }
            fd = connection.takeFd(0);
        }
        stop(v);
        switch (request) {
            case SET_VRING_KICK -> v.kick = Vring.replace(v.kick, fd);
            case SET_VRING_CALL -> v.call = Vring.replace(v.call, fd);
            default -> v.err = Vring.replace(v.err, fd);
        }
        settle(v);
    }

    private void setBackendFd() throws ProtocolException {
        if (connection.fdCount() < 1) {
            throw new ProtocolException("SET_BACKEND_REQ_FD came without a descriptor");
        }
        UnixConnection channel = new UnixConnection(connection.takeFd(0));
        synchronized (backendLock) {
            if (backend != null) {
                backend.close();
            }
            backend = channel;
        }
    }

    /**
     * Tells the front end that the device configuration changed (the disk was resized), so that
     * it reads it again and interrupts the guest, which then sees the new capacity. No reply is
     * asked for: qemu answers it by reading GET_CONFIG on the main channel, which this session's
     * own thread serves, and a wait for the reply here could only slow the caller (the namespace's
     * event delivery). Never blocks: a front end that does not read its channel (a hostile one)
     * cannot stall the namespace's events for every door. False when the front end gave no
     * channel for it, or the message could not go at once.
     */
    public boolean configChanged() {
        synchronized (backendLock) {
            if (backend == null || (protocolAcked & PROTOCOL_BACKEND_REQ) == 0) {
                return false;
            }
            NativeMemory.putInt(backendMessage, BACKEND_CONFIG_CHANGE);
            NativeMemory.putInt(backendMessage + 4, VERSION);
            NativeMemory.putInt(backendMessage + 8, 0);
            return backend.trySend(backendMessage, HEADER_BYTES);
        }
    }

    private void setEnable(long p, int size) throws ProtocolException {
        Vring v = vring(p, size, 8);
        stop(v);
        v.enableSeen = true;
        v.enabled = NativeMemory.getInt(p + 4) != 0;
        settle(v);
    }

    private void getConfig(long p, int size) throws IOException, ProtocolException {
        if (size < 12) {
            throw new ProtocolException("GET_CONFIG of " + size + " bytes");
        }
        int offset = NativeMemory.getInt(p);
        int length = NativeMemory.getInt(p + 4);
        if (length < 0 || length > CONFIG_MAX || size != 12 + length || offset < 0) {
            throw new ProtocolException("GET_CONFIG of " + length + " bytes at " + offset + " in a payload of " + size);
        }
        long out = reply + HEADER_BYTES;
        NativeMemory.putInt(out, offset);
        NativeMemory.putInt(out + 4, length);
        NativeMemory.putInt(out + 8, NativeMemory.getInt(p + 8));
        NativeMemory.zero(null, out + 12, length);
        // The config is built in the payload area's tail, then the asked-for window copied (clamped, qsd f8ffcb2bda).
        long config = reply + HEADER_BYTES + 12 + CONFIG_MAX;
        BlkConfig.write(config, disk.disk().sizeBytes(), disk.disk().sectorSize(), MAX_QUEUES);
        long n = Math.max(0, Math.min((long) length, (long) BlkConfig.BYTES - offset));
        if (n > 0) {
            NativeMemory.copy(null, config + offset, null, out + 12, n);
        }
        send(GET_CONFIG, 12 + length);
    }

    private void setMemTable(long p, int size) throws ProtocolException {
        if (size < 8) {
            throw new ProtocolException("SET_MEM_TABLE of " + size + " bytes");
        }
        int n = NativeMemory.getInt(p);
        if (n < 0 || n > UnixConnection.MAX_FDS || size != 8 + 32 * n || connection.fdCount() != n) {
            throw new ProtocolException("SET_MEM_TABLE of " + n + " regions in " + size + " bytes with "
                    + connection.fdCount() + " descriptors");
        }
        long[] gpa = new long[n];
        long[] sizes = new long[n];
        long[] qva = new long[n];
        long[] host = new long[n];
        List<MappedRegion> maps = new ArrayList<>(n);
        try {
            for (int i = 0; i < n; i++) {
                long r = p + 8 + 32L * i;
                gpa[i] = NativeMemory.getLong(r);
                sizes[i] = NativeMemory.getLong(r + 8);
                qva[i] = NativeMemory.getLong(r + 16);
                long offset = NativeMemory.getLong(r + 24);
                int fd = connection.takeFd(i);
                try {
                    if (sizes[i] <= 0 || offset < 0 || sizes[i] > Long.MAX_VALUE - offset) {
                        throw new ProtocolException("region " + i + " of " + sizes[i] + " bytes at file offset " + offset);
                    }
                    MappedRegion m = MappedRegion.map(fd, sizes[i] + offset);
                    maps.add(m);
                    host[i] = m.address() + offset;
                } finally {
                    // The mapping keeps the memory; the descriptor is of no further use.
                    Os.closeQuietly(fd);
                }
            }
            MemoryTable table = new MemoryTable(gpa, sizes, qva, host, maps);
            stopAll();
            MemoryTable old = memory;
            memory = table;
            settleAll();
            // Only now, with every worker looking at the new table, may the old one go.
            old.unmap();
        } catch (IOException | IllegalArgumentException e) {
            maps.forEach(MappedRegion::unmap);
            throw new ProtocolException("SET_MEM_TABLE: " + e.getMessage());
        } catch (ProtocolException e) {
            maps.forEach(MappedRegion::unmap);
            throw e;
        }
    }

    private void replyU64(int request, long value) throws IOException {
        NativeMemory.putLong(reply + HEADER_BYTES, value);
        send(request, 8);
    }

    private void send(int request, int size) throws IOException {
        NativeMemory.putInt(reply, request);
        NativeMemory.putInt(reply + 4, VERSION | FLAG_REPLY);
        NativeMemory.putInt(reply + 8, size);
        connection.send(reply, HEADER_BYTES + size);
    }

    // ------------------------------------------------------------------ workers

    private boolean enabled(Vring v) {
        return (acked & VirtioFeatures.VHOST_USER_PROTOCOL_FEATURES) == 0 || (v.enableSeen && v.enabled);
    }

    /** Starts the ring's worker when the ring is fully described, kicked and enabled. */
    private void settle(Vring v) throws ProtocolException {
        if (v.worker != null || v.kick < 0 || !v.addressed || v.size == 0 || memory.regionCount() == 0 || !enabled(v)) {
            return;
        }
        SplitQueue q;
        try {
            q = new SplitQueue(memory, v.size, v.descQva, v.availQva, v.usedQva, v.base,
                    (acked & VirtioFeatures.RING_EVENT_IDX) != 0);
        } catch (RingException e) {
            throw new ProtocolException("vring " + v.index + ": " + e.getMessage());
        }
        v.worker = new QueueWorker("vhost-user " + disk.name() + " q" + v.index, q, new BlkRequests(disk, readOnly),
                v.kick, v.call, v.err, this::drop);
        v.worker.start();
    }

    private void settleAll() throws ProtocolException {
        for (Vring v : vrings) {
            settle(v);
        }
    }

    /** Stops the ring's worker, keeping where it got to. */
    private void stop(Vring v) {
        QueueWorker w = v.worker;
        if (w != null) {
            w.stop();
            v.base = w.lastAvail();
            v.worker = null;
        }
    }

    private void stopAll() {
        for (Vring v : vrings) {
            stop(v);
        }
    }

    private void resetRings() {
        stopAll();
        for (int i = 0; i < MAX_QUEUES; i++) {
            vrings[i].closeFds();
            vrings[i] = new Vring(i);
        }
        acked = 0;
    }

    private void teardown() {
        stopAll();
        for (Vring v : vrings) {
            v.closeFds();
        }
        memory.unmap();
        memory = MemoryTable.EMPTY;
        connection.close();
        synchronized (backendLock) {
            if (backend != null) {
                backend.close();
                backend = null;
            }
            NativeMemory.free(backendMessage);
        }
        NativeMemory.free(buffer);
        NativeMemory.free(reply);
    }
}
