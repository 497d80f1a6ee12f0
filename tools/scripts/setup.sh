#!/usr/bin/env bash
# Install what building and testing Nexus needs on Debian/Ubuntu.
# Sourced by demo.sh, test.sh and bench.sh; usable alone:
#   bash tools/scripts/setup.sh [extra-package...]
# As root, installs what is missing with apt-get. As another user with
# packages missing, prints the exact apt-get line to run and fails.

nx_setup() {
    local pkgs=(gcc clang libclang-rt-dev meson ninja-build pkg-config flex bison
                libcyaml-dev libyaml-dev libcmocka-dev python3 clang-format cmake make "$@")
    local missing=()
    local p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0

    if [ "$(id -u)" -ne 0 ]; then
        echo "nexus: missing packages: ${missing[*]}" >&2
        echo "nexus: run this as root, then try again:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        return 1
    fi
    if ! command -v apt-get >/dev/null; then
        echo "nexus: no apt-get here; install: ${missing[*]}" >&2
        return 1
    fi
    echo "nexus: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || { echo "nexus: apt-get update failed" >&2; return 1; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "nexus: apt-get install ${missing[*]} failed" >&2; return 1; }
}

# What the cross builds need (tools/cross/*.ini): 32-bit x86 and aarch64
# cross compilers, the target's libraries, and qemu-user to run the tests.
# nx_setup_cross [i386] [aarch64] adds the foreign dpkg architectures first.
nx_cross_pkgs_i386=(gcc-i686-linux-gnu libcyaml-dev:i386 libyaml-dev:i386 libcmocka-dev:i386
                    qemu-user-static)
nx_cross_pkgs_aarch64=(gcc-aarch64-linux-gnu libcyaml-dev:arm64 libyaml-dev:arm64
                       libcmocka-dev:arm64 qemu-user-static)

nx_setup_cross() {
    local arch deb pkgs=() added=0
    for arch in "$@"; do
        case $arch in
        i386) deb=i386; pkgs+=("${nx_cross_pkgs_i386[@]}") ;;
        aarch64) deb=arm64; pkgs+=("${nx_cross_pkgs_aarch64[@]}") ;;
        *) echo "nexus: no cross setup for '$arch'" >&2; return 1 ;;
        esac
        if ! dpkg --print-foreign-architectures | grep -qx "$deb"; then
            [ "$(id -u)" -eq 0 ] || { echo "nexus: run as root: dpkg --add-architecture $deb" >&2; return 1; }
            dpkg --add-architecture "$deb" && added=1
        fi
    done
    # A new architecture has no package lists yet: nx_setup updates them
    # when something is missing, which it then is.
    [ $added = 0 ] || apt-get update -qq >/dev/null 2>&1 || true
    nx_setup "${pkgs[@]}"
}

# Configure (once) and build one build directory: nx_build DIR [meson args...]
nx_build() {
    local dir=$1
    shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 \
            || { cat "$dir.setup.log" >&2; echo "nexus: meson setup $dir failed" >&2; return 1; }
    fi
    ninja -C "$dir" >"$dir.build.log" 2>&1 \
        || { tail -n 60 "$dir.build.log" >&2; echo "nexus: build of $dir failed (full log: $dir.build.log)" >&2; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    nx_setup "$@"
fi
