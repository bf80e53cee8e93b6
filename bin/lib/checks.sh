# shellcheck shell=bash
# bin/lib/checks.sh - what the machine has, for bin/ramdiskfs and bin/test: one home for each fact.
# Sourced, not run; defines functions only and sets no shell options.
#
# Both scripts run under `set -o pipefail`. Never pipe a command into a reader that can exit
# before the writer is done (grep -q, head, sed q): the writer then dies of SIGPIPE and pipefail
# fails the pipeline although the reader found what it looked for. `ldconfig -p | grep -q` did
# exactly that (issue 16), now and then sending a ready machine to apt-get. So the checks here
# read a command's whole output into a variable and match it with bash's [[ == ]].

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [ "$(id -u)" = 0 ]; }

# The dynamic linker's cache as `ldconfig -p` prints it; empty when ldconfig is missing or fails.
# ldconfig lives in /sbin, which a user's PATH may lack.
ldconfig_cache() {
    local ldconfig out
    ldconfig="$(command -v ldconfig 2>/dev/null)" || ldconfig=/sbin/ldconfig
    out="$("$ldconfig" -p 2>/dev/null)" || true
    printf '%s\n' "$out"
}

# libfuse.so.2 (package libfuse2; fuse3's libfuse3.so.3 does not do) is in the linker's cache.
have_libfuse2() {
    local cache
    cache="$(ldconfig_cache)"
    [[ $cache == *libfuse.so.2* ]]
}

# What FUSE 2 lacks here: one line "PACKAGE: why" per missing Debian package; nothing when ready.
fuse_missing() {
    have_libfuse2 || echo "libfuse2: libfuse.so.2 not found by ldconfig -p"
    have fusermount || echo "fuse: fusermount is not on the PATH"
}
