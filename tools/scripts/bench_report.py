#!/usr/bin/env python3
"""Turn one run of the benchmark suite into its JSON summary and table.

Called by tools/scripts/bench.sh after every program of bench/ has run:

    bench_report.py [--quick] [--load-before L] [--load-after L]
                    [--seconds S] [--failed N] RUNDIR OUT_JSON

Reads, in RUNDIR:
  results.txt   the "@ key value" lines the programs printed, in the order
                they came (a key repeats once per round; value "null" when
                a run failed).
  hist.NAME     the raw round-trip histograms of the latency runs of
                transport NAME (lines "b <value_ns> <count>" per bucket and
                "m <max_ns>", appended once per round; "#" lines ignored).

Writes OUT_JSON (the format of docs/bench-latest.json): "machine" (this
machine, the load averages given), "run" (quick, seconds, failed_programs),
the sections latency, throughput, cpu, memory, spin_before_sleep, large
and fanout (keys as the result lines name them), "ratios" and "targets":
each target is true (met), false (missed) or null (a figure is missing).
Prints the human table on stdout. Exit status 0, or 1 if RUNDIR cannot be
read.

How repeated keys merge: throughput takes the median of the rounds, CPU
the mean (and keeps the rounds as KEY_rounds), everything else the last
value. Latency percentiles come from the merged histograms (RTT / 2), not
from the rounds' own figures, which are kept as p50_ns_rounds.
"""
import argparse
import glob
import json
import math
import os
import platform
import statistics
import sys

SECTIONS = ("latency", "throughput", "cpu", "memory", "spin_before_sleep", "large", "fanout",
            "calls")

# name: (numerator, denominator, comparison, limit). The ratio
# numerator / denominator must satisfy "ratio <comparison> limit".
CHECKS = {
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
    # A service call's round trip against the publish/subscribe ping-pong
    # round trip (twice the one-way figure) of the same run.
    "call_rtt_p50_vs_pingpong_rtt": ("calls.cross.p50_ns", "latency.nexus_semaphore.rtt_p50_ns", "<=", 1.2),
}

# Informational ratios (no target).
INFO_RATIOS = {
    "latency_p50_condvar_vs_uds": ("latency.nexus_condvar.p50_ns", "latency.uds.p50_ns"),
    "latency_p50_condvar_vs_iceoryx": ("latency.nexus_condvar.p50_ns", "latency.iceoryx.p50_ns"),
    "latency_p99_spin_vs_floor_spin": ("latency.nexus_spin.p99_ns", "latency.floor_spin.p99_ns"),
    "throughput_256_vs_floor_spin": ("throughput.nexus_semaphore.256.msgs_per_s", "throughput.floor_spin.256.msgs_per_s"),
    "throughput_64_vs_floor": ("throughput.nexus_semaphore.64.msgs_per_s", "throughput.floor_semaphore.64.msgs_per_s"),
    "throughput_2048_vs_floor": ("throughput.nexus_semaphore.2048.msgs_per_s", "throughput.floor_semaphore.2048.msgs_per_s"),
    "large_copy_1m_vs_memcpy_hot": ("large.1048576.copy_mb_s", "large.1048576.memcpy_hot_mb_s"),
    "large_copy_8m_vs_memcpy_hot": ("large.8388608.copy_mb_s", "large.8388608.memcpy_hot_mb_s"),
}

IDLE_CPU_MAX_PCT = 0.2
IDLE_RSS_LIMIT = 4 * 1048576     # bytes, strictly below
IDLE_SHM_MAX = 33 * 1048576      # bytes, at most


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


def read_results(path):
    """{key: [value per occurrence]} from the "@ key value" lines."""
    seen = {}
    with open(path) as f:
        for line in f:
            _, key, val = line.split(None, 2)
            seen.setdefault(key, []).append(num(val.strip()))
    return seen


def merge_rounds(seen):
    """One value per key: throughput the median, CPU the mean, else the last."""
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
    return flat


def merge_histograms(rundir, seen, flat):
    """Latency: merge the rounds' histograms (RTT, ns), report RTT / 2."""
    for path in glob.glob(os.path.join(rundir, "hist.*")):
        name = path.rsplit("hist.", 1)[1]
        buckets, mx = {}, 0
        with open(path) as f:
            for line in f:
                fields = line.split()
                if not fields:
                    continue
                if fields[0] == "b":
                    buckets[int(fields[1])] = buckets.get(int(fields[1]), 0) + int(fields[2])
                elif fields[0] == "m":
                    mx = max(mx, int(fields[1]))
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
        flat[f"latency.{name}.rtt_p50_ns"] = int(q(0.5))
        # Each round's own P50: the spread shows how steady the machine was.
        flat[f"latency.{name}.p50_ns_rounds"] = seen.get(f"latency.{name}.p50_ns", [])


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def virtualized():
    try:
        with open("/proc/cpuinfo") as f:
            return " hypervisor " in f.read().replace("\n", " ")
    except OSError:
        return None


def build_doc(rundir, args):
    seen = read_results(os.path.join(rundir, "results.txt"))
    flat = merge_rounds(seen)
    merge_histograms(rundir, seen, flat)
    tree = {}
    for key in sorted(flat):
        put(tree, key, flat[key])

    doc = {
        "machine": {
            "cores": os.cpu_count(),
            "model": cpu_model(),
            "kernel": platform.release(),
            "virtualized": virtualized(),
            "load_before": args.load_before,
            "load_after": args.load_after,
        },
        "run": {
            "quick": args.quick,
            "seconds": args.seconds,
            "failed_programs": args.failed,
        },
    }
    for section in SECTIONS:
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

    ratios, targets = {}, {}
    for name, (a, b, op, limit) in CHECKS.items():
        r = ratio(a, b)
        ratios[name] = r
        targets[name] = None if r is None else (r <= limit if op == "<=" else r < limit if op == "<" else r >= limit)
    for name, (a, b) in INFO_RATIOS.items():
        ratios[name] = ratio(a, b)
    idle = get("cpu.nexus_idle.pct")
    targets["cpu_idle_node"] = None if idle is None else idle <= IDLE_CPU_MAX_PCT
    ratios["cpu_idle_node_pct"] = idle
    rss, shm = get("memory.nexus_idle.rss_bytes"), get("memory.nexus_idle.shm_bytes")
    targets["memory_idle_rss_under_4mib"] = None if rss is None else rss < IDLE_RSS_LIMIT
    targets["memory_idle_shm_at_most_33mib"] = None if shm is None else shm <= IDLE_SHM_MAX
    ratios["memory_idle_rss_mib"] = None if rss is None else round(rss / 1048576, 2)
    ratios["memory_idle_shm_mib"] = None if shm is None else round(shm / 1048576, 2)
    doc["ratios"] = ratios
    doc["targets"] = targets
    return doc, get


def print_table(doc, get, out_path):
    ratios, targets = doc["ratios"], doc["targets"]
    idle = get("cpu.nexus_idle.pct")
    rss, shm = get("memory.nexus_idle.rss_bytes"), get("memory.nexus_idle.shm_bytes")

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
    print("Service calls (256 B)   round trip P50 us  P99 us  calls/s")
    for n in ("cross", "inproc"):
        x = get(f"calls.{n}") or {}
        print(f"  {n:<22} {us(x.get('p50_ns')):>17} {us(x.get('p99_ns')):>7} {fmt(x.get('calls_per_s')):>10}")
    rtt = get("latency.nexus_semaphore.rtt_p50_ns")
    print(f"  (publish/subscribe ping-pong round trip P50 of this run: {us(rtt)} us)")
    print("Targets (ratio: pass/fail)")
    for name in CHECKS:
        t = targets[name]
        a, b, op, limit = CHECKS[name]
        print(f"  {name:<36} {fmt(ratios[name], '{:.3f}'):>7}  {op} {limit:<4} {'-' if t is None else 'pass' if t else 'MISS'}")
    for name, shown in (("cpu_idle_node", f"{fmt(idle, '{:.3f}')} %  <= 0.2"),
                        ("memory_idle_rss_under_4mib", f"{fmt(ratios['memory_idle_rss_mib'], '{:.2f}')} MiB < 4"),
                        ("memory_idle_shm_at_most_33mib", f"{fmt(ratios['memory_idle_shm_mib'], '{:.2f}')} MiB <= 33")):
        t = targets[name]
        print(f"  {name:<36} {shown:<18} {'-' if t is None else 'pass' if t else 'MISS'}")
    m = doc["machine"]
    print(f"machine: {m['cores']} cores, {m['model']}, kernel {m['kernel']}"
          f"{', virtual machine' if m['virtualized'] else ''}; load {m['load_before']} -> "
          f"{m['load_after']}; {doc['run']['seconds']} s")
    print(f"JSON: {out_path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Summarise one run of tools/scripts/bench.sh.")
    ap.add_argument("rundir", help="directory with results.txt and hist.* files")
    ap.add_argument("out_json", help="the JSON summary to write")
    ap.add_argument("--quick", action="store_true", help="the run was a --quick smoke test")
    ap.add_argument("--load-before", type=float, default=0.0, help="load average at the start")
    ap.add_argument("--load-after", type=float, default=0.0, help="load average at the end")
    ap.add_argument("--seconds", type=int, default=0, help="how long the run took")
    ap.add_argument("--failed", type=int, default=0, help="how many program runs failed")
    args = ap.parse_args(argv)
    try:
        doc, get = build_doc(args.rundir, args)
    except (OSError, ValueError) as e:
        print(f"bench_report: cannot read the run in {args.rundir}: {e}", file=sys.stderr)
        return 1
    with open(args.out_json, "w") as f:
        json.dump(doc, f, indent=2, sort_keys=False)
        f.write("\n")
    print_table(doc, get, args.out_json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
