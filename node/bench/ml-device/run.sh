#!/usr/bin/env bash
# On the device machine, from the repository root: unpacks device-bundle/ into /tmp/g2g-ml and runs the bench.
set -euo pipefail
B="$(cd "$(dirname "$0")" && pwd)"
D=/tmp/g2g-ml
rm -rf "$D" && mkdir -p "$D" && cp -r "$B/nm" "$D/node_modules" && cp "$B/bench.mjs" "$D/" && cp -r "$B/models" "$D/"
xz -dc "$B/node.xz" > "$D/node" && chmod +x "$D/node"
find "$D/node_modules" -name '*.xz' | while read -r f; do xz -d "$f"; done
cd "$D" && ./node bench.mjs "$@"
