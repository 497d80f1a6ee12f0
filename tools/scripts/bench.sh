#!/usr/bin/env bash
# The benchmark suite (README, docs/PERFORMANCE.md), one command:
#   bash tools/scripts/bench.sh [--json FILE] [--quick]
# Installs what is missing (as root; iceoryx for the baseline), builds
# build-bench/ (release, no tests), runs every program of bench/, prints a
# table and writes a JSON summary (default build/bench.json).
#   --quick   small counts (under a minute): a smoke test, not a measurement
# Full run: about 5 minutes on 2 cores. Latency, throughput and CPU run in
# interleaved rounds (every transport once per round) and merged, so a
# change of background load hits all transports alike. The figures only
# mean something on an otherwise idle machine: the run records the load.
set -uo pipefail
cd "$(dirname "$0")/../.."

json=build/bench.json
quick=0
while [ $# -gt 0 ]; do
    case $1 in
    --json) json=${2:?--json needs a file}; shift 2 ;;
    --json=*) json=${1#--json=}; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

. tools/scripts/setup.sh
if ! nx_setup iceoryx libiceoryx-binding-c-dev; then
    nx_setup || exit 1
    echo "bench: iceoryx is not installed: its baseline will be skipped" >&2
fi
mkdir -p build
nx_build build-bench -Dbuildtype=release -Dtests=false -Dbench=true || exit 1
B=build-bench/bench
for p in bench_nexus floor_ring floor_uds; do
    [ -x "$B/$p" ] || { echo "bench: $B/$p was not built" >&2; exit 1; }
done

if [ $quick = 1 ]; then
    LAT_ROUNDS=2 LAT_COUNT=5000 LAT_WARM=1000
    TP_ROUNDS=1 TP_SEC=0.3
    CPU_ROUNDS=1 CPU_SEC=2 IDLE_SEC=2 SBS_SEC_LOW=1 SBS_SEC_HIGH=0.5
    LARGE_SEC=0.3 FAN_LAT_SEC=0.3 FAN_SEC=0.3
else
    LAT_ROUNDS=4 LAT_COUNT=50000 LAT_WARM=5000      # 4 x 50,000 = 200,000 round trips
    TP_ROUNDS=5 TP_SEC=0.3                          # 1.5 s per point, median of 5
    CPU_ROUNDS=3 CPU_SEC=10 IDLE_SEC=10             # 3 x 10 s per transport, mean
    SBS_SEC_LOW=4 SBS_SEC_HIGH=2
    LARGE_SEC=1 FAN_LAT_SEC=1 FAN_SEC=1.5
fi

work=$(mktemp -d /tmp/nxbench.XXXXXX) || exit 1
export NXBENCH_TAG=$$
cleanup() {
    rm -rf "$work"
    # Domains of this run are b<our pid>_*; the programs remove theirs, this
    # catches what a killed program could not.
    rm -f /dev/shm/nexus.b"${NXBENCH_TAG}"_* 2>/dev/null
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

read -r load2 _ </proc/loadavg
elapsed=$(($(date +%s) - start))
mkdir -p "$(dirname "$json")"
QUICK=$quick LOAD1=$load1 LOAD2=$load2 ELAPSED=$elapsed FAILURES=$failures \
python3 - "$results" "$work" "$json" <<'PY'
import glob, json, math, os, platform, statistics, sys

results_path, work, out_path = sys.argv[1:4]

def put(tree, key, value):
    parts = key.split(".")
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
    tree[parts[-1]] = value

def num(s):
    if s == "null":
        return None
    v = float(s)
    return int(v) if v.is_integer() and abs(v) < 1e15 else v

# Repeated keys (rounds): throughput takes the median, CPU the mean, the
# rest the last value.
seen = {}
for line in open(results_path):
    _, key, val = line.split(None, 2)
    seen.setdefault(key, []).append(num(val.strip()))
flat = {}
for key, vals in seen.items():
    good = [v for v in vals if v is not None]
    if key.startswith("throughput.") and good:
        m = statistics.median(good)
        flat[key] = round(m, 1) if key.endswith("mb_per_s") else int(round(m))
    elif key.startswith("cpu.") and key != "cpu.nexus_idle.pct" and good:
        flat[key] = round(statistics.mean(good), 3)
        flat[key + "_rounds"] = good
    else:
        flat[key] = vals[-1]

# Latency: merge the rounds' histograms (RTT, ns), report RTT / 2.
for path in glob.glob(os.path.join(work, "hist.*")):
    name = path.rsplit("hist.", 1)[1]
    buckets, mx = {}, 0
    for line in open(path):
        f = line.split()
        if f[0] == "b":
            buckets[int(f[1])] = buckets.get(int(f[1]), 0) + int(f[2])
        elif f[0] == "m":
            mx = max(mx, int(f[1]))
    n = sum(buckets.values())
    if not n:
        continue
    def q(p):
        target = max(1, math.ceil(p * n))
        cum = 0
        for v in sorted(buckets):
            cum += buckets[v]
            if cum >= target:
                return min(v, mx)
        return mx
    for label, p in (("p50_ns", 0.5), ("p99_ns", 0.99), ("p999_ns", 0.999)):
        flat[f"latency.{name}.{label}"] = int(round(q(p) / 2))
    flat[f"latency.{name}.max_ns"] = int(round(mx / 2))
    flat[f"latency.{name}.round_trips"] = n
    # Each round's own P50: the spread shows how steady the machine was.
    flat[f"latency.{name}.p50_ns_rounds"] = seen.get(f"latency.{name}.p50_ns", [])

tree = {}
for key in sorted(flat):
    put(tree, key, flat[key])

def model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"

def virt():
    try:
        return " hypervisor " in open("/proc/cpuinfo").read().replace("\n", " ")
    except OSError:
        return None

doc = {
    "machine": {
        "cores": os.cpu_count(),
        "model": model(),
        "kernel": platform.release(),
        "virtualized": virt(),
        "load_before": float(os.environ["LOAD1"]),
        "load_after": float(os.environ["LOAD2"]),
    },
    "run": {
        "quick": os.environ["QUICK"] == "1",
        "seconds": int(os.environ["ELAPSED"]),
        "failed_programs": int(os.environ["FAILURES"]),
    },
}
for section in ("latency", "throughput", "cpu", "memory", "spin_before_sleep", "large", "fanout"):
    doc[section] = tree.get(section, {})

def get(path):
    t = doc
    for p in path.split("."):
        if not isinstance(t, dict) or p not in t:
            return None
        t = t[p]
    return t

def ratio(a, b):
    x, y = get(a), get(b)
    if x is None or y is None or y == 0:
        return None
    return round(x / y, 3)

# name: (ratio, comparison, limit, what)
checks = {
    "latency_p50_semaphore_vs_floor": ("latency.nexus_semaphore.p50_ns", "latency.floor_semaphore.p50_ns", "<=", 1.2),
    "latency_p99_semaphore_vs_floor": ("latency.nexus_semaphore.p99_ns", "latency.floor_semaphore.p99_ns", "<=", 1.5),
    "latency_p50_condvar_vs_floor": ("latency.nexus_condvar.p50_ns", "latency.floor_semaphore.p50_ns", "<=", 1.2),
    "latency_p99_condvar_vs_floor": ("latency.nexus_condvar.p99_ns", "latency.floor_semaphore.p99_ns", "<=", 1.5),
    "latency_p50_spin_vs_floor_spin": ("latency.nexus_spin.p50_ns", "latency.floor_spin.p50_ns", "<=", 1.5),
    "latency_p50_semaphore_vs_uds": ("latency.nexus_semaphore.p50_ns", "latency.uds.p50_ns", "<", 1.0),
    "latency_p50_semaphore_vs_iceoryx": ("latency.nexus_semaphore.p50_ns", "latency.iceoryx.p50_ns", "<=", 1.0),
    "throughput_256_vs_floor": ("throughput.nexus_semaphore.256.msgs_per_s", "throughput.floor_semaphore.256.msgs_per_s", ">=", 0.5),
    "throughput_256_vs_uds": ("throughput.nexus_semaphore.256.msgs_per_s", "throughput.uds.256.msgs_per_s", ">=", 5.0),
    "throughput_256_vs_iceoryx": ("throughput.nexus_semaphore.256.msgs_per_s", "throughput.iceoryx.256.msgs_per_s", ">=", 3.0),
    "cpu_pub_semaphore_vs_floor": ("cpu.nexus_semaphore.pub_pct", "cpu.floor_semaphore.pub_pct", "<=", 1.2),
    "cpu_sub_semaphore_vs_floor": ("cpu.nexus_semaphore.sub_pct", "cpu.floor_semaphore.sub_pct", "<=", 1.2),
    "cpu_pub_condvar_vs_floor": ("cpu.nexus_condvar.pub_pct", "cpu.floor_semaphore.pub_pct", "<=", 1.2),
    "cpu_sub_condvar_vs_floor": ("cpu.nexus_condvar.sub_pct", "cpu.floor_semaphore.sub_pct", "<=", 1.2),
    "large_copy_1m_vs_memcpy": ("large.1048576.copy_mb_s", "large.1048576.memcpy_mb_s", ">=", 0.5),
    "large_copy_8m_vs_memcpy": ("large.8388608.copy_mb_s", "large.8388608.memcpy_mb_s", ">=", 0.5),
    "large_loan_8m_vs_copy": ("large.8388608.loan_frames_per_s", "large.8388608.copy_frames_per_s", ">=", 10.0),
}
ratios, targets = {}, {}
for name, (a, b, op, limit) in checks.items():
    r = ratio(a, b)
    ratios[name] = r
    targets[name] = None if r is None else (r <= limit if op == "<=" else r < limit if op == "<" else r >= limit)
# Informational ratios (no target).
for name, (a, b) in {
    "latency_p50_condvar_vs_uds": ("latency.nexus_condvar.p50_ns", "latency.uds.p50_ns"),
    "latency_p50_condvar_vs_iceoryx": ("latency.nexus_condvar.p50_ns", "latency.iceoryx.p50_ns"),
    "latency_p99_spin_vs_floor_spin": ("latency.nexus_spin.p99_ns", "latency.floor_spin.p99_ns"),
    "throughput_256_vs_floor_spin": ("throughput.nexus_semaphore.256.msgs_per_s", "throughput.floor_spin.256.msgs_per_s"),
    "throughput_64_vs_floor": ("throughput.nexus_semaphore.64.msgs_per_s", "throughput.floor_semaphore.64.msgs_per_s"),
    "throughput_2048_vs_floor": ("throughput.nexus_semaphore.2048.msgs_per_s", "throughput.floor_semaphore.2048.msgs_per_s"),
    "large_copy_1m_vs_memcpy_hot": ("large.1048576.copy_mb_s", "large.1048576.memcpy_hot_mb_s"),
    "large_copy_8m_vs_memcpy_hot": ("large.8388608.copy_mb_s", "large.8388608.memcpy_hot_mb_s"),
}.items():
    ratios[name] = ratio(a, b)
idle = get("cpu.nexus_idle.pct")
targets["cpu_idle_node"] = None if idle is None else idle <= 0.2
ratios["cpu_idle_node_pct"] = idle
rss, shm = get("memory.nexus_idle.rss_bytes"), get("memory.nexus_idle.shm_bytes")
targets["memory_idle_rss_under_4mib"] = None if rss is None else rss < 4 * 1048576
targets["memory_idle_shm_at_most_33mib"] = None if shm is None else shm <= 33 * 1048576
ratios["memory_idle_rss_mib"] = None if rss is None else round(rss / 1048576, 2)
ratios["memory_idle_shm_mib"] = None if shm is None else round(shm / 1048576, 2)
doc["ratios"] = ratios
doc["targets"] = targets

with open(out_path, "w") as f:
    json.dump(doc, f, indent=2, sort_keys=False)
    f.write("\n")

# ---- the human table ----------------------------------------------------
def us(v):
    return "-" if v is None else f"{v / 1000:.2f}"
def fmt(v, spec="{:,.0f}"):
    return "-" if v is None else spec.format(v)

print()
print("Latency, one-way (RTT/2), 256 B, us         P50     P99   P99.9      max")
for n in ("nexus_semaphore", "nexus_condvar", "nexus_spin", "floor_semaphore", "floor_spin", "uds", "iceoryx"):
    l = get(f"latency.{n}") or {}
    print(f"  {n:<38} {us(l.get('p50_ns')):>7} {us(l.get('p99_ns')):>7} {us(l.get('p999_ns')):>7} {us(l.get('max_ns')):>8}")
print("Throughput, msg/s (MB/s)                     64 B            256 B           2 KiB")
for n in ("nexus_semaphore", "nexus_spin", "floor_semaphore", "floor_spin", "uds", "iceoryx"):
    cells = []
    for s in ("64", "256", "2048"):
        m = get(f"throughput.{n}.{s}.msgs_per_s")
        b = get(f"throughput.{n}.{s}.mb_per_s")
        cells.append("-" if m is None else f"{m/1e6:.2f}M ({b:,.0f})")
    print(f"  {n:<34} {cells[0]:>15} {cells[1]:>16} {cells[2]:>16}")
print("CPU at 1,000 msg/s, % of a core              publisher  subscriber")
for n in ("nexus_semaphore", "nexus_condvar", "floor_semaphore", "uds"):
    print(f"  {n:<42} {fmt(get(f'cpu.{n}.pub_pct'), '{:.2f}'):>8} {fmt(get(f'cpu.{n}.sub_pct'), '{:.2f}'):>11}")
print(f"  idle node                                  {fmt(idle, '{:.3f}'):>8}")
print(f"Memory of an idle default node: RSS {fmt(rss and rss / 1048576, '{:.2f}')} MiB, shared memory mapped {fmt(shm and shm / 1048576, '{:.2f}')} MiB")
print("Spin before sleep (semaphore), one-way P50 / P99 us, CPU % pub / sub")
for u in ("0", "50"):
    for r in ("1000", "100000"):
        x = get(f"spin_before_sleep.{u}.{r}") or {}
        print(f"  spin {u:>2} us at {int(r):>7,} msg/s: {us(x.get('p50_ns')):>7} / {us(x.get('p99_ns')):>8}   "
              f"{fmt(x.get('pub_pct'), '{:.1f}'):>5} / {fmt(x.get('sub_pct'), '{:.1f}')}")
print("Large data           copy MB/s  copy frames/s  loan frames/s  memcpy MB/s (ring-sized / hot)")
for s, label in (("1048576", "1 MiB"), ("8388608", "8 MiB")):
    x = get(f"large.{s}") or {}
    print(f"  {label:<18} {fmt(x.get('copy_mb_s')):>10} {fmt(x.get('copy_frames_per_s')):>14} "
          f"{fmt(x.get('loan_frames_per_s')):>14} {fmt(x.get('memcpy_mb_s')):>12} / {fmt(x.get('memcpy_hot_mb_s'))}")
print("Fan-out (256 B)      one-way P50 us  P99 us  msg/s (block mode)")
for n in ("1", "2", "4"):
    x = get(f"fanout.{n}") or {}
    print(f"  {n} subscriber{'s' if n != '1' else ' '}      {us(x.get('p50_ns')):>14} {us(x.get('p99_ns')):>7} {fmt(x.get('msgs_per_s')):>10}")
print("Targets (ratio: pass/fail)")
for name in checks:
    t = targets[name]
    a, b, op, limit = checks[name]
    print(f"  {name:<36} {fmt(ratios[name], '{:.3f}'):>7}  {op} {limit:<4} {'-' if t is None else 'pass' if t else 'MISS'}")
for name, shown in (("cpu_idle_node", f"{fmt(idle, '{:.3f}')} %  <= 0.2"),
                    ("memory_idle_rss_under_4mib", f"{fmt(ratios['memory_idle_rss_mib'], '{:.2f}')} MiB < 4"),
                    ("memory_idle_shm_at_most_33mib", f"{fmt(ratios['memory_idle_shm_mib'], '{:.2f}')} MiB <= 33")):
    t = targets[name]
    print(f"  {name:<36} {shown:<18} {'-' if t is None else 'pass' if t else 'MISS'}")
print(f"machine: {doc['machine']['cores']} cores, {doc['machine']['model']}, kernel {doc['machine']['kernel']}"
      f"{', virtual machine' if doc['machine']['virtualized'] else ''}; load {doc['machine']['load_before']} -> "
      f"{doc['machine']['load_after']}; {doc['run']['seconds']} s")
print(f"JSON: {out_path}")
PY
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
