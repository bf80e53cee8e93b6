package io.ramdiskfs.vhost;

import io.ramdiskfs.disk.*;
import io.ramdiskfs.disk.ram.RamLayer;
import io.ramdiskfs.disks.*;
import io.ramdiskfs.stats.DiskIo;
import io.ramdiskfs.vhost.*;
import java.nio.file.*;
import java.util.*;
/** Manual smoke run against a real qemu (not a test): serves a 64 MiB RAM disk whose boot sector spins on /tmp/vhost/vu/disk0.sock for N seconds and prints the reads served. */
public class QemuSmoke {
  public static void main(String[] a) throws Exception {
    LayeredDisk d = LayeredDisk.of(RamLayer.create(64L << 20, 512, MemoryBudget.unlimited()), false);
    byte[] mbr = new byte[512]; mbr[510] = 0x55; mbr[511] = (byte) 0xaa; mbr[0] = (byte) 0xeb; mbr[1] = (byte) 0xfe; // jmp $: a boot sector that spins
    d.bytes().write(0, mbr, NativeMemory.BYTE_ARRAY_BASE, 512);
    DiskIo io = new DiskIo();
    ServedDisk s = new ServedDisk() {
      public long id() { return 1; } public String name() { return "disk0"; } public LayeredDisk disk() { return d; }
      public DiskIo io() { return io; } public int mode() { return 0644; } public int uid() { return 0; } public int gid() { return 0; }
      public DiskHold hold(String h, boolean w) { return () -> {}; } };
    DiskNamespace ns = new DiskNamespace() { public List<ServedDisk> disks() { return List.of(s); }
      public Optional<ServedDisk> find(String n) { return Optional.of(s); }
      public AutoCloseable watch(NamespaceWatcher w) { w.created(s); return () -> {}; } };
    try (VhostUserDoor door = VhostUserDoor.open(Path.of("/tmp/vhost/vu"), ns)) {
      Thread.sleep(Long.parseLong(a[0]) * 1000);
      System.out.println("reads " + io.reads().snapshot().operations() + " bytes " + io.reads().snapshot().bytes());
    }
  }
}
