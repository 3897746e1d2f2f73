/**
 * GStreamer bridge benchmark (not a test): the per-buffer cost of crossing into and out of GStreamer through
 * gstBin, for empty buffers and 1080p NV12 frames, beside the same fragment run by gst-launch-1.0 alone, in
 * one run. Ours: `fakeSrc ! gstBin pipeline=identity ! fakeSink` minus `fakeSrc ! fakeSink` (the same source
 * and sink without the bridge), over the buffer count; a buffer crosses twice (appsrc in, appsink out), so
 * a crossing is half of that. GStreamer's: `fakesrc ! identity ! fakesink`, its own "Execution ended" time
 * over the count (start-up and plugin loading not counted). Runs are interleaved and repeated (--runs): the
 * figures only compare within one run on a machine doing other work.
 *
 *   benchBridge(['--buffers', '2000', '--runs', '3'])
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { fakeSink } from '../../operators/fake-sink';
import { fakeSrc } from '../../operators/fake-src';
import { pipe } from '../../src';
import { processIo, type CliIo } from '../cli/io';
import { gstBin } from '../elements/gst-bin';
import { loadGst } from '../elements/gst/addon';
import { lend, returned } from '../elements/gst/bridge';
import { parseExecutionEnded } from './format';

const run = promisify(execFile);

interface Args {
  buffers: number;
  runs: number;
  fragment: string;
}

function parseArgs(args: string[]): Args {
  const a: Args = { buffers: 2000, runs: 3, fragment: 'identity' };
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1];
    switch (args[i]) {
      case '--buffers': a.buffers = Number(v); i++; break;
      case '--runs': a.runs = Number(v); i++; break;
      case '--fragment': a.fragment = v; i++; break;
      default: throw new RangeError(`benchBridge: unknown argument '${args[i]}' (--buffers N, --runs N, --fragment TEXT)`);
    }
  }
  return a;
}

interface Case {
  readonly name: string;
  /** Payload bytes (0: empty buffers). */
  readonly size: number;
  readonly caps: string;
}

const CASES: readonly Case[] = [
  { name: 'empty', size: 0, caps: 'application/octet-stream' },
  { name: '1080p NV12', size: (1920 * 1080 * 3) / 2, caps: 'video/x-raw, format=(string)NV12, width=(int)1920, height=(int)1080, framerate=(fraction)30/1' },
];

/** Wall time per buffer (µs) of our pipeline, with or without the bridge, and the copies it recorded. */
async function ours(c: Case, n: number, fragment: string | undefined): Promise<{ us: number; copies: number }> {
  const src = fakeSrc({ numBuffers: n, sizetype: c.size === 0 ? 'empty' : 'fixed', sizemax: c.size, filltype: 'nothing', caps: c.caps });
  const t0 = performance.now();
  const stats = fragment === undefined ? await pipe(src, fakeSink()).run() : await pipe(src, gstBin({ pipeline: fragment }), fakeSink()).run();
  const us = ((performance.now() - t0) * 1000) / n;
  return { us, copies: stats.copies.count / n };
}

/** gst-launch-1.0 alone: its own PLAYING → EOS time per buffer (µs). */
async function gst(c: Case, n: number, fragment: string): Promise<number> {
  const size = c.size === 0 ? ['sizetype=empty'] : ['sizetype=fixed', `sizemax=${c.size}`, 'filltype=nothing'];
  const { stdout } = await run('gst-launch-1.0', ['fakesrc', `num-buffers=${n}`, ...size, '!', ...fragment.split(/\s+/), '!', 'fakesink'], { maxBuffer: 1 << 24 });
  const ns = parseExecutionEnded(stdout);
  if (ns === undefined) throw new Error(`no "Execution ended" from gst-launch-1.0: ${stdout.slice(-300)}`);
  return ns / 1000 / n;
}

/**
 * The addon alone, no runtime: push while the appsrc has room, take every sample out, spinning instead of
 * waiting (µs per buffer, both crossings). The floor under the pipeline figure: what is left above it is
 * scheduling (the JS thread waiting on the libuv pool for GStreamer's streaming thread) and the runtime.
 */
function addonLoop(c: Case, n: number, fragment: string): number {
  const addon = loadGst();
  const f = new addon.GstFragment('bin', fragment);
  const data = new Uint8Array(c.size);
  const meta = new Float64Array(4);
  try {
    f.start(c.caps, undefined);
    const t0 = performance.now();
    let got = 0;
    for (let i = 0; got < n; ) {
      while (i < n && f.canPush()) returned(f.push(data, i * 1000, -1, -1, 1, c.size > 0 ? lend(data) : -1)), i++;
      while (f.tryPull(meta) !== null) got++;
    }
    return ((performance.now() - t0) * 1000) / n;
  } finally {
    f.dispose();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: readonly number[]): string => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

export async function benchBridge(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args);
  const addon = loadGst();
  io.out(`${addon.gstVersion()}; fragment "${a.fragment}"; ${a.buffers} buffers, ${a.runs} runs each, interleaved; ${cpus().length} cores; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  io.out('µs per buffer, median (range). bridge: (fakeSrc ! gstBin ! fakeSink) − (fakeSrc ! fakeSink); a buffer crosses twice (in and out), a crossing is half.');
  io.out('addon loop: the addon alone in a tight push/take loop (no runtime, no waits), per buffer: the floor under "bridge per buffer".');
  io.out('buffers | g2g without bridge | g2g with bridge | bridge per buffer | per crossing | addon loop | gst-launch alone | copies per buffer');
  for (const c of CASES) {
    const n = c.size === 0 ? a.buffers : Math.max(50, Math.round(a.buffers / 10));
    await ours(c, Math.min(n, 50), a.fragment); // warm-up: plugin loading, JIT
    const plain: number[] = [];
    const bridged: number[] = [];
    const gs: number[] = [];
    const loops: number[] = [];
    let copies = 0;
    for (let i = 0; i < a.runs; i++) {
      plain.push((await ours(c, n, undefined)).us);
      const b = await ours(c, n, a.fragment);
      bridged.push(b.us);
      copies = b.copies;
      gs.push(await gst(c, n, a.fragment));
      loops.push(addonLoop(c, n, a.fragment));
    }
    const cost = bridged.map((b, i) => b - plain[i]);
    io.out(`${c.name} ×${n} | ${fmt(plain)} | ${fmt(bridged)} | ${fmt(cost)} | ${fmt(cost.map((x) => x / 2))} | ${fmt(loops)} | ${fmt(gs)} | ${copies.toFixed(2)}`);
  }
  return 0;
}
