#!/usr/bin/env bash
# Packs the many-streams GPU run (issue 19) for the device machine, which has the NVIDIA driver but no Node,
# no ffmpeg and no network: into DEST (default device-bundle/gpu-streams, gitignored) go
#   node.xz      this machine's Node (one binary but libstdc++), debug info stripped, xz -9
#   libs.tar.xz  every shared library the addon and Node need, as ldd lists them, except glibc itself and
#                libgcc_s (the device has newer ones): Debian's FFmpeg 5.1 and its codec libraries. Two that
#                the decode path never calls are replaced by stubs (STUBS) to fit the 64 MiB carry: libcodec2
#                (8 MB compressed; libavcodec's codec2 wrappers) and libicudata (7.5 MB; ICU's data, reached
#                only through libxml2's encoding conversion): each stub defines the symbols the other
#                libraries import from it, functions that abort naming themselves, data zero-filled.
#   app.tar.xz   the built package as an app installs it (node_modules/glass2glass: package.json, dist/ from
#                tsup, prebuilds/<triple>/g2g_native.node), the driver (driver.ts bundled with the package
#                kept external) and the clips with ffmpeg's reference MD5s
#   run.sh       what the device runs (see its header)
# DEST must be a folder inside the checkout the device tool sends, ignored by git, named in `carry`.
#   node/bench/gpu-streams/pack.sh [DEST] [--js-only]   (--js-only: keep node.xz and libs.tar.xz)
set -euo pipefail
cd "$(dirname "$0")/../../.."
DEST=device-bundle/gpu-streams
JS_ONLY=0
for a in "$@"; do case "$a" in --js-only) JS_ONLY=1 ;; *) DEST=$a ;; esac; done
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT

STUBS="libcodec2.so.1.0 libicudata.so.72"

# Replaces DIR/NAME by a stub with its SONAME defining what the other libraries in DIR and the addon import from it.
stub() {
  local dir=$1 name=$2 real=$1/$2 soname c
  soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  c="$S/stub-$name.c"
  echo '#include <stdio.h>' > "$c"; echo '#include <stdlib.h>' >> "$c"
  { for f in "$dir"/*; do [ "$f" != "$real" ] && objdump -T "$f"; done; objdump -T native/g2g_native.node; } \
    | awk '$0 ~ /\*UND\*/ {print $NF}' | sort -u > "$S/wanted"
  objdump -T "$real" | awk '$0 !~ /\*UND\*/ && ($3 == "DF" || $3 == "DO") {print $3, $5, $NF}' | sort -k3 -u \
    | while read -r kind size sym; do
      grep -qx "$sym" "$S/wanted" || continue
      if [ "$kind" = DF ]; then echo "void $sym(void) { fputs(\"$name stub: $sym called\\n\", stderr); abort(); }"
      else echo "const char $sym[64];"; fi
    done >> "$c"
  gcc -shared -fPIC -O1 -Wl,-soname,"$soname" -o "$real" "$c"
  echo "stub $name: $(grep -c '^void\|^const' "$c") symbols"
}

# The package, as `npm pack` would ship it (prebuild-native.sh's layout), without the typings.
npx tsup --silent >/dev/null
triple=$(node -e "import('./dist/node/index.js').then((m) => console.log(m.platformTriple()))")
P="$S/app/node_modules/glass2glass"
mkdir -p "$P/prebuilds/$triple"
cp -r package.json dist "$P/"
cp native/g2g_native.node "$P/prebuilds/$triple/"
npx esbuild node/bench/gpu-streams/driver.ts --bundle --platform=node --format=esm --target=node20 \
  --external:glass2glass '--external:glass2glass/*' --outfile="$S/app/driver.mjs" --log-level=warning

# Clips. live: what a camera sends (High profile, no B-frames, 1 s GOP, ~4 Mbit/s), 5 s looped by the driver.
# bframes: the probe's stream (3 B-frames), decoded in throughput mode. Reference MD5s from ffmpeg's decode.
M="$S/app/media"
mkdir -p "$M"
ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -frames:v 150 -c:v libx264 -preset veryfast -bf 0 -g 30 \
  -b:v 4M -maxrate 4M -bufsize 4M -f h264 "$M/live1080p.h264"
ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -frames:v 120 -c:v libx264 -preset veryfast -bf 3 -f h264 "$M/bframes1080p.h264"
for c in live1080p bframes1080p; do
  for f in nv12 yuv420p; do
    ffmpeg -v error -i "$M/$c.h264" -f framemd5 -pix_fmt $f - | grep -v '^#' | awk -F', *' '{print $NF}' > "$M/$c.$f.md5"
  done
done
tar -C "$S" -cf - app | xz -T0 -6 > "$DEST/app.tar.xz"

if [ $JS_ONLY = 0 ] || [ ! -f "$DEST/libs.tar.xz" ]; then
  mkdir -p "$S/lib"
  { ldd native/g2g_native.node; ldd "$(command -v node)"; } | awk '/=>/ {print $3}' | sort -u \
    | grep -vE '/(libc|libm|libpthread|libdl|librt|libgcc_s|ld-linux-x86-64)\.so' \
    | while read -r lib; do cp -L "$lib" "$S/lib/"; done
  for lib in $STUBS; do stub "$S/lib" "$lib"; done
  tar -C "$S" -cf - lib | xz -T0 -9 > "$DEST/libs.tar.xz"
fi
if [ $JS_ONLY = 0 ] || [ ! -f "$DEST/node.xz" ]; then
  strip --strip-all "$(command -v node)" -o "$S/node"
  xz -T0 -9 -c "$S/node" > "$DEST/node.xz"
fi
cp node/bench/gpu-streams/run.sh "$DEST/"
du -b "$DEST"/* | awk '{printf "%8.1f MiB  %s\n", $1 / 1048576, $2}'
echo "total $(du -sb "$DEST" | awk '{printf "%.1f MiB", $1 / 1048576}') (the device tool carries 64 MiB with the checkout)"
