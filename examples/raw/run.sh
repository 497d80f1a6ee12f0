#!/usr/bin/env bash
# Run the raw example: raw-sub, then raw-pub, in a domain of their own.
# usage: run.sh BUILD-DIR-OF-examples/raw
set -euo pipefail
dir=${1:-build/examples/raw}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-raw_$$}
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${sub:-}" ] && kill "$sub" 2>/dev/null || true' EXIT

"$dir/raw-sub" --count 3 >"$out" &
sub=$!
"$dir/raw-pub" --count 3
wait "$sub"
sub=
cat "$out"
