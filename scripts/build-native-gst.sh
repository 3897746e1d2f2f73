#!/usr/bin/env bash
# Builds the GStreamer bridge addon (native-gst/g2g_gst.node: gstBin, gstSrc, gstSink) and regenerates its type
# declarations (native-gst/index.d.ts). A separate addon from native/g2g_native.node, which never links libgstreamer.
# Needs: cargo (Rust ≥ 1.92), pkg-config, and the Debian packages libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
#   apt-get install -y libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libdrm-dev/bookworm-backports libgbm-dev/bookworm-backports
# (on an image with Mesa from bookworm-backports the plugins-base headers conflict unless the backports pair comes in
# the same command). Run-time: libgstreamer1.0-0 and libgstreamer-plugins-base1.0-0 (gstreamer1.0-plugins-base).
# Options: --debug (unoptimised), --check-dts (fail when index.d.ts changed: for CI).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=--release
check_dts=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile= ;;
    --check-dts) check_dts=1 ;;
    *) echo "build-native-gst.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in cargo pkg-config cc; do
  command -v "$tool" >/dev/null || { echo "build-native-gst.sh: '$tool' not found; see the header of this script" >&2; exit 1; }
done
pkg-config --exists gstreamer-1.0 gstreamer-app-1.0 || {
  echo "build-native-gst.sh: GStreamer development files missing: apt-get install -y libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev (see the header of this script)" >&2
  exit 1
}

before=$(cat native-gst/index.d.ts 2>/dev/null || true)
if [ -x node_modules/.bin/napi ]; then
  node_modules/.bin/napi build $profile --cwd native-gst --dts index.d.ts
else
  echo "build-native-gst.sh: @napi-rs/cli not installed (npm ci); building with cargo, keeping native-gst/index.d.ts as committed" >&2
  (cd native-gst && cargo build $profile)
  dir=native-gst/target/$([ -n "$profile" ] && echo release || echo debug)
  cp "$dir/libg2g_gst.so" native-gst/g2g_gst.node
fi
if [ "$check_dts" = 1 ] && [ "$before" != "$(cat native-gst/index.d.ts)" ]; then
  echo "build-native-gst.sh: native-gst/index.d.ts changed; commit the regenerated file" >&2
  git --no-pager diff -- native-gst/index.d.ts >&2 || true
  exit 1
fi
echo "built native-gst/g2g_gst.node ($(du -h native-gst/g2g_gst.node | cut -f1))"
