#!/usr/bin/env bash
# Puts the native addon built by scripts/build-native.sh where the package ships it:
# prebuilds/<napi-rs platform triple>/g2g_native.node (node/native/loader.ts looks there). Run by `npm pack`
# (prepack); fails when there is no build, so a package never ships without its decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=$(node -e "import('./dist/node/index.js').then((m) => console.log(m.platformTriple()))")
[ -f native/g2g_native.node ] || { echo "prebuild-native.sh: native/g2g_native.node missing; run scripts/build-native.sh" >&2; exit 1; }
rm -rf prebuilds
mkdir -p "prebuilds/$triple"
cp native/g2g_native.node "prebuilds/$triple/g2g_native.node"
echo "prebuilds/$triple/g2g_native.node ($(du -h "prebuilds/$triple/g2g_native.node" | cut -f1))"
