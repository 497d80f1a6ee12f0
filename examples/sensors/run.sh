#!/usr/bin/env bash
# Run the sensors example: a dashboard and a logger, then a cabin and an
# engine sensor, each a process, in a domain of their own; every program
# stops after 5 readings. usage: run.sh BUILD-DIR-OF-examples/sensors
set -euo pipefail
dir=${1:-build/examples/sensors}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-sensors_$$}
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$dir/sensors-dashboard" --count 5 >"$tmp/dashboard" & pids+=($!)
"$dir/sensors-logger" --count 5 >"$tmp/logger" & pids+=($!)
# Each sensor waits until its topic has its subscribers: the cabin topic
# has two (dashboard, logger), the engine topic one (dashboard).
"$dir/sensors-temp" --zone cabin --count 5 --subscribers 2 --period-ms 50 >"$tmp/cabin" & pids+=($!)
"$dir/sensors-temp" --zone engine --count 5 --subscribers 1 --period-ms 50 >"$tmp/engine" & pids+=($!)
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
pids=()
cat "$tmp/cabin" "$tmp/engine" "$tmp/dashboard" "$tmp/logger"
exit $status
