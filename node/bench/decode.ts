/**
 * Software H.264 decode benchmark (not a test): our pipeline (fileSrc ! h264Parse ! h264Dec ! fakeSink)
 * against `ffmpeg -threads N -f null` and GStreamer's avdec_h264 at the same thread counts, plus live-mode
 * per-frame latency (access unit submitted → frame out) through the addon beside libavcodec's own.
 * Peers are timed by their own clocks (ffmpeg -benchmark, gst "Execution ended"), so process start-up
 * and plugin loading are not counted against them; runs are interleaved and repeated (--runs) because the
 * figures are only comparable within one run on a machine doing other work.
 *
 *   benchDecode(['--threads', '1,2', '--frames', '600'])  // makes a 1080p clip with ffmpeg unless --input
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { h264Parse } from '../../operators/h264-parse';
import { fakeSink } from '../../operators/fake-sink';
import { pipe } from '../../src';
import type { CpuPacket } from '../../src/packet';
import { nodeFileSrc } from '../drivers/fs';
import { h264Dec } from '../elements/h264-dec';
import { loadNative } from '../native/loader';
import { processIo, type CliIo } from '../cli/io';
import { parseExecutionEnded } from './format';
import { percentile as pct } from './harness';

const run = promisify(execFile);

interface Args {
  input?: string;
  threads: number[];
  frames: number;
  size: string;
  runs: number;
}

function parseArgs(args: string[]): Args {
  const a: Args = { threads: [1, 2], frames: 600, size: '1920x1080', runs: 3 };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    switch (args[i]) {
      case '--input': a.input = v; i++; break;
      case '--threads': a.threads = v.split(',').map(Number); i++; break;
      case '--frames': a.frames = Number(v); i++; break;
      case '--size': a.size = v; i++; break;
      case '--runs': a.runs = Number(v); i++; break;
      default: throw new RangeError(`benchDecode: unknown argument '${args[i]}' (--input FILE, --threads 1,2, --frames N, --size WxH, --runs N)`);
    }
  }
  return a;
}

async function clip(size: string, frames: number, zerolatency: boolean): Promise<string> {
  const dir = join(tmpdir(), 'g2g-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `decode-${size}-${frames}${zerolatency ? '-zl' : ''}.h264`);
  if (existsSync(path)) return path;
  const tune = zerolatency ? ['-tune', 'zerolatency'] : ['-bf', '3'];
  await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', ...tune, '-f', 'h264', path]);
  return path;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Run {
  /** Frames per second of wall time. */
  fps: number;
  /** CPU (user + system, every thread) per frame, ms: the work done, whatever else the machine runs. */
  cpuMs: number;
}

/** `/usr/bin/time -f` CPU seconds from the last line of a child's stderr, or NaN without that tool. */
function childCpu(stderr: string): number {
  const m = /g2g-cpu ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : NaN;
}

/** Runs a peer, with its CPU time from /usr/bin/time where there is one. */
async function withTime(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; cpu: number }> {
  const time = existsSync('/usr/bin/time');
  const r = time ? await run('/usr/bin/time', ['-f', 'g2g-cpu %U %S', cmd, ...args], { maxBuffer: 1 << 24 }) : await run(cmd, args, { maxBuffer: 1 << 24 });
  return { stdout: r.stdout, stderr: r.stderr, cpu: time ? childCpu(r.stderr) : NaN };
}

/** How our pipeline's sink takes the frames. */
type SinkMode = 'released' | 'unreleased' | 'packed';

/**
 * Our pipeline into a fakeSink that counts frames. 'released': the sink takes frames as libavcodec laid
 * them out (VIDEO_META, as ffmpeg's null output does) and gives each back as soon as it has counted it
 * (RELEASE); 'unreleased': the same frames go back when the garbage collector finds them; 'packed': the
 * decoder packs each frame into tight planes first (as for a raw file). `gcs`: full garbage collections.
 */
async function ours(input: string, threads: number, mode: SinkMode): Promise<Run & { frames: number; gcs: number }> {
  let frames = 0;
  let gcs = 0;
  const obs = new PerformanceObserver((l) => void (gcs += l.getEntries().filter((e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length));
  obs.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const sink = fakeSink({ onPacket: () => void frames++, videoMeta: mode !== 'packed', release: mode === 'released' });
  await pipe(nodeFileSrc(input), h264Parse(), h264Dec({ backend: 'software', threads, live: false }), sink).run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  obs.disconnect();
  return { frames, gcs, fps: frames / wall, cpuMs: (c.user + c.system) / 1000 / frames };
}

/** ffmpeg's own -benchmark figures: decode wall time without process start-up and probing. */
async function ffmpeg(input: string, threads: number, frames: number): Promise<Run> {
  const { stderr } = await withTime('ffmpeg', ['-hide_banner', '-nostats', '-benchmark', '-threads', String(threads), '-i', input, '-f', 'null', '-']);
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no -benchmark line from ffmpeg: ${stderr.slice(-300)}`);
  return { fps: frames / Number(m[3]), cpuMs: ((Number(m[1]) + Number(m[2])) * 1000) / frames };
}

/** GStreamer's own "Execution ended after" (PLAYING to EOS, without start-up and plugin loading). */
async function gst(input: string, threads: number, frames: number): Promise<Run> {
  const { stdout, cpu } = await withTime('gst-launch-1.0', ['filesrc', `location=${input}`, '!', 'h264parse', '!', 'avdec_h264', `max-threads=${threads}`, '!', 'fakesink']);
  const ns = parseExecutionEnded(stdout);
  if (ns === undefined) throw new Error('no "Execution ended" line from gst-launch-1.0');
  return { fps: frames / (ns / 1e9), cpuMs: (cpu * 1000) / frames };
}

const range = (xs: number[], digits = 1): string => `${Math.max(...xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
/** p50: for an even count the upper of the two middle runs (one that was measured), not their mean. */
const median = (xs: number[]): number => pct(xs, 50);

export async function benchDecode(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args);
  const input = a.input ?? (await clip(a.size, a.frames, false));
  const addon = loadNative();
  io.out(`ffmpeg ${addon.ffmpegVersion()}; input ${input}; ${a.runs} runs each, interleaved; ${cpus().length} cores; load average ${load()}`);
  io.out('Decoder threads are the same on every side: h264Dec threads=N (libavcodec frame threads), ffmpeg -threads N, avdec_h264 max-threads=N.');
  io.out('fps: best (range); ratio: g2g/ffmpeg fps within each run, best (range) and median; cpu: median ms of CPU per frame, every thread of the process.');
  io.out('g2g: frames handed on unpacked (the sink honours VIDEO_META, as ffmpeg -f null takes its frames) and released by the sink (RELEASE);');
  io.out('  unreleased: the same, returned to the codec by the garbage collector; packed: each frame packed into tight planes first.');
  io.out('threads | g2g fps | unreleased fps | packed fps | ffmpeg fps | gst avdec_h264 fps | g2g/ffmpeg | unreleased/ffmpeg | cpu ms/frame g2g / unreleased / ffmpeg / gst | full GCs per 100 frames g2g / unreleased');
  for (const n of a.threads) {
    const g: (Run & { gcs: number; frames: number })[] = [];
    const gu: (Run & { gcs: number; frames: number })[] = [];
    const gp: Run[] = [];
    const f: Run[] = [];
    const s: Run[] = [];
    let gstError = '';
    for (let i = 0; i < a.runs; i++) {
      const o = await ours(input, n, 'released');
      g.push(o);
      gu.push(await ours(input, n, 'unreleased'));
      gp.push(await ours(input, n, 'packed'));
      f.push(await ffmpeg(input, n, o.frames));
      try {
        s.push(await gst(input, n, o.frames));
      } catch (e) {
        gstError = (e as Error).message.split('\n')[0];
      }
    }
    const ratio = g.map((r, i) => r.fps / f[i].fps);
    const ratioU = gu.map((r, i) => r.fps / f[i].fps);
    const gs = s.length ? range(s.map((r) => r.fps)) : `n/a (${gstError})`;
    const cpu = [g, gu, f, s].map((rs) => (rs.length ? median(rs.map((r) => r.cpuMs)).toFixed(2) : 'n/a')).join(' / ');
    const gcs = [g, gu].map((rs) => median(rs.map((r) => (100 * r.gcs) / r.frames)).toFixed(1)).join(' / ');
    io.out(
      `${n} | ${range(g.map((r) => r.fps))} | ${range(gu.map((r) => r.fps))} | ${range(gp.map((r) => r.fps))} | ${range(f.map((r) => r.fps))} | ${gs} | ` +
        `${range(ratio, 2)}, median ${median(ratio).toFixed(2)} | ${range(ratioU, 2)}, median ${median(ratioU).toFixed(2)} | ${cpu} | ${gcs}`,
    );
  }
  io.out(`load average ${load()}`);

  // Live latency: every access unit of a zerolatency stream (no B-frames), submitted one at a time as a
  // live source would, timed from decode() to its frame coming back to JS. "libavcodec" is the time the
  // same unit spent inside libavcodec's send/receive calls, measured in the addon: what ffmpeg itself
  // spends on it, so the difference is the framework's overhead (queueing, thread hops, packing, napi).
  const live = await clip(a.size, Math.min(a.frames, 300), true);
  const aus: CpuPacket[] = [];
  await pipe(nodeFileSrc(live), h264Parse(), fakeSink<CpuPacket>({ onPacket: (p) => void aus.push(p) })).run();
  const modes = [
    [0, 'released'],
    [0, 'unreleased'],
    [0, 'packed'],
    [1, 'released'],
    [1, 'packed'],
  ] as const;
  for (const [threads, mode] of modes) {
    const leases = mode === 'released';
    const dec = new addon.NativeDecoder({ backend: 'software', live: true, threads, strided: mode !== 'packed', leases });
    const lat: number[] = [];
    const codec: number[] = [];
    const over: number[] = [];
    const pack: number[] = [];
    let late = 0;
    for (const au of aus) {
      const t0 = performance.now();
      const r = await dec.decode(au.memory.data, au.pts, au.dts, false);
      const dt = performance.now() - t0;
      // Released as a consumer that is done with the frame would (a fakeSink, an encoder).
      if (leases) for (const fr of r.frames) if (fr.lease !== undefined) dec.release(fr.lease);
      if (r.frames.some((fr) => fr.pts === au.pts)) {
        lat.push(dt);
        codec.push(r.codecMs);
        over.push(dt - r.codecMs);
        pack.push(r.packMs);
      } else late++;
    }
    dec.close();
    const q = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(2)} ms, p95 ${pct(xs, 95).toFixed(2)} ms`;
    io.out(
      `live latency (threads=${threads || 'auto'}, slice threads, ${mode}) over ${lat.length} frames (${late} not out on their own unit): ` +
        `g2g ${q(lat)}; libavcodec alone ${q(codec)}; overhead ${q(over)} (of which packing the frame p50 ${pct(pack, 50).toFixed(2)} ms)`,
    );
  }
  io.out(`load average ${load()}`);
  return 0;
}
