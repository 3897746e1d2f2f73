import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** Examples import the package by name, as users do; tests run them against the sources (tsconfig.json paths). */
const PACKAGE_ALIASES = [
  { find: /^glass2glass$/, replacement: here('./node/entries/main.ts') }, // the `node` export condition
  {
    find: /^glass2glass\/operators$/,
    replacement: here('./node/entries/operators.ts'),
  },
  { find: /^glass2glass\/marbles$/, replacement: here('./marbles/index.ts') },
  { find: /^glass2glass\/node$/, replacement: here('./node/index.ts') },
  {
    find: /^glass2glass\/interop$/,
    replacement: here('./src/interop/index.ts'),
  },
  { find: /^glass2glass\/ml$/, replacement: here('./node/ml/index.ts') },
  {
    find: /^glass2glass\/ml\/browser$/,
    replacement: here('./src/ml/browser.ts'),
  },
];

/*
 * Three tiers, as vitest projects (`vitest run` runs all three; `--project <name>` one):
 *
 *   unit      pure and fast: no third-party program, no wall clock, no sockets (the default for a new file)
 *   peers     runs a real third-party peer: ffmpeg/ffprobe, GStreamer (gst-launch, the python gi RTSP
 *             server), Chromium, Dawn (webgpu), onnxruntime, the native addon (libavcodec), cargo, weston.
 *             A missing peer fails the file in CI and skips it locally: test/peers.ts (requirePeer).
 *   realtime  needs no peer but depends on real time: wall-clock waits, UDP/TCP sockets with timeouts,
 *             child processes, long runs.
 *
 * The rule: a file that needs a peer is `peers` (even when it also uses sockets or waits); else one that
 * depends on real time is `realtime`; else `unit`. A helper counts: a test that encodes its input with
 * ffmpeg (test/fixtures/h264.ts, test/rtp/helpers.ts encodedAus, test/mp4/helpers.ts) is a peers test.
 */

const PEERS = [
  // ffmpeg / ffprobe (fixtures encoded by ffmpeg, references from ffprobe)
  'test/cli/e2e.test.ts', // + the CLI as a child process, Ctrl-C on timers
  'test/cli/probe.test.ts',
  'test/cli/probe-inputs.test.ts', // + remux, ocr, serve (sockets) on ffmpeg-made inputs
  'test/cli/remux.test.ts', // + gst-launch
  'test/cli/remux-stop.test.ts',
  'test/cli/serve.test.ts', // + sockets, the CLI as a process
  'test/cli/serve-loop.test.ts',
  'test/h264/access-unit.test.ts',
  'test/h264/caps-fields.test.ts', // + the native addon
  'test/h264/annexb-split.test.ts',
  'test/h264/h264-parse.test.ts',
  'test/h264/params.test.ts',
  'test/h264/start-code-finder.test.ts',
  'test/io/fs.test.ts',
  'test/typefind/**/*.test.ts', // every format the typefinder names, made by ffmpeg
  'test/mp4/annexb-mux.test.ts',
  'test/mp4/audio.test.ts', // AAC and Opus in MP4: ffprobe and ffmpeg decodes as references
  'test/mp4/demux.test.ts',
  'test/mp4/demux-robustness.test.ts',
  'test/mp4/mux.test.ts', // + gst-launch
  'test/rtp/audio.test.ts', // AAC/Opus RTP against ffmpeg's RTP muxer (+ UDP)
  'test/rtsp/av-serve.test.ts', // g2g serve with audio: ffmpeg records, GStreamer plays (+ sockets)
  'test/rtp/elements.test.ts',
  'test/rtp/launch.test.ts', // + UDP
  'test/rtp/payload.test.ts',
  'test/rtp/peers.test.ts', // + gst-launch, UDP
  'test/rtsp/client-udp-start.test.ts',
  'test/rtsp/launch.test.ts',
  'test/rtsp/server.test.ts',
  'test/rtsp/server-abuse.test.ts', // + sockets: a slowloris flood, raw clients
  // GStreamer (gst-launch, the python gi RTSP server)
  'test/rtsp/client-rtcp.test.ts',
  'test/rtsp/peers.test.ts',
  'test/rtsp/server-mounts.test.ts',
  'test/video/gstreamer.test.ts',
  'test/gst/bridge.test.ts', // + the GStreamer bridge addon (native-gst)
  // Chromium (playwright-core), Dawn, onnxruntime
  'test/browser/**/*.test.ts',
  'test/ml/ocr-angle.test.ts',
  'test/ml/ocr-e2e.test.ts',
  'test/ml/ort-gpu-input.test.ts',
  'test/ml/ort.test.ts',
  'test/ml/ort-batch.test.ts', // streamMux batches through the PP-OCR detector
  'test/ml/ocr-batch.test.ts', // the OCR stages on streamMux batches
  'test/ml/variable-framerate.test.ts',
  'test/ml/wgpu-preprocess.test.ts',
  // the native addon (libavcodec), its Rust core (cargo)
  'test/native/**/*.test.ts',
  'test/fuzz/regressions.test.ts', // the corpus of every fuzz target, the native decoder's included
  'test/audio/pulse.test.ts', // a private PulseAudio daemon (null sink), parec/paplay, the native addon
  'test/display/**/*.test.ts', // weston (headless) and the native addon's Wayland client
  'test/cli/demo.test.ts',
  'test/rtp/udp-sr.test.ts', // + UDP
  'test/rtsp/sr-capture.test.ts', // + sockets
  // examples/ against real peers: the native addon (an in-process RTSP camera), ffprobe, Chromium
  'test/examples/rtsp-record.test.ts',
  'test/examples/decode-frames.test.ts',
  'test/examples/restream.test.ts',
  'test/examples/browser.test.ts',
  'test/cli/report.test.ts', // headless Chromium opens the report
  'test/bench/display.test.ts', // weston, GStreamer's waylandsink (python gi)
  'test/bench/audio-output.test.ts', // a private PulseAudio daemon, GStreamer's pulsesink
  'test/bench/streams.test.ts', // g2g serve (the built CLI) and GStreamer's rtspsrc/avdec_h264 (python gi), sockets
  'test/audio/resample-ffmpeg.test.ts', // ffmpeg's libswresample on the same tone
  'test/audio/codecs.test.ts', // the native addon's AAC/Opus against ffmpeg's decode, ffprobe
];

const REALTIME = [
  'test/rtsp/shared-timeline.test.ts', // lip sync from sender reports: a 200 ms wall-clock wait
  'test/cli/dispatch.test.ts', // waits on real timers
  'test/cli/run.test.ts', // live pipelines and a restart on real timers
  'test/io/byte-io.test.ts', // back-pressure observed across a real timer
  'test/io/file-src.test.ts', // a slow sink paced by real timers
  'test/rtp/udp.test.ts', // UDP sockets
  'test/rtsp/client-fallback.test.ts', // TCP/UDP sockets, udp-timeout in real time
  'test/runtime/quickjs.test.ts', // the system clock through the host's setTimeout
  'test/operators/long-run.test.ts', // ten virtual minutes: a long run
  'test/rtsp/hostile-server.test.ts', // scripted raw TCP/UDP servers, rtspSrc timeouts in real time
];

/** The time-bounded fuzz pass (test/fuzz/fuzz.test.ts); its corpus replay (regressions.test.ts) is a unit test. */
const FUZZ = ['test/fuzz/fuzz.test.ts'];

const ALL = 'test/**/*.test.ts';

export default defineConfig({
  resolve: { alias: PACKAGE_ALIASES },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // requirePeer (test/peers.ts) tags a file whose peer is missing locally: its tests are skipped,
    // before its hooks run.
    tags: [
      {
        name: 'peer-missing',
        description: 'a third-party peer this file needs is not installed here (skipped; CI fails instead)',
        skip: true,
      },
    ],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [ALL],
          exclude: [...PEERS, ...REALTIME, ...FUZZ],
        },
      },
      { extends: true, test: { name: 'peers', include: PEERS } },
      { extends: true, test: { name: 'realtime', include: REALTIME } },
      { extends: true, test: { name: 'fuzz', include: FUZZ } },
    ],
  },
});
