#!/usr/bin/env python3
"""Test tools/scripts/bench_report.py on the fixed run in fixture/.

    test_bench_report.py REPORT_SCRIPT FIXTURE_DIR

The fixture is small enough to check by hand: every expected figure below
is worked out in its comment from fixture/results.txt and fixture/hist.*.
It exercises each merge rule (median, mean, last value, merged latency
histograms), each comparison of the targets at its boundary (<= passes at
equality, < misses at equality, >= passes at equality) and the null
verdicts of missing or failed figures. Exit status 0 when all hold, 1 with
a list of what differed otherwise.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def dig(doc, path):
    t = doc
    for p in path.split("."):
        if not isinstance(t, dict) or p not in t:
            return "<missing>"
        t = t[p]
    return t


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    script, fixture = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        run = subprocess.run(
            [sys.executable, script, fixture, out, "--quick", "--load-before", "0.5",
             "--load-after", "1.25", "--seconds", "42", "--failed", "1"],
            capture_output=True, text=True)
        if run.returncode != 0:
            print(f"bench_report.py exited {run.returncode}:\n{run.stderr}", file=sys.stderr)
            return 1
        with open(out) as f:
            doc = json.load(f)
        table = run.stdout

    # The document's shape (docs/bench-latest.json).
    check("top-level keys", list(doc),
          ["machine", "run", "latency", "throughput", "cpu", "memory", "spin_before_sleep",
           "large", "fanout", "calls", "ratios", "targets"])
    check("run", doc["run"], {"quick": True, "seconds": 42, "failed_programs": 1})
    check("machine.load_before", doc["machine"]["load_before"], 0.5)
    check("machine.load_after", doc["machine"]["load_after"], 1.25)

    # Latency from the merged histograms, RTT / 2. nexus_semaphore: buckets
    # 1000 x 100, 2000 x 50, 3000 x 49, 9000 x 1 (n = 200), max 9100.
    # P50: the 100th value, 1000 -> 500. P99: the 198th, 3000 -> 1500.
    # P99.9: the 200th, 9000 -> 4500. max 9100 -> 4550.
    for key, want in (("p50_ns", 500), ("p99_ns", 1500), ("p999_ns", 4500), ("max_ns", 4550),
                      ("round_trips", 200), ("p50_ns_rounds", [500, 1000])):
        check(f"latency.nexus_semaphore.{key}", dig(doc, f"latency.nexus_semaphore.{key}"), want)
    check("latency.uds.p50_ns", dig(doc, "latency.uds.p50_ns"), 500)
    # nexus_condvar: bucket 1000 x 10 but max 900: a quantile never exceeds
    # the max, so P50 = P99 = 900 -> 450.
    check("latency.nexus_condvar.p50_ns", dig(doc, "latency.nexus_condvar.p50_ns"), 450)
    check("latency.nexus_condvar.p99_ns", dig(doc, "latency.nexus_condvar.p99_ns"), 450)

    # Throughput: the median of the rounds, null rounds left out.
    check("throughput nexus 256 msg/s (median of 1M, 4M, 2M; mean 2.33M)",
          dig(doc, "throughput.nexus_semaphore.256.msgs_per_s"), 2000000)
    check("throughput nexus 256 MB/s (median of 256, 1024, 512)",
          dig(doc, "throughput.nexus_semaphore.256.mb_per_s"), 512.0)
    check("throughput floor 256 msg/s (null round skipped)",
          dig(doc, "throughput.floor_semaphore.256.msgs_per_s"), 4000000)
    check("throughput iceoryx 256 msg/s (every round null)",
          dig(doc, "throughput.iceoryx.256.msgs_per_s"), None)

    # CPU: the mean of the rounds, rounds kept; the idle node: the last value.
    check("cpu nexus pub (mean of 4, 5, 9; median 5)", dig(doc, "cpu.nexus_semaphore.pub_pct"), 6.0)
    check("cpu nexus pub rounds", dig(doc, "cpu.nexus_semaphore.pub_pct_rounds"), [4, 5, 9])
    check("cpu nexus sub (mean of 1, 2, 1.5)", dig(doc, "cpu.nexus_semaphore.sub_pct"), 1.5)
    check("cpu idle (last of 0.3, 0.1)", dig(doc, "cpu.nexus_idle.pct"), 0.1)

    # Other sections: the last value as printed, null kept as null.
    check("large 1 MiB copy (null)", dig(doc, "large.1048576.copy_mb_s"), None)
    check("large 8 MiB loan", dig(doc, "large.8388608.loan_frames_per_s"), 1000)
    check("fanout 2 p50", dig(doc, "fanout.2.p50_ns"), 55000)
    check("spin_before_sleep 50/1000 sub", dig(doc, "spin_before_sleep.50.1000.sub_pct"), 5.9)
    check("memory rss", dig(doc, "memory.nexus_idle.rss_bytes"), 5242880)
    check("calls in process per s", dig(doc, "calls.inproc.calls_per_s"), 2000000)
    # The ping-pong round trip next to which calls are judged: the merged
    # histogram's P50 itself (1000), not twice the halved figure.
    check("latency.nexus_semaphore.rtt_p50_ns", dig(doc, "latency.nexus_semaphore.rtt_p50_ns"),
          1000)

    ratios, targets = doc["ratios"], doc["targets"]
    want_ratios = {
        "latency_p50_semaphore_vs_floor": 1.0,   # 500 / 500
        "latency_p99_semaphore_vs_floor": 3.0,   # 1500 / 500
        "latency_p50_semaphore_vs_uds": 1.0,     # 500 / 500
        "latency_p50_condvar_vs_floor": 0.9,     # 450 / 500
        "latency_p50_condvar_vs_uds": 0.9,       # 450 / 500 (no target)
        "throughput_256_vs_floor": 0.5,          # 2M / 4M
        "throughput_256_vs_uds": 4.0,            # 2M / 0.5M
        "cpu_pub_semaphore_vs_floor": 1.2,       # 6 / 5
        "cpu_sub_semaphore_vs_floor": 1.5,       # 1.5 / 1.0
        "large_copy_8m_vs_memcpy": 0.419,        # 838.8608 / 2000
        "large_loan_8m_vs_copy": 10.0,           # 1000 / 100
        "call_rtt_p50_vs_pingpong_rtt": 1.1,     # 1100 / 1000
        "large_copy_1m_vs_memcpy": None,         # copy failed
        "latency_p50_semaphore_vs_iceoryx": None,  # no iceoryx figures
        "cpu_idle_node_pct": 0.1,
        "memory_idle_rss_mib": 5.0,
        "memory_idle_shm_mib": 16.49,            # 17293312 / 2^20
    }
    for name, want in want_ratios.items():
        check(f"ratio {name}", ratios.get(name, "<missing>"), want)
    want_targets = {
        "latency_p50_semaphore_vs_floor": True,    # 1.0 <= 1.2
        "latency_p99_semaphore_vs_floor": False,   # 3.0 <= 1.5
        "latency_p50_condvar_vs_floor": True,      # 0.9 <= 1.2
        "latency_p99_condvar_vs_floor": True,      # 450 / 500 = 0.9 <= 1.5
        "latency_p50_spin_vs_floor_spin": None,
        "latency_p50_semaphore_vs_uds": False,     # 1.0 < 1.0: strict
        "latency_p50_semaphore_vs_iceoryx": None,
        "throughput_256_vs_floor": True,           # 0.5 >= 0.5
        "throughput_256_vs_uds": False,            # 4.0 >= 5.0
        "throughput_256_vs_iceoryx": None,
        "cpu_pub_semaphore_vs_floor": True,        # 1.2 <= 1.2: at the limit
        "cpu_sub_semaphore_vs_floor": False,       # 1.5 <= 1.2
        "cpu_pub_condvar_vs_floor": None,
        "cpu_sub_condvar_vs_floor": None,
        "large_copy_1m_vs_memcpy": None,
        "large_copy_8m_vs_memcpy": False,          # 0.419 >= 0.5
        "large_loan_8m_vs_copy": True,             # 10.0 >= 10.0
        "call_rtt_p50_vs_pingpong_rtt": True,      # 1.1 <= 1.2
        "cpu_idle_node": True,                     # 0.1 <= 0.2
        "memory_idle_rss_under_4mib": False,       # 5 MiB < 4 MiB
        "memory_idle_shm_at_most_33mib": True,     # 16.49 MiB <= 33 MiB
    }
    check("target names, in order", list(targets), list(want_targets))
    for name, want in want_targets.items():
        check(f"target {name}", targets.get(name, "<missing>"), want)

    # The table shows the same figures and verdicts.
    lines = table.splitlines()

    def row(prefix):
        for line in lines:
            if line.strip().startswith(prefix):
                return line.split()
        return ["<no row " + prefix + ">"]

    check("table latency nexus_semaphore", row("nexus_semaphore ")[:5],
          ["nexus_semaphore", "0.50", "1.50", "4.50", "4.55"])
    check("table target p99 vs floor", row("latency_p99_semaphore_vs_floor"),
          ["latency_p99_semaphore_vs_floor", "3.000", "<=", "1.5", "MISS"])
    check("table calls cross", row("cross")[:4], ["cross", "1.10", "4.00", "50,000"])
    check("table target vs uds", row("latency_p50_semaphore_vs_uds"),
          ["latency_p50_semaphore_vs_uds", "1.000", "<", "1.0", "MISS"])
    check("table target throughput vs floor", row("throughput_256_vs_floor"),
          ["throughput_256_vs_floor", "0.500", ">=", "0.5", "pass"])
    check("table target vs iceoryx", row("latency_p50_semaphore_vs_iceoryx"),
          ["latency_p50_semaphore_vs_iceoryx", "-", "<=", "1.0", "-"])
    check("table idle rss", row("memory_idle_rss_under_4mib"),
          ["memory_idle_rss_under_4mib", "5.00", "MiB", "<", "4", "MISS"])
    check("table throughput 256 cell", "2.00M (512)" in table, True)

    if failures:
        print(f"{len(failures)} check(s) failed:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        return 1
    print("bench_report.py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
