#!/usr/bin/env bash
# Installs everything glass2glass needs on a fresh Debian bookworm machine: system peers used by tests and
# benchmarks (GStreamer, ffmpeg) and the FFmpeg headers, then the npm dependencies, then the native addon. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config libavcodec-dev libavutil-dev ffmpeg x264 gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav)

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The native addon (Rust + napi-rs over libavcodec): h264Dec/h264Enc. Fails on a changed index.d.ts.
bash scripts/build-native.sh --check-dts
