#!/usr/bin/env bash
# Run foreign-architecture programs of a cross build under qemu-user.
# Sourced by tools/scripts/test.sh and tools/scripts/cross.sh:
#   nx_qemu_register i386|aarch64   register qemu-<arch>-static with binfmt_misc
#   nx_qemu_unregister              remove what this shell registered (and
#                                   unmount binfmt_misc if it mounted it)
# Why binfmt_misc at all: `meson test` runs tests through the cross file's
# exe_wrapper, but the build itself runs the cross-built nexus-idlc (a
# meson generator) to make the generated-code tests, and meson 1.0 does not
# wrap generators. The entries are named nexus-<arch>-<pid>, so two scripts
# never remove each other's, and only a machine with no handler of its own
# for that architecture gets one.

nx_qemu_registered=()
nx_qemu_mounted=0

# Magic and mask of the ELF headers, as in qemu's scripts/qemu-binfmt-conf.sh.
nx_qemu_line() { # arch name
    case $1 in
    i386)
        printf ':%s:M::%s:%s:/usr/bin/qemu-i386-static:F' "$2" \
            '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00' \
            '\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
        ;;
    aarch64)
        printf ':%s:M::%s:%s:/usr/bin/qemu-aarch64-static:F' "$2" \
            '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' \
            '\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
        ;;
    *) return 1 ;;
    esac
}

# Does this machine already run programs of `arch` (natively or through a
# handler registered by someone else)?
nx_qemu_runs() { # arch
    local probe
    case $1 in
    i386) probe=/usr/bin/qemu-i386-static ;;
    aarch64) probe=/usr/bin/qemu-aarch64-static ;;
    esac
    local f
    for f in /proc/sys/fs/binfmt_misc/*; do
        [ -f "$f" ] || continue
        grep -q "^enabled" "$f" 2>/dev/null && grep -q "interpreter .*qemu-$1" "$f" 2>/dev/null \
            && return 0
    done
    return 1
}

nx_qemu_register() { # arch
    local arch=$1 bm=/proc/sys/fs/binfmt_misc
    # Tests that need another process's liveness skip themselves under qemu.
    export NX_QEMU_USER=1
    [ -x "/usr/bin/qemu-$arch-static" ] || { echo "nexus: qemu-$arch-static is missing" >&2; return 1; }
    if [ ! -e $bm/register ]; then
        mount -t binfmt_misc binfmt_misc $bm 2>/dev/null \
            || { echo "nexus: cannot mount binfmt_misc (not root?)" >&2; return 1; }
        nx_qemu_mounted=1
    fi
    nx_qemu_runs "$arch" && return 0
    local name="nexus-$arch-$$"
    nx_qemu_line "$arch" "$name" >$bm/register \
        || { echo "nexus: cannot register $name with binfmt_misc" >&2; return 1; }
    nx_qemu_registered+=("$name")
}

nx_qemu_unregister() {
    local bm=/proc/sys/fs/binfmt_misc n
    unset NX_QEMU_USER
    for n in "${nx_qemu_registered[@]}"; do
        [ -e "$bm/$n" ] && echo -1 >"$bm/$n"
    done
    nx_qemu_registered=()
    if [ "$nx_qemu_mounted" = 1 ]; then
        # Only if nothing else got registered meanwhile.
        if [ -z "$(ls $bm | grep -vE '^(register|status)$')" ]; then
            umount $bm 2>/dev/null || true
        fi
        nx_qemu_mounted=0
    fi
}

# What runs under qemu-user: the single-process suites (the compiler, the
# generated layouts, ring, config, errors, log) and the 32/64-bit refusal
# test. Not run there, and why (docs/porting.md has the experiments):
#   multi-process and fault tests: qemu-user implements no robust futex
#     list (set_robust_list is ENOSYS), so a lock whose holder died is never
#     recovered, and it answers /proc/self/stat itself, with a start time
#     other processes do not see, so linux.c's liveness checks fail;
#   cli: its out-of-memory case sets RLIMIT_AS, which limits qemu itself.
# (The generated types' alignment is the i386 psABI's 4 for 64-bit members
# where idlc's layout says 8; offsets and sizes agree, idlc pads
# explicitly, and the generated test checks exactly that there.)
nx_qemu_idlc_tests=(lexer parser sema cnames layout template diag stress oom invalid golden
                    generated generated-node generated-service fuzz_idl_replay)
nx_qemu_runtime_tests=(err log ring config fuzz_config_replay abi)
nx_qemu_not_run=(cli "the multi-process suites")
