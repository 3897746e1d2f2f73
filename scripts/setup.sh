#!/usr/bin/env bash
# Installs everything glass2glass needs on a fresh Debian bookworm machine: system peers used by tests and
# benchmarks (GStreamer, ffmpeg, Chromium for test/browser) and the FFmpeg headers, then the npm dependencies, then the native addon. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config libavcodec-dev libavutil-dev libgstreamer1.0-dev ffmpeg x264 gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-rtsp-server-1.0 chromium weston wayland-utils pulseaudio pulseaudio-utils libpulse-dev sox)

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# WebGPU (Dawn, the `webgpu` package) needs a Vulkan adapter; bookworm's Mesa 22 lavapipe gives none,
# Mesa 25's from bookworm-backports does.
if ! dpkg -s mesa-vulkan-drivers 2>/dev/null | grep -q '^Version: 2[5-9]'; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ] && ! grep -q 'bookworm-backports' "$src"; then
    $SUDO sed -i '0,/^Suites: bookworm bookworm-updates$/s//Suites: bookworm bookworm-updates bookworm-backports/' "$src"
  elif [ ! -f "$src" ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' | $SUDO tee /etc/apt/sources.list.d/backports.list >/dev/null
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
fi

# The GStreamer bridge addon's headers (gstreamer-app). With Mesa from bookworm-backports (above),
# libgstreamer-plugins-base1.0-dev only installs when the same command takes libdrm-dev and libgbm-dev from
# the backports too.
if ! dpkg -s libgstreamer-plugins-base1.0-dev >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -qq --no-install-recommends libgstreamer-plugins-base1.0-dev libdrm-dev/bookworm-backports libgbm-dev/bookworm-backports >/dev/null
fi

# onnxruntime-node's install script downloads CUDA libraries from the internet; its CPU (and WebGPU)
# binaries ship inside the package, so the download is skipped.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# The native addon (Rust + napi-rs over libavcodec): h264Dec/h264Enc. Fails on a changed index.d.ts.
bash scripts/build-native.sh --check-dts

# The GStreamer bridge (gstBin, gstSrc, gstSink): a separate addon over libgstreamer, so that the main one
# never needs GStreamer. Fails on a changed index.d.ts.
bash scripts/build-native-gst.sh --check-dts
