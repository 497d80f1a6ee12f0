#!/usr/bin/env bash
# Run the camera example: camera-view, then camera-pub, 100 frames of
# 8 MiB, in a domain of their own. usage: run.sh BUILD-DIR-OF-examples/camera
set -euo pipefail
dir=${1:-build/examples/camera}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-camera_$$}
frames=${FRAMES:-100}
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${view:-}" ] && kill "$view" 2>/dev/null || true' EXIT

"$dir/camera-view" --frames "$frames" >"$out" &
view=$!
"$dir/camera-pub" --frames "$frames"
wait "$view"
view=
cat "$out"
