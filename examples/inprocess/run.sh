#!/usr/bin/env bash
# Run the inprocess example in a domain of its own.
# usage: run.sh BUILD-DIR-OF-examples/inprocess
set -euo pipefail
dir=${1:-build/examples/inprocess}
export NEXUS_DOMAIN=${NEXUS_DOMAIN:-inprocess_$$}
exec "$dir/inprocess"
