#!/usr/bin/env bash
# The benchmark suite (README, docs/PERFORMANCE.md), one command:
#   bash tools/scripts/bench.sh [--json FILE] [--quick] [--platform NAME]
# Installs what is missing (as root; iceoryx for the baseline), builds
# build-bench/ (release, no tests), runs every program of bench/, prints a
# table and writes a JSON summary (default build/bench.json) with
# tools/scripts/bench_report.py.
#   --quick   small counts (under a minute): a smoke test, not a measurement
#   --platform NAME  the runtime's platform file (-Dplatform=NAME, e.g. posix;
#             docs/porting.md): builds build-bench-NAME/, default JSON
#             build/bench-NAME.json
# Full run: about 5 minutes on 2 cores. Latency, throughput and CPU run in
# interleaved rounds (every transport once per round) and merged, so a
# change of background load hits all transports alike. The figures only
# mean something on an otherwise idle machine: the run records the load.
set -uo pipefail
cd "$(dirname "$0")/../.."

json=
quick=0
platform=
while [ $# -gt 0 ]; do
    case $1 in
    --json) json=${2:?--json needs a file}; shift 2 ;;
    --json=*) json=${1#--json=}; shift ;;
    --quick) quick=1; shift ;;
    --platform) platform=${2:?--platform needs a name}; shift 2 ;;
    --platform=*) platform=${1#--platform=}; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

. tools/scripts/setup.sh
if ! nx_setup iceoryx libiceoryx-binding-c-dev; then
    nx_setup || exit 1
    echo "bench: iceoryx is not installed: its baseline will be skipped" >&2
fi
mkdir -p build
bdir=build-bench${platform:+-$platform}
[ -n "$json" ] || json=build/bench${platform:+-$platform}.json
nx_build "$bdir" -Dbuildtype=release -Dtests=false -Dbench=true ${platform:+-Dplatform=$platform} || exit 1
B=$bdir/bench
for p in bench_nexus floor_ring floor_uds; do
    [ -x "$B/$p" ] || { echo "bench: $B/$p was not built" >&2; exit 1; }
done

if [ $quick = 1 ]; then
    LAT_ROUNDS=2 LAT_COUNT=5000 LAT_WARM=1000
    TP_ROUNDS=1 TP_SEC=0.3
    CPU_ROUNDS=1 CPU_SEC=2 IDLE_SEC=2 SBS_SEC_LOW=1 SBS_SEC_HIGH=0.5
    LARGE_SEC=0.3 FAN_LAT_SEC=0.3 FAN_SEC=0.3
    CALL_COUNT=5000 CALL_SEC=0.3
else
    LAT_ROUNDS=4 LAT_COUNT=50000 LAT_WARM=5000      # 4 x 50,000 = 200,000 round trips
    TP_ROUNDS=5 TP_SEC=0.3                          # 1.5 s per point, median of 5
    CPU_ROUNDS=3 CPU_SEC=10 IDLE_SEC=10             # 3 x 10 s per transport, mean
    SBS_SEC_LOW=4 SBS_SEC_HIGH=2
    LARGE_SEC=1 FAN_LAT_SEC=1 FAN_SEC=1.5
    CALL_COUNT=100000 CALL_SEC=1.5
fi

work=$(mktemp -d /tmp/nxbench.XXXXXX) || exit 1
export NXBENCH_TAG=$$
# The domains of this run are b<our pid>_<program pid>_<n> (bench/common.c).
# The programs remove theirs; this removes what a killed program could not,
# with the nexus tool (--force: whatever the owners' state; they are ours).
cleanup() {
    rm -rf "$work"
    local nexus=$bdir/tools/nexus d
    [ -x "$nexus" ] || return 0
    for d in $("$nexus" domains --json 2>/dev/null | python3 -c '
import json, sys
try:
    doms = json.load(sys.stdin).get("domains", [])
except ValueError:
    doms = []
for d in doms:
    if d.get("domain", "").startswith(sys.argv[1]):
        print(d["domain"])' "b${NXBENCH_TAG}_"); do
        "$nexus" clean --force --domain "$d" >/dev/null 2>&1 ||
            echo "bench: could not remove domain $d (nexus clean --force --domain $d)" >&2
    done
}
trap cleanup EXIT
trap 'echo; echo "bench: interrupted" >&2; exit 130' INT TERM
results=$work/results.txt
: >"$results"
failures=0

# run LABEL PROGRAM ARGS...: show the human lines, keep the "@ key value" lines.
run() {
    local label=$1
    shift
    "$@" 2>>"$work/stderr.log" | while IFS= read -r line; do
        case $line in
        "@ "*) printf '%s\n' "$line" >>"$results" ;;
        *) printf '  %s\n' "$line" ;;
        esac
    done
    local rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
        failures=$((failures + 1))
        echo "  ! $label failed (exit $rc): $(tail -n 2 "$work/stderr.log" | tr '\n' ' ')"
    fi
}

have_iox=0
[ -x "$B/bench_iceoryx" ] && have_iox=1
start=$(date +%s)
read -r load1 _ </proc/loadavg
echo "== nexus bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), load $load1$([ $quick = 1 ] && echo ', QUICK (smoke test only)')"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    echo "   warning: load average $load1: other work on this machine will distort the figures"
fi

echo "== latency: ping-pong, 256 B, $LAT_ROUNDS rounds x $LAT_COUNT round trips (+ $LAT_WARM warm-up)"
lat=(--count "$LAT_COUNT" --warmup "$LAT_WARM")
for r in $(seq "$LAT_ROUNDS"); do
    echo " round $r"
    run floor_semaphore "$B/floor_ring" latency --wake sem "${lat[@]}" --hist "$work/hist.floor_semaphore"
    run nexus_semaphore "$B/bench_nexus" latency --notify semaphore "${lat[@]}" --hist "$work/hist.nexus_semaphore"
    run nexus_condvar "$B/bench_nexus" latency --notify condvar "${lat[@]}" --hist "$work/hist.nexus_condvar"
    run uds "$B/floor_uds" latency "${lat[@]}" --hist "$work/hist.uds"
    [ $have_iox = 1 ] && run iceoryx "$B/bench_iceoryx" latency "${lat[@]}" --hist "$work/hist.iceoryx"
    run floor_spin "$B/floor_ring" latency --wake spin "${lat[@]}" --hist "$work/hist.floor_spin"
    run nexus_spin "$B/bench_nexus" latency --notify spin "${lat[@]}" --hist "$work/hist.nexus_spin"
done
[ $have_iox = 1 ] || echo "  iceoryx: skipped (bench_iceoryx not built: packages iceoryx, libiceoryx-binding-c-dev)"

echo "== throughput: back to back, no loss, $TP_ROUNDS rounds x $TP_SEC s per point (median)"
for r in $(seq "$TP_ROUNDS"); do
    echo " round $r"
    for size in 64 256 2048; do
        run floor_semaphore "$B/floor_ring" throughput --wake sem --size $size --seconds "$TP_SEC"
        run floor_spin "$B/floor_ring" throughput --wake spin --size $size --seconds "$TP_SEC"
        run nexus_semaphore "$B/bench_nexus" throughput --notify semaphore --size $size --seconds "$TP_SEC"
        run uds "$B/floor_uds" throughput --size $size --seconds "$TP_SEC"
    done
    run nexus_spin "$B/bench_nexus" throughput --notify spin --size 256 --seconds "$TP_SEC"
    [ $have_iox = 1 ] && run iceoryx "$B/bench_iceoryx" throughput --sizes 64,256,2048 --seconds "$TP_SEC"
done

echo "== cpu: 1,000 msg/s, $CPU_ROUNDS rounds x $CPU_SEC s (getrusage of each process, mean)"
for r in $(seq "$CPU_ROUNDS"); do
    echo " round $r"
    run nexus_semaphore "$B/bench_nexus" cpu --notify semaphore --rate 1000 --seconds "$CPU_SEC"
    run floor_semaphore "$B/floor_ring" cpu --wake sem --rate 1000 --seconds "$CPU_SEC"
    run nexus_condvar "$B/bench_nexus" cpu --notify condvar --rate 1000 --seconds "$CPU_SEC"
    run uds "$B/floor_uds" cpu --rate 1000 --seconds "$CPU_SEC"
done
run nexus_idle "$B/bench_nexus" idle --seconds "$IDLE_SEC"

echo "== spin before sleep (semaphore mode, node.spin_before_sleep_us)"
for us in 0 50; do
    run sbs "$B/bench_nexus" sbs --spin-us $us --rate 1000 --seconds "$SBS_SEC_LOW"
    run sbs "$B/bench_nexus" sbs --spin-us $us --rate 100000 --seconds "$SBS_SEC_HIGH"
done

echo "== large data: copy path, loan path, memcpy"
for size in 1048576 8388608; do
    run large "$B/bench_nexus" large --size $size --seconds "$LARGE_SEC"
done

echo "== fan-out: one publisher, N subscriber processes"
for n in 1 2 4; do
    run fanout "$B/bench_nexus" fanout --subs $n --rate 2000 --lat-seconds "$FAN_LAT_SEC" --seconds "$FAN_SEC"
done

echo "== services: call round trip and calls/s, 256 B"
run calls "$B/bench_nexus" call --count "$CALL_COUNT" --seconds "$CALL_SEC"
run calls "$B/bench_nexus" call --inproc 1 --count "$CALL_COUNT" --seconds "$CALL_SEC"

read -r load2 _ </proc/loadavg
elapsed=$(($(date +%s) - start))
mkdir -p "$(dirname "$json")"
python3 tools/scripts/bench_report.py "$work" "$json" $([ $quick = 1 ] && echo --quick) \
    --load-before "$load1" --load-after "$load2" --seconds "$elapsed" --failed "$failures"
rc=$?
if [ $rc -ne 0 ]; then
    echo "bench: could not write the summary" >&2
    exit 1
fi
if [ $failures -ne 0 ]; then
    echo "bench: $failures program run(s) failed; their figures are null (details above)" >&2
    exit 1
fi
exit 0
