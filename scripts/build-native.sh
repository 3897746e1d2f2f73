#!/usr/bin/env bash
# Builds the native addon (native/g2g_native.node) and regenerates its type declarations (native/index.d.ts).
# Needs: cargo (Rust ≥ 1.80), gcc, and the Debian packages pkg-config libavcodec-dev libavutil-dev libpulse-dev
#   apt-get install -y pkg-config libavcodec-dev libavutil-dev
# Run-time: libavcodec59/libavutil57 (pulled in by the ffmpeg package). No CUDA or VA-API at build time:
# GPU backends are probed when a decoder opens.
# Options: --debug (unoptimised), --features vaapi, --check-dts (fail when index.d.ts changed: for CI).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=--release
features=()
check_dts=0
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile= ;;
    --features) features=(--features "$2"); shift ;;
    --check-dts) check_dts=1 ;;
    *) echo "build-native.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

for tool in cargo pkg-config cc; do
  command -v "$tool" >/dev/null || { echo "build-native.sh: '$tool' not found; see the header of this script" >&2; exit 1; }
done
pkg-config --exists libavcodec libavutil || {
  echo "build-native.sh: FFmpeg development files missing: apt-get install -y pkg-config libavcodec-dev libavutil-dev" >&2
  exit 1
}
# libpulse-sys links libpulse and libpulse-simple (the default `pulse` feature: pulseSink, pulseSrc).
pkg-config --exists libpulse libpulse-simple || {
  echo "build-native.sh: PulseAudio development files missing: apt-get install -y libpulse-dev" >&2
  exit 1
}

before=$(cat native/index.d.ts 2>/dev/null || true)
if [ -x node_modules/.bin/napi ]; then
  # napi-rs CLI: builds and writes the .d.ts generated from the #[napi] items.
  node_modules/.bin/napi build $profile --cwd native --dts index.d.ts ${features[@]+"${features[@]}"}
else
  echo "build-native.sh: @napi-rs/cli not installed (npm ci); building with cargo, keeping native/index.d.ts as committed" >&2
  (cd native && cargo build $profile ${features[@]+"${features[@]}"})
  dir=native/target/$([ -n "$profile" ] && echo release || echo debug)
  cp "$dir/libg2g_native.so" native/g2g_native.node
fi
if [ "$check_dts" = 1 ] && [ "$before" != "$(cat native/index.d.ts)" ]; then
  echo "build-native.sh: native/index.d.ts changed; commit the regenerated file" >&2
  git --no-pager diff -- native/index.d.ts >&2 || true
  exit 1
fi
echo "built native/g2g_native.node ($(du -h native/g2g_native.node | cut -f1))"
