#!/usr/bin/env bash
# The demo (README's first command):
#   bash tools/scripts/demo.sh
# Installs missing packages (as root), builds Nexus in build/, then runs
# examples/hello: a subscriber and a publisher process, in a domain of
# their own, exchanging typed messages generated from schemas/examples/hello.nidl.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/scripts/setup.sh
nx_setup
echo "nexus: building in build/ ..."
nx_build build -Dwerror=true

if [ -x build/examples/hello/hello-sub ] && [ -x build/examples/hello/hello-pub ]; then
    exec bash examples/hello/run.sh build/examples/hello
fi

echo "nexus: examples/hello is not built yet; compiling the shipped schemas instead:"
for f in schemas/common/*.nidl schemas/examples/*.nidl; do
    [ -f "$f" ] || continue
    build/idlc/nexus-idlc --check -I schemas "$f" && echo "  ok  $f"
done
