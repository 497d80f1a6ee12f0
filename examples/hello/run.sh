#!/usr/bin/env bash
# Run the hello demo: hello-sub in the background, hello-pub in front,
# in a domain of their own. usage: run.sh BUILD-DIR-OF-examples/hello
set -euo pipefail
dir=${1:-build/examples/hello}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-hello_$$}
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${sub:-}" ] && kill "$sub" 2>/dev/null || true' EXIT

"$dir/hello-sub" --count 10 >"$out" &
sub=$!
for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
cat "$out"
"$dir/hello-pub" --count 10 --pings 2000
wait "$sub"
sub=
tail -n +2 "$out"
