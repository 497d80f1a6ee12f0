#!/usr/bin/env bash
# Run the config example on examples/config/nexus.yaml, then on a file
# with a mistake, in a domain of its own (NEXUS_DOMAIN overrides the
# file's domain). usage: run.sh BUILD-DIR-OF-examples/config
set -euo pipefail
dir=${1:-build/examples/config}
here=$(cd "$(dirname "$0")" && pwd)
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-config_$$}
bad=$(mktemp --suffix=.yaml)
trap 'rm -f "$bad"' EXIT

"$dir/config" --pings "${PINGS:-200}" "$here/nexus.yaml"
# The same file with a unit where none belongs: refused, with line and key.
sed 's/^  spin_before_sleep_us: 0$/  spin_before_sleep_us: 20us/' "$here/nexus.yaml" >"$bad"
if "$dir/config" "$bad" 2>&1 | sed "s|$bad|bad.yaml|"; then :; fi
