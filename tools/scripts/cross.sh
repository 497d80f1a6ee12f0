#!/usr/bin/env bash
# Portability checks (docs/porting.md), as root on an x86_64 Debian host:
#   bash tools/scripts/cross.sh [posix] [i386] [aarch64]     (default: all three)
#   posix     build-posix/: gcc, -Dplatform=posix (POSIX.1-2008 only, the
#             QNX subset of the platform contract): every suite, with the
#             shorter stress and soak runs (-Dslow_tests=false)
#   i386      build-i386/ (tools/cross/i386.ini, ILP32): -Werror build; the
#             single-process suites under qemu-i386; an ILP32 and an LP64
#             process refuse each other's domain, both ways
#   aarch64   build-aarch64/ (tools/cross/aarch64.ini): -Werror build; the
#             single-process suites under qemu-aarch64, and the refusal test
#             against x86_64 (the mutex sizes differ)
# Installs what is missing (tools/scripts/setup.sh), registers qemu with
# binfmt_misc only where nothing runs those programs yet, and removes what
# it registered on exit (tools/cross/qemu.sh says why it is needed). The
# native build/ is configured too: the refusal tests use its test_abi.
# Ends with "N passed, N failed" counted from meson's test logs; exits
# non-zero if anything failed. About 9 minutes on two cores from nothing
# (builds included), 3 when the builds are up to date.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/scripts/setup.sh
. tools/cross/qemu.sh
trap nx_qemu_unregister EXIT

what=("$@")
[ ${#what[@]} -gt 0 ] || what=(posix i386 aarch64)
for w in "${what[@]}"; do
    case $w in
    posix | i386 | aarch64) ;;
    *) echo "usage: cross.sh [posix] [i386] [aarch64]" >&2; exit 2 ;;
    esac
done
want() { printf '%s\n' "${what[@]}" | grep -qx "$1"; }

nx_setup || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
status=0
failures=0
logs=()

run() { # tag dir meson-test-args...
    local tag=$1 dir=$2
    shift 2
    echo "== $tag: meson test -C $dir $*"
    meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" >"$dir.$tag.test.log" 2>&1
    local rc=$?
    cp "$dir/meson-logs/testlog.json" "$dir/meson-logs/testlog.$tag.json"
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir.$tag.test.log" | grep -vE ' OK | SKIP ' || true
    tail -n 9 "$dir.$tag.test.log" | grep -E '^(Ok|Fail|Timeout|Skipped):' | tr '\n' ' '
    echo
    [ $rc -eq 0 ] || status=1
    logs+=("$dir/meson-logs/testlog.$tag.json")
}

build() { # dir meson-setup-args...
    if ! nx_build "$@"; then
        status=1
        failures=$((failures + 1))
        return 1
    fi
}

native_ok=0
if want i386 || want aarch64; then
    build build -Dwerror=true -Dbench=true -Dexamples=true && native_ok=1
fi

# Shorter stress and soak runs, as in CI (tools/scripts/test.sh).
if want posix && build build-posix -Dwerror=true -Dbench=false -Dexamples=true \
    -Dslow_tests=false -Dplatform=posix; then
    run posix build-posix
fi

cross() { # arch
    local arch=$1 dir=build-$1
    if ! { nx_setup_cross "$arch" && nx_qemu_register "$arch"; }; then
        echo "nexus: cannot set up the $arch cross build" >&2
        status=1
        failures=$((failures + 1))
        return
    fi
    build "$dir" -Dwerror=true -Dbench=false -Dexamples=false \
        --cross-file "tools/cross/$arch.ini" || return
    local idlc=("${nx_qemu_idlc_tests[@]}") not_run=("${nx_qemu_not_run[@]}")
    if [ "$arch" = aarch64 ]; then
        not_run=(cli "the multi-process suites")
    fi
    echo "   ($arch under qemu: not run: ${not_run[*]}; see docs/porting.md)"
    run "$arch-idlc" "$dir" --suite idlc "${idlc[@]}"
    local other=
    [ $native_ok = 1 ] && other=$PWD/build/tests/runtime/test_abi
    NX_ABI_OTHER=$other run "$arch-runtime" "$dir" --suite runtime "${nx_qemu_runtime_tests[@]}"
    # The other way round: the native process tries the foreign one's domain.
    if [ $native_ok = 1 ]; then
        NX_ABI_OTHER=$PWD/$dir/tests/runtime/test_abi NX_ABI_WRAPPER=/usr/bin/qemu-$arch-static \
            run "abi-vs-$arch" build --suite runtime abi
    fi
}
want i386 && cross i386
want aarch64 && cross aarch64
nx_qemu_unregister

BUILD_FAILURES=$failures python3 - "${logs[@]}" <<'PY' || status=1
import json, os, sys
passed = skipped = 0
failed = int(os.environ.get("BUILD_FAILURES", "0"))  # a build that failed counts once
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line).get("result", "")
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except OSError as e:
        print(f"nexus: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
PY
exit $status
