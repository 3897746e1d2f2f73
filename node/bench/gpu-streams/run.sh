#!/usr/bin/env bash
# On the device machine (NVIDIA driver, no Node, no ffmpeg), from anywhere: unpacks what pack.sh made beside
# this script into /tmp/g2g-gpu and runs, writing to $OUT (at most 8 files come back):
#   machine.txt   nvidia-smi, the driver, the cores
#   verify.log    NVDEC through the package's pipeline against ffmpeg's MD5s (B-frame clip, live clip; packed, and as
#                 handed on: strided, leased downloads)
#   streams.jsonl one JSON line per N (driver.ts streams), streams.log the same run in words
#   dmon.txt      nvidia-smi dmon (SM, memory, decoder %, framebuffer MiB) during each N
# Steps, by the environment: VERIFY=1 (VERIFY_BACKEND=nvdec); NS="8 16 ..." (NVDEC ladder); SW_NS="..." (software ladder, the CPU
# baseline); PROCS=1 (N streams as that many processes of N/PROCS each); SECS=12 (counted window per N); BUDGET=480 (s since start: no new N after it). A ladder stops
# after two N in a row that deliver under 95% of the frames. The addon's own settings pass through: G2G_HW_CONTEXTS (device
# contexts per GPU that decoders share, default 8; 0: one per decoder), G2G_CUDA_SHARED_STREAM=1 (no CUDA stream per
# decoder), G2G_CUDA_STREAM_FLAGS (cuStreamCreate's flags, default 1).
set -uo pipefail
H=$(cd "$(dirname "$0")" && pwd)
D=/tmp/g2g-gpu
O=${OUT:-$H/out}
VERIFY=${VERIFY:-1}
VERIFY_BACKEND=${VERIFY_BACKEND:-nvdec}
NS=${NS-8 16 32 48 64 96 128}
SW_NS=${SW_NS:-}
SECS=${SECS:-12}
PROCS=${PROCS:-1}
BUDGET=${BUDGET:-480}
start=$(date +%s)
mkdir -p "$O"
rm -rf "$D" && mkdir -p "$D"
xz -dc "$H/node.xz" > "$D/node" && chmod +x "$D/node"
tar -C "$D" -xJf "$H/libs.tar.xz" && tar -C "$D" -xJf "$H/app.tar.xz" || exit 1
echo "unpacked in $(( $(date +%s) - start )) s"
g2g=(env LD_LIBRARY_PATH="$D/lib" "$D/node" "$D/app/driver.mjs")
# CUDA contexts and NVDEC decoders hold descriptors (/dev/nvidia*). With a context per decoder (before shared contexts,
# or G2G_HW_CONTEXTS=0) the default 1024 ran out at ~75 decoders in one process (64 decoders: 1378 open); on 8 shared
# contexts 64 decoders hold 370 and 112 hold 514, past 1024 near 280 (3 a decoder), so the limit is raised either way.
nofile="$(ulimit -Sn)/$(ulimit -Hn)"
ulimit -Hn 1048576 2>/dev/null; ulimit -Sn "$(ulimit -Hn)" 2>/dev/null
{ nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; echo "cores: $(nproc)"; uname -r; grep -m1 'model name' /proc/cpuinfo; echo "open files (soft/hard): $nofile, raised to $(ulimit -Sn)/$(ulimit -Hn)"; } >> "$O/machine.txt" 2>&1
cd "$D/app"

if [ "$VERIFY" = 1 ]; then
  for v in "--input media/bframes1080p.h264 --reference media/bframes1080p.nv12.md5 --format NV12" \
           "--input media/bframes1080p.h264 --reference media/bframes1080p.yuv420p.md5 --format I420" \
           "--input media/live1080p.h264 --reference media/live1080p.nv12.md5 --format NV12 --live" \
           "--input media/bframes1080p.h264 --reference media/bframes1080p.nv12.md5 --format NV12 --strided" \
           "--input media/live1080p.h264 --reference media/live1080p.nv12.md5 --format NV12 --live --strided"; do
    # shellcheck disable=SC2086
    timeout 60 "${g2g[@]}" verify --backend "$VERIFY_BACKEND" $v
  done 2>&1 | tee -a "$O/verify.log"
fi

ladder() {
  local backend=$1 fails=0 n
  shift
  for n in "$@"; do
    if [ $(( $(date +%s) - start )) -gt "$BUDGET" ]; then echo "budget ($BUDGET s) spent: no $backend N=$n" | tee -a "$O/streams.log"; break; fi
    echo "== $backend N=$n $(date +%T)" >> "$O/dmon.txt"
    nvidia-smi dmon -s um -d 1 >> "$O/dmon.txt" 2>&1 &
    local dm=$!
    if [ "$PROCS" = 1 ]; then
      timeout 100 "${g2g[@]}" streams --backend "$backend" --n "$n" --seconds "$SECS" --input media/live1080p.h264 > "$O/step.json" 2>> "$O/streams.log"
      echo "exit $? for $backend N=$n" >> "$O/streams.log"
    else
      # N streams as PROCS processes of N/PROCS streams each, started together, merged into one line.
      local p pids=()
      for p in $(seq 1 "$PROCS"); do
        timeout 100 "${g2g[@]}" streams --backend "$backend" --n $((n / PROCS)) --seconds "$SECS" --input media/live1080p.h264 > "$D/part-$p.json" 2>> "$O/streams.log" &
        pids+=($!)
      done
      wait "${pids[@]}"
      cat "$D"/part-*.json >> "$O/streams.jsonl"
      "${g2g[@]}" merge "$D"/part-*.json > "$O/step.json" 2>> "$O/streams.log"
      rm -f "$D"/part-*.json
    fi
    kill "$dm" 2>/dev/null; wait "$dm" 2>/dev/null
    cat "$O/step.json" >> "$O/streams.jsonl"
    tail -n 2 "$O/streams.log"
    local ratio
    ratio=$(grep -o '"deliveredRatio":[0-9.]*' "$O/step.json" | cut -d: -f2)
    if awk -v r="${ratio:-0}" 'BEGIN { exit !(r < 0.95) }'; then fails=$((fails + 1)); else fails=0; fi
    [ "$fails" -ge 2 ] && { echo "$backend: two N in a row under 95% of frames, stop" | tee -a "$O/streams.log"; break; }
  done
  rm -f "$O/step.json"
}
# shellcheck disable=SC2086
[ -n "$NS" ] && ladder nvdec $NS
# shellcheck disable=SC2086
[ -n "$SW_NS" ] && ladder software $SW_NS
echo "done in $(( $(date +%s) - start )) s"
