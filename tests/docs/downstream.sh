#!/usr/bin/env bash
# Builds examples/downstream-KIND (meson, cmake or make) as a separate
# project against Nexus installed in a temporary prefix, runs its
# programs and checks what they print.
#   downstream.sh KIND SOURCE-ROOT BUILD-ROOT PREFIX LIBDIR
# The install is `meson install --destdir` of BUILD-ROOT; nexus.pc names
# the configured prefix, so its prefix= line is pointed at the staged copy
# (the CMake package finds everything from its own place and needs no
# such edit). pkg-config sees only the staged nexus.pc: libcyaml's and
# libyaml's .pc files must not be needed to link dynamically.
set -euo pipefail
kind=$1 src=$2 build=$3 prefix=$4 libdir=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "downstream-$kind: $*" >&2; exit 1; }

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/stage" >/dev/null
root=$tmp/stage$prefix
[[ $libdir = /* ]] || libdir=$root/$libdir
[[ $libdir = "$root"/* ]] || libdir=$tmp/stage$libdir
pcdir=$libdir/pkgconfig
sed -i "s|^prefix=.*|prefix=$root|" "$pcdir/nexus.pc"
export PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_PATH=
export PATH=$root/bin:$PATH LD_LIBRARY_PATH=$libdir
export NEXUS_DOMAIN=downstream_${kind}_$$

[ -z "$(pkg-config --print-requires-private nexus)" ] ||
    fail "nexus.pc has Requires.private: $(pkg-config --print-requires-private nexus)"
pkg-config --libs nexus >/dev/null || fail "pkg-config --libs nexus fails"

cp -r "$src/examples/downstream-$kind" "$tmp/project"
cd "$tmp/project"
case $kind in
meson)
    meson setup "$tmp/b" . >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "meson setup"; }
    ninja -C "$tmp/b" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "build"; }
    bin=$tmp/b ;;
cmake)
    for gen in Ninja "Unix Makefiles"; do
        rm -rf "$tmp/b"
        cmake -S . -B "$tmp/b" -G "$gen" -DCMAKE_PREFIX_PATH="$root" >"$tmp/log" 2>&1 ||
            { cat "$tmp/log"; fail "cmake configure ($gen)"; }
        cmake --build "$tmp/b" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "cmake build ($gen)"; }
        # The depfile: touching an imported schema regenerates the code.
        sleep 1
        touch "$root/share/nexus/schemas/common/time.nidl"
        cmake --build "$tmp/b" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "rebuild ($gen)"; }
        grep -q 'nexus-idlc thermo.nidl' "$tmp/log" ||
            { cat "$tmp/log"; fail "$gen: thermo.nidl not regenerated after its import changed"; }
    done
    bin=$tmp/b ;;
make)
    make >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "make"; }
    sleep 1
    touch "$root/share/nexus/schemas/common/time.nidl"
    make >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "make (again)"; }
    grep -q 'nexus-idlc' "$tmp/log" ||
        { cat "$tmp/log"; fail "not regenerated after an imported schema changed"; }
    bin=. ;;
*) fail "unknown kind" ;;
esac

out=$("$bin/thermo") || fail "thermo failed: $out"
echo "$out"
[ "$out" = "thermo: kitchen 21.5 C (from thermo-sensor)" ] || fail "unexpected output of thermo"
out=$("$bin/thermo-info") || fail "thermo-info failed"
echo "$out"
[ "$out" = "thermo-info: topic thermo/readings carries thermo.Reading, 40 bytes" ] ||
    fail "unexpected output of thermo-info"
echo "downstream-$kind: ok"
