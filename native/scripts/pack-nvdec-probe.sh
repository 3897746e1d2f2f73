#!/usr/bin/env bash
# Packs examples/nvdec_probe with the shared libraries it needs (everything ldd lists but glibc itself,
# which the GPU host has, newer) into native/nvdec-bundle.tar.xz, plus a test stream and its reference
# MD5s, for a machine with the NVIDIA driver but no ffmpeg. On that machine:
#   tar xJf native/nvdec-bundle.tar.xz -C /tmp && /tmp/nvdec-bundle/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --no-default-features --example nvdec_probe
out=target/nvdec-bundle
rm -rf "$out" && mkdir -p "$out/lib"
cp target/release/examples/nvdec_probe "$out/"
ldd target/release/examples/nvdec_probe | awk '/=>/ {print $3}' \
  | grep -vE '/(libc|libm|libpthread|libdl|librt|libgcc_s|ld-linux-x86-64)\.so' \
  | while read -r lib; do cp -L "$lib" "$out/lib/"; done
# A 1080p stream with B-frames and ffmpeg's reference per-frame MD5s (I420), to check bit-exactness there.
ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30 -frames:v 300 -c:v libx264 -preset veryfast -bf 3 -f h264 "$out/test1080p.h264"
ffmpeg -v error -i "$out/test1080p.h264" -f framemd5 -pix_fmt yuv420p - | grep -v '^#' | awk -F', *' '{print $NF}' > "$out/reference.md5"
ffmpeg -v error -i "$out/test1080p.h264" -f framemd5 -pix_fmt nv12 - | grep -v '^#' | awk -F', *' '{print $NF}' > "$out/reference-nv12.md5"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Usage: run.sh [nvdec|cuvid|software] [--format NV12] [--strided] — decodes the test stream, compares
# MD5s with ffmpeg's software decode (in the same pixel format), prints fps.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
backend=${1:-nvdec}
shift || true
ref="$here/reference.md5"
case " $* " in *" NV12 "*) ref="$here/reference-nv12.md5" ;; esac
tag="$backend$(echo "$*" | tr -d ' -')"
"$here/nvdec_probe" --backend "$backend" "$@" "$here/test1080p.h264" > "$here/out-$tag.txt"; rc=$?
grep -v '^frame ' "$here/out-$tag.txt"
[ $rc -eq 0 ] || exit $rc
if diff -q <(grep '^frame ' "$here/out-$tag.txt" | awk '{print $NF}') "$ref" >/dev/null; then
  echo "bit-exact: all $(wc -l < "$ref") frames match ffmpeg's software decode ($(basename "$ref"))"
else
  echo "MISMATCH against ffmpeg's software decode"; exit 3
fi
"$here/nvdec_probe" --backend "$backend" "$@" --live --quiet "$here/test1080p.h264" | tail -1 | sed 's/^/live mode: /'
RUN
chmod +x "$out/run.sh"
tar -C target -cJf nvdec-bundle.tar.xz nvdec-bundle
echo "native/nvdec-bundle.tar.xz: $(du -h nvdec-bundle.tar.xz | cut -f1) (carry it; unpacked $(du -sh "$out" | cut -f1))"
