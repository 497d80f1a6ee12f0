#!/usr/bin/env bash
# Run the services example: the server, then the client, in a domain of
# their own; then the client once more with the server gone.
# usage: run.sh BUILD-DIR-OF-examples/services
set -euo pipefail
dir=${1:-build/examples/services}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-services_$$}
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null || true' EXIT

"$dir/calc-server" --count 4 >"$out" &
srv=$!
# Wait until it serves (nexus services would show it too).
for _ in $(seq 100); do grep -q serving "$out" && break; sleep 0.05; done
"$dir/calc-client"
wait "$srv"
srv=
cat "$out"
# Nobody serves it now: the call says so at once.
"$dir/calc-client" || echo "calc-client: exit status $? without a server"
