/**
 * Software H.264 decode benchmark (not a test): our pipeline (fileSrc ! h264Parse ! h264Dec ! fakeSink)
 * against `ffmpeg -threads N -f null` and GStreamer's avdec_h264 at the same thread counts, plus live-mode
 * per-frame latency (access unit submitted → frame out) through the addon.
 *
 *   benchDecode(['--threads', '1,2', '--frames', '600'])  // makes a 1080p clip with ffmpeg unless --input
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { h264Parse } from '../../operators/h264-parse';
import { fakeSink } from '../../operators/fake-sink';
import { pipe } from '../../src';
import type { CpuPacket } from '../../src/packet';
import { nodeFileSrc } from '../drivers/fs';
import { h264Dec } from '../elements/h264-dec';
import { loadNative } from '../native/loader';

const run = promisify(execFile);

interface Args {
  input?: string;
  threads: number[];
  frames: number;
  size: string;
}

function parseArgs(args: string[]): Args {
  const a: Args = { threads: [1, 2], frames: 600, size: '1920x1080' };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    switch (args[i]) {
      case '--input': a.input = v; i++; break;
      case '--threads': a.threads = v.split(',').map(Number); i++; break;
      case '--frames': a.frames = Number(v); i++; break;
      case '--size': a.size = v; i++; break;
      default: throw new RangeError(`benchDecode: unknown argument '${args[i]}' (--input FILE, --threads 1,2, --frames N, --size WxH)`);
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

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export async function benchDecode(args: string[]): Promise<number> {
  const a = parseArgs(args);
  const input = a.input ?? (await clip(a.size, a.frames, false));
  const addon = loadNative();
  console.log(`ffmpeg ${addon.ffmpegVersion()}; input ${input}`);
  console.log('threads | g2g fps | ffmpeg fps | gst avdec_h264 fps');
  for (const n of a.threads) {
    let frames = 0;
    const ours = await timed(() =>
      pipe(nodeFileSrc(input), h264Parse(), h264Dec({ backend: 'software', threads: n, live: false }), fakeSink({ onPacket: () => void frames++ })).run(),
    );
    const ff = await timed(() => run('ffmpeg', ['-v', 'error', '-threads', String(n), '-i', input, '-f', 'null', '-']));
    let gst = NaN;
    try {
      gst = await timed(() => run('gst-launch-1.0', ['-q', 'filesrc', `location=${input}`, '!', 'h264parse', '!', 'avdec_h264', `max-threads=${n}`, '!', 'fakesink']));
    } catch (e) {
      console.log(`gst-launch-1.0 failed: ${(e as Error).message.split('\n')[0]}`);
    }
    // Process start-up is in the peers' times (~30-60 ms); at hundreds of frames it is a few percent.
    console.log(`${n} | ${(frames / ours).toFixed(1)} | ${(frames / ff).toFixed(1)} | ${(frames / gst).toFixed(1)}`);
  }

  // Live latency: every access unit of a zerolatency stream, submitted one at a time (as a live source
  // would), timed from decode() to its frame coming back.
  const live = await clip(a.size, Math.min(a.frames, 300), true);
  const aus: CpuPacket[] = [];
  await pipe(nodeFileSrc(live), h264Parse(), fakeSink<CpuPacket>({ onPacket: (p) => void aus.push(p) })).run();
  for (const threads of [0, 1]) {
    const dec = new addon.NativeDecoder({ backend: 'software', live: true, threads });
    const lat: number[] = [];
    let late = 0;
    for (const au of aus) {
      const t0 = performance.now();
      const r = await dec.decode(au.memory.data, au.pts, au.dts, false);
      const dt = performance.now() - t0;
      if (r.frames.some((f) => f.pts === au.pts)) lat.push(dt);
      else late++;
    }
    dec.close();
    console.log(`live latency (threads=${threads || 'auto'}, slice): p50 ${pct(lat, 50).toFixed(2)} ms, p95 ${pct(lat, 95).toFixed(2)} ms over ${lat.length} frames (${late} not out on their own AU)`);
  }
  return 0;
}
