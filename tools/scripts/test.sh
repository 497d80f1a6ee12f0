#!/usr/bin/env bash
# The whole test suite, as CI runs it (README's second command):
#   bash tools/scripts/test.sh
# Installs missing packages (as root), then builds and tests six ways:
#   build/          gcc, -Werror: every suite
#   build-clang/    clang, -Werror: every suite
#   build-asan/     gcc, AddressSanitizer + UndefinedBehaviorSanitizer: every suite
#   build-tsan/     clang, ThreadSanitizer: the runtime suites (threads share state there)
#   build-posix/    gcc, -Dplatform=posix (POSIX.1-2008 only, the QNX subset): every
#                   suite (shorter stress and soak runs, as under the sanitizers)
#   build-i386/     32-bit x86 cross build (tools/cross/i386.ini), -Werror: the
#                   single-process suites under qemu-i386, and the 32/64-bit
#                   refusal test against build/ (docs/porting.md)
# Ends with one line "N passed, N failed" counted from meson's test logs, and
# exits non-zero if anything failed. NEXUS_TEST_QUICK=1 skips the sanitizer,
# POSIX and i386 builds.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tools/scripts/setup.sh
nx_setup || exit 1

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
# die_after_fork=0: the fault tests fork a process that has nodes (and so
# threads) and let the child create a node of its own (fork detection,
# group sharing); TSan would otherwise end such a child with exit 66.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 die_after_fork=0 suppressions=$PWD/tests/support/tsan.supp"
jobs=$(nproc 2>/dev/null || echo 2)

status=0
logs=()
run_suite() { # name dir meson-test-args...
    local name=$1 dir=$2
    shift 2
    echo "== $name: meson test $*"
    # A second run in the same directory gets logs of its own.
    local log=$dir.test.log json=$dir/meson-logs/testlog.json
    if [ -n "${NX_RUN_TAG:-}" ]; then
        log=$dir.$NX_RUN_TAG.test.log
        json=$dir/meson-logs/testlog.$NX_RUN_TAG.json
    fi
    meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "$@" >"$log" 2>&1
    local rc=$?
    [ "$json" = "$dir/meson-logs/testlog.json" ] || cp "$dir/meson-logs/testlog.json" "$json"
    grep -E '^ *[0-9]+/[0-9]+ ' "$log" | grep -vE ' OK | SKIP ' || true
    tail -n 9 "$log" | grep -E '^(Ok|Fail|Timeout|Skipped):' | tr '\n' ' '; echo
    [ $rc -eq 0 ] || status=1
    logs+=("$json")
}

build_failures=0
build_or_fail() { # dir args...
    if ! nx_build "$@"; then
        status=1
        build_failures=$((build_failures + 1))
        return 1
    fi
}

opts=(-Dwerror=true -Dbench=true -Dexamples=true)
if build_or_fail build "${opts[@]}"; then
    run_suite gcc build
fi
if build_or_fail build-clang "${opts[@]}" --native-file tools/scripts/clang.ini; then
    run_suite clang build-clang
fi
if [ "${NEXUS_TEST_QUICK:-0}" != 1 ]; then
    if build_or_fail build-asan "${opts[@]}" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug -Dslow_tests=false; then
        run_suite asan+ubsan build-asan
    fi
    if build_or_fail build-tsan "${opts[@]}" -Db_sanitize=thread -Db_lundef=false --native-file tools/scripts/clang.ini -Dslow_tests=false; then
        run_suite tsan build-tsan --suite runtime
    fi
    if build_or_fail build-posix "${opts[@]}" -Dbench=false -Dslow_tests=false -Dplatform=posix; then
        run_suite posix build-posix
    fi
    # 32-bit: tools/cross/qemu.sh says why binfmt_misc is needed for the
    # build; what is registered is removed at the end.
    . tools/cross/qemu.sh
    trap nx_qemu_unregister EXIT
    if ! { nx_setup_cross i386 && nx_qemu_register i386; }; then
        echo "nexus: cannot set up the i386 cross build" >&2
        status=1
        build_failures=$((build_failures + 1))
    elif build_or_fail build-i386 -Dwerror=true -Dbench=false -Dexamples=false \
        --cross-file tools/cross/i386.ini; then
        echo "   (i386 under qemu: not run: ${nx_qemu_not_run[*]}; see docs/porting.md)"
        NX_RUN_TAG=idlc run_suite "i386 compiler" build-i386 --suite idlc "${nx_qemu_idlc_tests[@]}"
        NX_ABI_OTHER=$PWD/build/tests/runtime/test_abi NX_RUN_TAG=runtime \
            run_suite "i386 runtime" build-i386 --suite runtime "${nx_qemu_runtime_tests[@]}"
    fi
    nx_qemu_unregister
fi

BUILD_FAILURES=$build_failures python3 - "${logs[@]}" <<'PY' || status=1
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
