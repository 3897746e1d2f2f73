/**
 * N live 1080p30 H.264 streams in one Node process, each `liveClip ! h264Dec live ! fakeSink sync=true`,
 * for the GPU machine (NVDEC) and as its CPU baseline (software). Bundled by pack.sh into one ES module
 * that imports the *built* package (node_modules/glass2glass: dist/ and the prebuilt addon), run with a
 * carried Node; prints one JSON line per result (what=...), then a human line.
 *
 *   node driver.mjs streams --input live.h264 --n 16 [--backend nvdec] [--seconds 12] [--threads 1] [--start after-open|pipeline]
 *   node driver.mjs verify --input clip.h264 --reference ref-nv12.md5 [--backend nvdec] [--live] [--strided]
 *   node driver.mjs merge step-0.json step-1.json ...   (one line for streams run as several processes)
 *
 * The source stands in for a camera: the clip's access units (parsed once, shared by every stream) go out
 * at 30 fps on the pipeline clock once the decoder has opened (see liveClip), looped, each stamped with the time it was due
 * as its capture time — so a source woken late by a busy event loop counts against glass-to-glass, as a
 * socket backlog would. Stream i starts i/N of a frame after stream 0 (cameras are not in step). The sink
 * syncs: its target for a frame is the pipeline's start + (pts − first pts), which is the frame's capture
 * time, and a frame more than the live profile's 20 ms past it is dropped as late (GStreamer's
 * max-lateness), as is one older than the 100 ms deadline; each frame is released at once. Counted over a
 * steady window after every stream has delivered frames.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { Caps, cpuMemory, defineSource, Histogram, packedFrame, pipe, type Packet, type PipelineStats, type Reader, type RunningPipeline, type VideoFrameLayout } from 'glass2glass';
import { fakeSink, h264Parse } from 'glass2glass/operators';
import { h264Dec, loadNative, nodeFileSrc, type H264DecBackend, type H264DecFormat } from 'glass2glass/node';

const NS = 1e6;
const FRAME_NS = 1e9 / 30;

const argv = process.argv.slice(2);
const mode = argv[0];
const arg = (name: string, dflt?: string): string => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length) return argv[i + 1];
  if (dflt === undefined) throw new RangeError(`gpu-streams: --${name} is required`);
  return dflt;
};
const flag = (name: string): boolean => argv.includes(`--${name}`);
const out = (o: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(o) + '\n');
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

const backend = arg('backend', 'nvdec') as H264DecBackend;
// NVDEC downloads NV12: handed on as it is. Software decodes yuv420p: I420 as it is. Neither packs.
const format = arg('format', backend === 'software' ? 'I420' : 'NV12') as H264DecFormat;
const threads = Number(arg('threads', backend === 'software' ? '1' : '1'));

/** The clip's access units, parsed once; their bytes copied out of the reader's buffers and shared by every stream. */
async function loadUnits(path: string): Promise<{ caps: Caps; units: { data: Uint8Array; flags: number }[] }> {
  const units: { data: Uint8Array; flags: number }[] = [];
  let caps: Caps | undefined;
  await pipe(
    nodeFileSrc(path),
    h264Parse(),
    fakeSink<Packet>({
      onPacket: (p) => {
        caps ??= p.caps;
        units.push({ data: (p.memory as { data: Uint8Array }).data.slice(), flags: p.flags });
      },
    })
  ).run();
  if (!caps || units.length === 0) throw new Error(`gpu-streams: no access units in ${path}`);
  return { caps, units };
}

/**
 * A camera stand-in: the units looped at 30 fps, capture-stamped when due. `afterOpen`: the schedule starts
 * when the decoder asks for the second unit, i.e. once it has opened (a CUDA context takes 0.3–0.5 s, and
 * far longer with many opening at once) and decoded the first — as a camera connecting to a decoder that is
 * ready. Otherwise from the pipeline's start, so a slow open leaves a backlog of stale units that all arrive
 * late (a socket that buffered everything). The first unit's pts is 0 either way: the sink's sync target,
 * start + (pts − first pts), is then each frame's capture time.
 */
function liveClip(caps: Caps, units: readonly { data: Uint8Array; flags: number }[], afterOpen: boolean) {
  return defineSource<Packet>({
    factory: 'liveClip',
    srcCaps: caps,
    fixate: () => caps,
    open(ctx): Reader<Packet> {
      let k = 0;
      let origin = ctx.baseTime;
      const make = (due: number): Packet => {
        const u = units[k % units.length];
        k++;
        const pts = due - ctx.baseTime;
        return { caps: ctx.outputCaps, pts, dts: pts, duration: Math.round(FRAME_NS), flags: u.flags, memory: cpuMemory(u.data), meta: { captureTime: due } };
      };
      return {
        pull(signal) {
          if (k === 1 && afterOpen) origin = ctx.clock.now() - Math.round(FRAME_NS);
          const due = origin + Math.round(k * FRAME_NS);
          if (ctx.clock.now() >= due) return make(due);
          return ctx.clock.sleepUntil(due, signal).then(() => make(due));
        },
      };
    },
  });
}

const sumDrops = (s: PipelineStats): Record<string, number> => {
  const r: Record<string, number> = {};
  for (const e of s.elements) for (const [k, v] of Object.entries(e.drops)) r[`${e.factory}.${k}`] = (r[`${e.factory}.${k}`] ?? 0) + (v ?? 0);
  return r;
};

async function streams(): Promise<void> {
  const n = Number(arg('n'));
  const seconds = Number(arg('seconds', '12'));
  const settle = Number(arg('settle', '3'));
  const startAfterOpen = arg('start', 'after-open') === 'after-open';
  const { caps, units } = await loadUnits(arg('input'));
  out({
    what: 'setup',
    n,
    backend,
    format,
    threads,
    units: units.length,
    caps: caps.toString(),
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    node: process.version,
  });

  const frames = new Float64Array(n); // frames each stream delivered inside the window
  const firstAt = new Float64Array(n).fill(NaN);
  const g2g = new Histogram();
  let counting = false;
  const t0 = performance.now();
  const runs: RunningPipeline[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const sink = fakeSink<Packet>({
      sync: true,
      videoMeta: true,
      release: true,
      onPacket: () => {
        if (Number.isNaN(firstAt[i])) firstAt[i] = performance.now() - t0;
        if (counting) frames[i]++;
      },
    });
    // Out of step with stream 0 by i/N of a frame: started that much later.
    while (performance.now() - t0 < (i * FRAME_NS) / n / NS) await new Promise((r) => setImmediate(r));
    const p = pipe(liveClip(caps, units, startAfterOpen), h264Dec({ backend, format, threads, live: true }), sink);
    const r = p.start({ profile: 'live', onLatency: (ns) => void (counting && g2g.record(ns)) });
    r.done.catch((e: unknown) => {
      if (!(e instanceof Error && e.name === 'AbortError') && e !== 'stop') errors.push(`stream ${i}: ${e instanceof Error ? e.message : String(e)}`);
    });
    runs.push(r);
  }
  const startMs = performance.now() - t0;
  // Settle: every stream has delivered a frame (decoders open, CUDA contexts made), then `settle` s more.
  const deadline = performance.now() + 30_000;
  while (firstAt.some(Number.isNaN) && performance.now() < deadline && errors.length === 0) await new Promise((r) => setTimeout(r, 50));
  const ready = firstAt.every((x) => !Number.isNaN(x));
  const allFirstMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, settle * 1000));

  // Garbage collections in the window: frames that are not leased reach JS as external Buffers, which V8
  // counts as new memory (DESIGN.md, leases), so the collector's share of the main thread is worth seeing.
  const gc = { major: 0, minor: 0, ms: 0 };
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      if (!counting) continue;
      gc.ms += e.duration;
      if ((e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
      else gc.minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const drops0 = runs.map((r) => sumDrops(r.stats()));
  const copies0 = runs.reduce((a, r) => a + r.stats().copies.count, 0);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const w0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const wall = (performance.now() - w0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const stats = runs.map((r) => r.stats());
  const drops: Record<string, number> = {};
  stats.forEach((s, i) => {
    for (const [k, v] of Object.entries(sumDrops(s))) {
      const d = v - (drops0[i][k] ?? 0);
      if (d) drops[k] = (drops[k] ?? 0) + d;
    }
  });
  const copies = stats.reduce((a, s) => a + s.copies.count, 0) - copies0;
  // Open descriptors: each CUDA context holds several (/dev/nvidia*), against RLIMIT_NOFILE.
  const fds = readdirSync('/proc/self/fd').length;
  // The shared device contexts the decoders are on (G2G_HW_CONTEXTS; CUDA streams: G2G_CUDA_SHARED_STREAM);
  // an addon from before shared contexts (G2G_NATIVE_ADDON, a baseline) has no hwDeviceStats.
  const native = loadNative();
  const contexts = 'hwDeviceStats' in native ? native.hwDeviceStats() : undefined;
  const hw = {
    ...contexts,
    sharedStream: process.env.G2G_CUDA_SHARED_STREAM === '1',
    streamFlags: process.env.G2G_CUDA_STREAM_FLAGS ?? 'default',
    addon: process.env.G2G_NATIVE_ADDON ?? 'packaged',
  };
  obs.disconnect();
  for (const r of runs) r.abort('stop');
  await Promise.allSettled(runs.map((r) => r.done));

  const expected = wall * 30;
  const sorted = [...frames].sort((a, b) => a - b);
  const total = sorted.reduce((a, b) => a + b, 0);
  const s = g2g.summary();
  // Whole-run glass-to-glass from the pipelines' own stats (start-up included): the worst stream's p95.
  const statP95 = Math.max(...stats.map((x) => x.latency.p95).filter((x) => !Number.isNaN(x)));
  const res = {
    what: 'streams',
    n,
    backend,
    ready,
    errors: errors.slice(0, 3),
    startMs: round(startMs, 0),
    allFirstFrameMs: round(allFirstMs, 0),
    windowS: round(wall, 2),
    expectedPerStream: round(expected, 1),
    framesPerStream: { min: sorted[0], median: sorted[Math.floor(n / 2)], max: sorted[n - 1] },
    deliveredRatio: round(total / (expected * n), 4),
    fps: round(total / wall, 1),
    drops,
    g2gMs: { p50: round(s.p50 / NS), p95: round(s.p95 / NS), p99: round(s.p99 / NS), max: round(s.max / NS) },
    statsWorstStreamP95Ms: round(statP95 / NS),
    cpuCores: round((cpu.user + cpu.system) / 1e6 / wall),
    cpuMsPerFrame: round((cpu.user + cpu.system) / 1e3 / Math.max(1, total), 3),
    eventLoopUtil: round(elu.utilization, 3),
    ledgerCopiesPerFrame: round(copies / Math.max(1, total), 3),
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    gc: { major: gc.major, minor: gc.minor, msPerS: round(gc.ms / wall, 1) },
    fds,
    hw,
  };
  out(res);
  const dropTotal = Object.values(drops).reduce((a, b) => a + b, 0);
  process.stderr.write(
    `N=${n} ${backend}: ${round(res.deliveredRatio * 100, 1)}% of frames (min ${sorted[0]}/${Math.round(expected)} per stream), drops ${dropTotal}, ` +
      `g2g p50 ${res.g2gMs.p50} p95 ${res.g2gMs.p95} ms, CPU ${res.cpuCores} cores, loop ${res.eventLoopUtil}, GC ${res.gc.major} major ${res.gc.msPerS} ms/s, first frames after ${res.allFirstFrameMs} ms, ` +
      (contexts ? `${contexts.open} device contexts for ${contexts.decoders} decoders (${contexts.contextsPerDevice} per device)` : 'a device context per decoder (an addon without shared contexts)') +
      `${hw.sharedStream ? ', shared CUDA stream' : ''}\n`
  );
}

/**
 * Decodes a clip through the package's pipeline and compares every frame's MD5 with ffmpeg's (framemd5, same
 * pixel format). --strided: the sink takes frames as the decoder hands them (VIDEO_META, released: NVDEC's
 * leased downloads), hashed by their rows; else the decoder packs them.
 */
async function verify(): Promise<void> {
  const ref = readFileSync(arg('reference'), 'utf8').trim().split('\n');
  const got: string[] = [];
  const live = flag('live');
  const strided = flag('strided');
  // Which device context and CUDA stream a decoder of this backend gets (an older addon: undefined).
  const probe = new (loadNative().NativeDecoder)({ backend, live: true });
  const hwDevice = (probe as { hwDevice?: string | null }).hwDevice;
  probe.close();
  const t0 = performance.now();
  const stats = await pipe(
    nodeFileSrc(arg('input')),
    h264Parse(),
    h264Dec({ backend, format, threads: Number(arg('threads', '0')), live }),
    fakeSink<Packet>({
      videoMeta: strided,
      release: true,
      onPacket: (p) => {
        const data = (p.memory as { data: Uint8Array }).data;
        const layout = p.meta.videoMeta as VideoFrameLayout | undefined;
        got.push(
          createHash('md5')
            .update(layout ? packedFrame(data, layout) : data)
            .digest('hex')
        );
      },
    })
  ).run();
  const ms = performance.now() - t0;
  const bad = got.findIndex((h, i) => h !== ref[i]);
  const exact = got.length === ref.length && bad < 0;
  out({
    what: 'verify',
    backend,
    format,
    live,
    strided,
    hwDevice,
    frames: got.length,
    referenceFrames: ref.length,
    bitExact: exact,
    firstMismatch: exact ? null : bad,
    fps: round(got.length / (ms / 1000), 1),
    copies: stats.copies.count,
  });
  if (!exact) process.exitCode = 3;
}

type StreamsResult = {
  n: number;
  backend: string;
  ready: boolean;
  errors: string[];
  allFirstFrameMs: number;
  windowS: number;
  expectedPerStream: number;
  framesPerStream: { min: number; median: number; max: number };
  deliveredRatio: number;
  fps: number;
  drops: Record<string, number>;
  g2gMs: { p50: number; p95: number; p99: number; max: number };
  cpuCores: number;
  eventLoopUtil: number;
  ledgerCopiesPerFrame: number;
  rssMiB: number;
  gc: { major: number; minor: number; msPerS: number };
};

/** Streams run as several processes, one line: sums and the worst process's figures (percentiles do not add). */
function merge(): void {
  const parts: StreamsResult[] = argv.slice(1).flatMap((f) => {
    const line = readFileSync(f, 'utf8')
      .split('\n')
      .find((l) => l.includes('"what":"streams"'));
    return line ? [JSON.parse(line) as StreamsResult] : [];
  });
  const procs = argv.length - 1;
  if (parts.length === 0) {
    out({ what: 'merged', procs, n: 0, deliveredRatio: 0, errors: ['no process reported'] });
    return;
  }
  const n = parts.reduce((a, p) => a + p.n, 0);
  const frames = parts.reduce((a, p) => a + p.deliveredRatio * p.expectedPerStream * p.n, 0);
  const expected = parts.reduce((a, p) => a + p.expectedPerStream * p.n, 0);
  const drops: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.drops)) drops[k] = (drops[k] ?? 0) + v;
  const worst = (f: (p: StreamsResult) => number): number => Math.max(...parts.map(f).filter((x) => x !== null && !Number.isNaN(x)));
  const res = {
    what: 'merged',
    procs,
    reported: parts.length,
    n,
    backend: parts[0].backend,
    ready: parts.length === procs && parts.every((p) => p.ready),
    errors: parts.flatMap((p) => p.errors).slice(0, 3),
    allFirstFrameMs: worst((p) => p.allFirstFrameMs),
    minFramesPerStream: Math.min(...parts.map((p) => p.framesPerStream.min)),
    expectedPerStream: round(parts[0].expectedPerStream, 1),
    deliveredRatio: round(frames / expected, 4),
    fps: round(
      parts.reduce((a, p) => a + p.fps, 0),
      1
    ),
    drops,
    g2gMsWorstProcess: { p50: worst((p) => p.g2gMs.p50), p95: worst((p) => p.g2gMs.p95), p99: worst((p) => p.g2gMs.p99) },
    cpuCores: round(parts.reduce((a, p) => a + p.cpuCores, 0)),
    eventLoopUtilMax: worst((p) => p.eventLoopUtil),
    rssMiB: parts.reduce((a, p) => a + p.rssMiB, 0),
  };
  out(res);
  const dropTotal = Object.values(drops).reduce((a, b) => a + b, 0);
  process.stderr.write(
    `N=${n} in ${procs} processes ${res.backend}: ${round(res.deliveredRatio * 100, 1)}% of frames (min ${res.minFramesPerStream}/${Math.round(
      res.expectedPerStream
    )} per stream), drops ${dropTotal}, ` +
      `g2g p95 ≤ ${res.g2gMsWorstProcess.p95} ms, CPU ${res.cpuCores} cores, loop ≤ ${res.eventLoopUtilMax}, first frames after ${res.allFirstFrameMs} ms\n`
  );
}

if (mode === 'streams') await streams();
else if (mode === 'merge') merge();
else if (mode === 'verify') await verify();
else throw new RangeError(`gpu-streams: mode must be streams, verify or merge, got '${mode}'`);
// Decoder threads and CUDA contexts are closed; exit without waiting for stray timers.
process.exit();
