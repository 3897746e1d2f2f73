/**
 * N live H.264 decoders in one process (not a test): on the addon's shared decoder pool (a thread per core,
 * the streams taking turns) against a decoder thread each, with a single-threaded codec either way, and
 * against today's live default before the pool (a thread each with libavcodec's slice threads). Two loads:
 * every stream as fast as it goes (total fps, CPU per frame), and every stream paced at its frame rate as
 * a camera is (unit in → frame out latency, CPU per frame). Runs are interleaved; figures print only.
 *
 *   benchDecodePool(['--streams', '8', '--size', '640x360', '--frames', '300'])
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { splitAnnexB } from '../../src/codecs/h264';
import { loadNative } from '../native/loader';
import type { DecoderOptions, NativeDecoder } from '../native';
import { processIo, type CliIo } from '../cli/io';
import { percentile } from './harness';

const run = promisify(execFile);

interface Args {
  streams: number;
  size: string;
  frames: number;
  fps: number;
  runs: number;
}

function parseArgs(args: string[]): Args {
  const a: Args = { streams: 8, size: '640x360', frames: 300, fps: 30, runs: 3 };
  for (let i = 0; i < args.length; i++) {
    const v = Number(args[i + 1]);
    switch (args[i]) {
      case '--streams':
        a.streams = v;
        i++;
        break;
      case '--size':
        a.size = args[++i];
        break;
      case '--frames':
        a.frames = v;
        i++;
        break;
      case '--fps':
        a.fps = v;
        i++;
        break;
      case '--runs':
        a.runs = v;
        i++;
        break;
      default:
        throw new RangeError(`benchDecodePool: unknown argument '${args[i]}' (--streams N, --size WxH, --frames N, --fps N, --runs N)`);
    }
  }
  return a;
}

/** A camera-like clip (x264 zerolatency: no B-frames, sliced threads), split into access units at each AUD. */
async function clipUnits(size: string, frames: number, fps: number): Promise<Uint8Array[]> {
  const dir = join(tmpdir(), 'g2g-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `decode-pool-${size}-${frames}-${fps}.h264`);
  if (!existsSync(path)) {
    const x264 = ['-x264-params', 'aud=1'];
    await run('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=${fps}`,
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-g',
      String(fps * 2),
      ...x264,
      '-f',
      'h264',
      path,
    ]);
  }
  const units: Uint8Array[] = [];
  let cur: Uint8Array[] = [];
  const flush = (): void => {
    const out = new Uint8Array(cur.reduce((n, x) => n + 4 + x.length, 0));
    let o = 0;
    for (const n of cur) out.set([0, 0, 0, 1], o), out.set(n, o + 4), (o += 4 + n.length);
    units.push(out);
    cur = [];
  };
  for (const nal of splitAnnexB(new Uint8Array(readFileSync(path)))) {
    if ((nal[0] & 31) === 9 && cur.length) flush();
    cur.push(nal);
  }
  if (cur.length) flush();
  return units;
}

interface Mode {
  readonly name: string;
  readonly options: DecoderOptions;
}

const MODES: readonly Mode[] = [
  { name: 'pool (1 codec thread a stream)', options: { pooled: true } },
  { name: 'thread each, threads=1', options: { threads: 1 } },
  { name: 'thread each, slice threads (live default before the pool)', options: { threads: 0 } },
];

interface Result {
  fps: number;
  cpuMsPerFrame: number;
  p50: number;
  p95: number;
  /** p95 of the time units waited for their turn (behind other streams' units on the pool). */
  waitP95: number;
  threads: number;
}

const processThreads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** N decoders of `mode`, each decoding `units` (live: each unit's frame awaited); paced at `fps`, or as fast as they go (0). */
async function once(mode: Mode, units: readonly Uint8Array[], streams: number, fps: number): Promise<Result> {
  const addon = loadNative();
  const decoders: NativeDecoder[] = Array.from({ length: streams }, () => new addon.NativeDecoder({ backend: 'software', live: true, ...mode.options }));
  const latencies: number[] = [];
  const waits: number[] = [];
  let threads = processThreads();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    await Promise.all(
      decoders.map(async (d, s) => {
        // Paced streams start spread over one frame interval, as independent cameras would.
        const start = t0 + (fps ? (s * 1000) / fps / streams : 0);
        for (let k = 0; k < units.length; k++) {
          if (fps) await sleep(start + (k * 1000) / fps - performance.now());
          const t = performance.now();
          const r = await d.decode(units[k], k, k, k === 0);
          latencies.push(performance.now() - t);
          waits.push(r.waitMs);
          if (k % 16 === 0) threads = Math.max(threads, processThreads());
        }
      })
    );
  } finally {
    for (const d of decoders) d.close();
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const frames = streams * units.length;
  return {
    fps: frames / wall,
    cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / frames,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    waitP95: percentile(waits, 95),
    threads,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchDecodePool(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args);
  const units = await clipUnits(a.size, a.frames, a.fps);
  const addon = loadNative();
  io.out(
    `${a.streams} live decoders, ${a.size} ${a.frames} frames each (x264 zerolatency); decoder pool of ${addon.decodePoolStats().size} threads; ${
      cpus().length
    } cores; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${a.runs} runs interleaved, medians`
  );
  for (const [load, fps] of [
    ['as fast as they go', 0],
    [`paced at ${a.fps} fps each`, a.fps],
  ] as const) {
    io.out(`${load}: mode | total fps | CPU ms per frame | unit→frame p50 / p95 ms | waiting for a turn p95 ms | process threads (peak)`);
    const results = new Map<string, Result[]>(MODES.map((m) => [m.name, []]));
    await once(MODES[0], units.slice(0, 30), a.streams, 0); // warm-up
    for (let r = 0; r < a.runs; r++) for (const m of MODES) results.get(m.name)!.push(await once(m, units, a.streams, fps));
    for (const m of MODES) {
      const rs = results.get(m.name)!;
      const med = (f: (x: Result) => number): number => median(rs.map(f));
      const cells = [
        med((x) => x.fps).toFixed(0),
        med((x) => x.cpuMsPerFrame).toFixed(2),
        `${med((x) => x.p50).toFixed(2)} / ${med((x) => x.p95).toFixed(2)}`,
        med((x) => x.waitP95).toFixed(2),
        Math.max(...rs.map((x) => x.threads)),
      ];
      io.out(`  ${m.name} | ${cells.join(' | ')}`);
    }
  }
  return 0;
}
