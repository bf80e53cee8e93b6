#!/usr/bin/env bash
# bench/vm/build-guest.sh - the guest kit for VmIT and bench/vm.sh: a Debian kernel and a busybox
# initramfs that loads the virtio and ext4 modules and runs /guest.sh, a script the host appends
# to the initramfs as a second cpio archive for each boot (the kernel unpacks concatenated
# archives in order, so one kit serves every scenario).
#
#   bench/vm/build-guest.sh          # prints the kit directory: vmlinuz, initramfs.cpio, busybox
#   bench/vm/build-guest.sh --fio    # also initramfs-fio.cpio: the same plus the host's fio and its libraries
#
# Everything comes from Debian packages fetched with `apt-get download` and unpacked with
# dpkg-deb -x: nothing is installed on the host (no kernel in /boot, no busybox on the PATH).
# Cached under RAMDISKFS_VM_KIT (default ~/.cache/ramdiskfs-vm), keyed by the kernel version and
# this script's hash; a second run with the kit in place touches no network. Exits non-zero with
# the reason when a package cannot be fetched: callers (the test) must fail, not skip.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RAMDISKFS_VM_KIT:-${HOME:-/root}/.cache/ramdiskfs-vm}
WITH_FIO=0
[ "${1:-}" = --fio ] && WITH_FIO=1

die() { echo "build-guest: $*" >&2; exit 1; }

# What the guest needs beyond the kernel image: the PCI virtio transport and block driver (Debian
# builds them as modules) and ext4 with the checksum it asks the crypto API for at mount time.
MODULES="virtio_pci virtio_blk crc32c_generic ext4"

mkdir -p "$CACHE/dl"
cd "$CACHE/dl"

# The kernel package linux-image-amd64 points at today; apt's lists are refreshed once if they do
# not know it (a fresh container has none).
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}
pkg=$(kernel_package || true)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -q >&2 || true
    pkg=$(kernel_package || true)
fi
[ -n "$pkg" ] || die "apt knows no linux-image-amd64 (apt-get update as root, and a Debian/Ubuntu apt source)"
ver=${pkg#linux-image-}
stamp=$(cat "$HERE/build-guest.sh" "$HERE/guest-init.sh" | sha256sum | cut -c1-12)
KIT=$CACHE/$ver-$stamp
want=$KIT/initramfs.cpio
[ $WITH_FIO = 1 ] && want=$KIT/initramfs-fio.cpio
if [ -s "$want" ] && [ -s "$KIT/vmlinuz" ]; then
    echo "$KIT"
    exit 0
fi

# Offline, with apt's lists naming a newer kernel than the cache holds: the newest complete kit
# this script built before will do. Prints it and ends the script.
cached_kit() {
    local k
    k=$(ls -dt "$CACHE"/*-"$stamp" 2>/dev/null | while read -r d; do [ -s "$d/vmlinuz" ] && [ -s "$d/${want##*/}" ] && echo "$d"; done | head -n 1)
    [ -n "$k" ] || return 1
    echo "build-guest: cannot download $pkg; using the cached kit $k" >&2
    echo "$k"
    exit 0
}

# One package's .deb in dl/ (downloaded once; run in this shell, so cached_kit can end the script).
download() {
    ls "$1"_*.deb >/dev/null 2>&1 && return 0
    apt-get download -q "$1" >&2 || cached_kit || die "cannot download $1 (network, or apt-get update as root)"
}

# Unpacks NAME's .deb into dl/x-NAME/ and prints that directory.
unpack() {
    local deb
    deb=$(ls "$1"_*.deb | head -n 1)
    rm -rf "x-$1"
    dpkg-deb -x "$deb" "x-$1" || die "cannot unpack $deb"
    echo "$CACHE/dl/x-$1"
}

download "$pkg"
download busybox-static
kroot=$(unpack "$pkg")
bbroot=$(unpack busybox-static)
BB=$bbroot/bin/busybox
[ -x "$BB" ] || die "busybox-static has no bin/busybox"

stage=$(mktemp -d "$CACHE/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/root/bin" "$stage/root/lib/modules" "$stage/root/proc" "$stage/root/sys" "$stage/root/dev" \
         "$stage/root/mnt" "$stage/root/tmp" "$stage/mods"
cp "$BB" "$stage/root/bin/busybox"
cp "$HERE/guest-init.sh" "$stage/root/init"
chmod 755 "$stage/root/init"

# Modules: decompressed here (busybox insmod reads plain .ko), dependencies first, from each
# module's own modinfo "depends=" (Debian's package ships no modules.dep).
mdir=$kroot/lib/modules/$ver
find "$mdir" -name '*.ko*' > "$stage/all-modules"
module_file() {
    local f
    f=$(grep -E "/$1\.ko(\.xz|\.zst|\.gz)?\$" "$stage/all-modules" | head -n 1)
    [ -z "$f" ] && f=$(grep -E "/${1//_/-}\.ko(\.xz|\.zst|\.gz)?\$" "$stage/all-modules" | head -n 1)
    [ -n "$f" ] || return 1
    local out=$stage/mods/$1.ko
    if [ ! -e "$out" ]; then
        case $f in
            *.xz) xz -dc "$f" > "$out" ;;
            *.zst) zstd -qdc "$f" > "$out" ;;
            *.gz) gzip -dc "$f" > "$out" ;;
            *) cp "$f" "$out" ;;
        esac
    fi
    echo "$out"
}
order=()
add_module() {
    local name=${1//-/_} f deps d
    for d in "${order[@]+"${order[@]}"}"; do [ "$d" = "$name" ] && return 0; done
    if ! f=$(module_file "$name"); then
        # Built into this kernel (modules.builtin), so nothing to load.
        grep -qE "/${name}\.ko\$|/${name//_/-}\.ko\$" "$mdir/modules.builtin" 2>/dev/null && return 0
        die "module $name is in neither $pkg's modules nor its modules.builtin"
    fi
    # The .modinfo section's "depends=a,b" string (busybox modinfo wants a modules.dep).
    deps=$(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
    for d in $deps; do add_module "$d"; done
    order+=("$name")
}
for m in $MODULES; do add_module "$m"; done
for m in "${order[@]}"; do cp "$stage/mods/$m.ko" "$stage/root/lib/modules/"; done
printf '%s\n' "${order[@]}" > "$stage/root/lib/modules/order"

# A newc archive of a directory, made by the kit's own busybox (the host may lack cpio).
pack() { (cd "$1" && find . | sort | "$BB" cpio -o -H newc 2>/dev/null); }

mkdir -p "$KIT.tmp"
cp "$kroot/boot/vmlinuz-$ver" "$KIT.tmp/vmlinuz"
cp "$BB" "$KIT.tmp/busybox"
pack "$stage/root" > "$KIT.tmp/initramfs.cpio"

if [ $WITH_FIO = 1 ]; then
    # fio from the host's Debian package (bin/test and bench/vm.sh install it) with every library
    # ldd names and the dynamic loader, at the same paths.
    fio=$(command -v fio) || die "fio is not installed on the host (apt-get install fio)"
    mkdir -p "$stage/root/usr/bin"
    cp "$fio" "$stage/root/usr/bin/fio"
    for lib in $(ldd "$fio" | grep -o '/[^ ]*'); do
        mkdir -p "$stage/root$(dirname "$lib")"
        cp -L "$lib" "$stage/root$lib"
    done
    pack "$stage/root" > "$KIT.tmp/initramfs-fio.cpio"
fi

# Complete kits only: a kit directory appears whole or not at all.
if [ -d "$KIT" ]; then
    cp -n "$KIT.tmp"/* "$KIT"/ && rm -rf "$KIT.tmp"
else
    mv "$KIT.tmp" "$KIT"
fi
rm -rf "$kroot" "$bbroot"   # the .debs stay for the next build; the unpacked trees are large
echo "built the guest kit in $KIT: kernel $ver, modules ${order[*]}" >&2
echo "$KIT"
