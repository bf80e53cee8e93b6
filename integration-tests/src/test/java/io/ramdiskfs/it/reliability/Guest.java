package io.ramdiskfs.it.reliability;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One qemu guest (TCG: the host's /dev/kvm is a PVM variant stock kernels do not boot under) on
 * one virtio disk, running a scenario script. The serial console is qemu's stdio: what the guest
 * prints lands in NAME.console under the test's directory, and {@link #send} types a line the
 * scenario can {@code read}. {@link #close} kills this qemu (its own PID) if it still runs.
 */
final class Guest implements AutoCloseable {
    private final String name;
    private final Process qemu;
    private final Path console;
    private final Path qemuErr;
    private final OutputStream typed;

    private Guest(String name, Process qemu, Path console, Path qemuErr) {
        this.name = name;
        this.qemu = qemu;
        this.console = console;
        this.qemuErr = qemuErr;
        this.typed = qemu.getOutputStream();
    }

    /**
     * Boots the kit's kernel with its initramfs plus {@code script} as /guest.sh, on {@code disk}
     * attached the way the README shows (raw, cache=none, aio=threads, discard=unmap, virtio).
     */
    static Guest boot(GuestKit kit, Path dir, String name, Path disk, String script) {
        return start(kit, dir, name, script, List.of("-smp", "1",
                "-drive", "file=" + disk + ",format=raw,cache=none,aio=threads,discard=unmap,if=virtio"));
    }

    /**
     * Boots like {@link #boot}, on the vhost-user-blk devices at {@code sockets} (/dev/vda, /dev/vdb...
     * in order), the way the README shows: guest memory in a shared memfd the backend maps, and two
     * vCPUs, so each device has two queues (qemu gives it one per vCPU).
     */
    static Guest bootVhostUser(GuestKit kit, Path dir, String name, List<Path> sockets, String script) {
        List<String> args = new ArrayList<>(List.of("-smp", "2",
                "-object", "memory-backend-memfd,id=mem,size=" + MEMORY + ",share=on", "-machine", "memory-backend=mem"));
        for (int i = 0; i < sockets.size(); i++) {
            args.addAll(List.of("-chardev", "socket,id=vu" + i + ",path=" + sockets.get(i),
                    "-device", "vhost-user-blk-pci,chardev=vu" + i));
        }
        return start(kit, dir, name, script, args);
    }

    private static final String MEMORY = "256M";

    private static Guest start(GuestKit kit, Path dir, String name, String script, List<String> disks) {
        try {
            Path initrd = dir.resolve(name + ".initrd");
            Files.copy(kit.initramfs(), initrd, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.write(initrd, NewcArchive.oneFile("guest.sh", script.getBytes(StandardCharsets.UTF_8)), StandardOpenOption.APPEND);
            List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-m", MEMORY,
                    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                    "-kernel", kit.kernel().toString(), "-initrd", initrd.toString(),
                    // no_timer_check: a TCG vCPU on a busy host can miss the kernel's IO-APIC
                    // timer check, which then panics ("IO-APIC + timer doesn't work").
                    "-append", "console=ttyS0 panic=-1 quiet no_timer_check",
                    "-chardev", "stdio,id=con,signal=off", "-serial", "chardev:con"));
            cmd.addAll(disks);
            Path console = dir.resolve(name + ".console");
            Path err = dir.resolve(name + ".qemu.err");
            Process p = new ProcessBuilder(cmd).redirectOutput(console.toFile()).redirectError(err.toFile()).start();
            return new Guest(name, p, console, err);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start qemu for " + name, e);
        }
    }

    long pid() {
        return qemu.pid();
    }

    boolean isAlive() {
        return qemu.isAlive();
    }

    /** The console so far, as lines without carriage returns. */
    List<String> lines() {
        try {
            return Files.exists(console) ? Files.readString(console, StandardCharsets.ISO_8859_1).replace("\r", "").lines().toList() : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first console line {@code line} matches whole, once the guest prints it. */
    Matcher await(String line, Duration timeout) {
        Pattern p = Pattern.compile(line);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (String l : lines()) {
                Matcher m = p.matcher(l);
                if (m.matches()) {
                    return m;
                }
            }
            if (!qemu.isAlive()) {
                throw new AssertionError(name + ": qemu exited (" + qemu.exitValue() + ") before printing /" + line + "/\n" + describe());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": no /" + line + "/ within " + timeout.toSeconds() + " s\n" + describe());
            }
            Await.sleep(20);
        }
    }

    /** The largest N of the console lines "PREFIX N" printed so far; 0 if none. */
    int highest(String prefix) {
        int max = 0;
        for (String l : lines()) {
            if (l.startsWith(prefix + " ")) {
                max = Math.max(max, Integer.parseInt(l.substring(prefix.length() + 1).trim()));
            }
        }
        return max;
    }

    /** Types a line on the guest's serial console. */
    void send(String line) {
        try {
            typed.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            typed.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": cannot type on the console", e);
        }
    }

    /** Waits until the guest has powered off; its scenario must have ended with status 0. */
    void awaitPoweroff(Duration timeout) {
        try {
            if (!qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + ": still running " + timeout.toSeconds() + " s later\n" + describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (!lines().contains("GUEST-EXIT 0")) {
            throw new AssertionError(name + ": the guest's scenario failed\n" + describe());
        }
    }

    String describe() {
        String err;
        try {
            err = Files.exists(qemuErr) ? Files.readString(qemuErr) : "";
        } catch (IOException e) {
            err = e.toString();
        }
        List<String> l = lines();
        return "--- " + name + " console (" + console + ", last 60 lines) ---\n"
                + String.join("\n", l.subList(Math.max(0, l.size() - 60), l.size()))
                + "\n--- qemu stderr ---\n" + err;
    }

    @Override
    public void close() {
        if (qemu.isAlive()) {
            qemu.destroyForcibly(); // SIGKILL to this qemu only
            try {
                qemu.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
