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
