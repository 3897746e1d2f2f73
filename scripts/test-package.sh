#!/usr/bin/env bash
# What a user does with the package, as CI's last step: `npm pack`, install the tarball into a fresh project
# with no environment variables, compile a strict TypeScript app and the examples against it (NodeNext and
# bundler resolution, skipLibCheck false), run them (an RTSP → MP4 recording from `g2g serve --test-pattern`,
# h264Dec decoding), check the optional peers' errors, the install size and a browser bundle's size.
# Fails at the first failing step. Needs: a built native addon (scripts/build-native.sh), ffprobe.
# KEEP=1 keeps the temporary project for a look.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/g2g-package.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo "== $*"; }
# A user's shell: no ONNXRUNTIME_NODE_INSTALL, no G2G_* variables, no CI flags.
user() { env -i PATH="$PATH" HOME="$HOME" "$@"; }
mkdir -p "$work/app"

step "npm pack"
tarball=$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -1)
tar -tzf "$work/$tarball" >"$work/contents.txt"
for f in package/LICENSE package/README.md package/prebuilds/linux-x64-gnu/g2g_native.node package/dist/types/operators/entry.d.ts; do
  grep -qx "$f" "$work/contents.txt" || { echo "test-package: $f is not in $tarball" >&2; exit 1; }
done
if grep -q '\.map$' "$work/contents.txt"; then echo "test-package: source maps in $tarball" >&2; exit 1; fi
echo "$tarball: $(wc -l <"$work/contents.txt") files, $(du -h "$work/$tarball" | cut -f1)"

step "npm install glass2glass into a fresh project"
cd "$work/app"
cat >package.json <<'EOF'
{ "name": "g2g-user-app", "private": true, "type": "module" }
EOF
user npm install --no-audit --no-fund "$work/$tarball"
size_mb=$(du -sm node_modules | cut -f1)
echo "node_modules: ${size_mb} MB"
[ "$size_mb" -lt 60 ] || { echo "test-package: node_modules is ${size_mb} MB (limit 60)" >&2; du -sm node_modules/* | sort -rn | head >&2; exit 1; }

step "compile a strict app and the examples against the package"
# The app's own tools, as a user adds them (after the size was measured).
user npm install --no-audit --no-fund --save-dev typescript@5.9 @types/node@20 esbuild@0.28
cp "$repo"/test/package/consumer/{app.ts,size-entry.ts,tsconfig.nodenext.json,tsconfig.bundler.json,tsconfig.node10.json} .
cp -r "$repo/examples" examples
user npx tsc -p tsconfig.bundler.json
user npx tsc -p tsconfig.nodenext.json
user npx tsc -p tsconfig.node10.json

step "run the app (encode, mux, fileSink with no setup, decode, optional peers' errors)"
user node out/app.js

step "g2g serve --test-pattern, then record it with examples/rtsp-record"
port=$((20000 + RANDOM % 20000))
# node_modules/.bin/g2g (what npx runs) through env alone, no shell function: $! is then the server itself, so cleanup stops it.
env -i PATH="$PATH" HOME="$HOME" node_modules/.bin/g2g serve --test-pattern --port "$port" --path /live >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q "rtsp://" "$work/serve.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
url="rtsp://127.0.0.1:$port/live"
user node out/examples/rtsp-record.js "$url" rec.mp4 --frames 60
probe=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,nb_read_frames -of csv=p=0 rec.mp4)
echo "ffprobe rec.mp4: $probe"
case "$probe" in h264,6[0-9] | h264,[7-9][0-9]) ;; *) echo "test-package: recording is not 60 H.264 frames: $probe" >&2; exit 1 ;; esac

step "decode frames with examples/decode-frames (file and RTSP)"
user node out/examples/decode-frames.js rec.mp4 --frames 30
user node out/examples/decode-frames.js "$url" --frames 10
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

step "g2g ocr without the optional ML packages names what to install"
if user npx g2g ocr rec.mp4 >"$work/ocr.log" 2>&1; then echo "test-package: g2g ocr succeeded without onnxruntime-node" >&2; exit 1; fi
cat "$work/ocr.log"
grep -q "needs the optional package .* npm install" "$work/ocr.log" || { echo "test-package: g2g ocr's error does not name the package to install" >&2; exit 1; }

step "a browser bundle of one core function"
user npx esbuild size-entry.ts --bundle --minify --format=esm --platform=browser --outfile=size.js --log-level=warning
bytes=$(wc -c <size.js)
echo "Caps.parse bundle: $bytes bytes minified"
[ "$bytes" -lt 30720 ] || { echo "test-package: one core function bundles to $bytes bytes (limit 30 KB)" >&2; exit 1; }
user npx esbuild examples/browser/main.ts --bundle --minify --format=esm --platform=browser --outfile=browser.js --log-level=warning
echo "examples/browser bundle: $(wc -c <browser.js) bytes minified"
# A Node app bundled whole: the optional ML packages must not be needed to build it.
user npx esbuild app.ts --bundle --platform=node --format=esm --outfile=app-bundle.mjs --log-level=warning

step "glass2glass/interop once rxjs and ix are installed"
user npm install --no-audit --no-fund rxjs@7 ix@7
cp "$repo/test/package/consumer/interop.ts" .
user npx tsc -p tsconfig.nodenext.json
user node out/interop.js

echo "test-package: the package works for a user"
