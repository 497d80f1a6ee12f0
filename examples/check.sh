#!/usr/bin/env bash
# The test of an example: runs its run.sh (under a timeout), prints the
# output, and checks that the run succeeded and that every PATTERN (an
# extended regular expression) matches a line of the output.
#   check.sh RUN.SH BUILD-DIR [-- PATTERN...]
set -uo pipefail
run=$1 dir=$2
shift 2
[ "${1:-}" = -- ] && shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 60 bash "$run" "$dir" >"$out" 2>&1
status=$?
cat "$out"
fail=0
if [ $status -ne 0 ]; then
    echo "check: $run exited with status $status" >&2
    fail=1
fi
for p in "$@"; do
    if ! grep -Eq -- "$p" "$out"; then
        echo "check: no line matches: $p" >&2
        fail=1
    fi
done
exit $fail
