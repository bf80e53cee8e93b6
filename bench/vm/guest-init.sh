#!/bin/busybox sh
# /init of the guest kit (bench/vm/build-guest.sh): busybox, the virtio and ext4 modules, then
# /guest.sh, the scenario the host appended to the initramfs for this boot. The host reads the
# serial console (ttyS0): every line the scenario prints, and "GUEST-EXIT <status>" at the end.
# Then it powers off, which ends qemu; a panic or a missing script ends it too (panic=-1 and
# qemu's -no-reboot), so no guest outlives its test.
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu/ceph
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The archive has no /dev/console, so the kernel started us without one: talk on the serial port.
exec 0</dev/ttyS0 1>/dev/ttyS0 2>&1
echo 0 > /proc/sys/kernel/printk   # kernel messages would interleave with the scenario's lines
for m in $(cat /lib/modules/order); do
    insmod "/lib/modules/$m.ko" || echo "GUEST-WARN insmod $m failed"
done
# virtio_blk probes asynchronously: wait (up to 10 s of guest time) for the first disk.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
[ -b /dev/vda ] || echo "GUEST-WARN no /dev/vda"
stty -echo 2>/dev/null   # lines the host sends are not echoed into its log
echo "GUEST-BOOTED $(cut -d' ' -f1 /proc/uptime)"
status=127
if [ -f /guest.sh ]; then
    sh /guest.sh
    status=$?
fi
echo "GUEST-EXIT $status"
sync
poweroff -f
