import { execFile } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { PacketFlags } from '../../src/packet';
import { pipe } from '../../src/pipeline/pipeline';
import type { CliIo } from '../cli/io';
import { REMUX_BLOCKSIZE, remuxOpener, remuxPipeline } from '../cli/remux';
import { nodeFileSrc } from '../drivers/fs';
import { timeChildCpu } from './child';
import { findOnPath } from './gstreamer';
import { cpuModel, fmtMs, fmtTimes, parseFileBenchArgs, runBenchCommand, table, timeWallCpu, type FileBenchOptions, type Progress } from './harness';

// Kept under their old names and places for the callers that import them from here.
export { errorGist } from './child';
export { UsageError as RemuxBenchUsageError } from './harness';

/**
 * `g2g bench remux`: H.264 parse and Annex B → MP4 remux of a 1080p30 stream, g2g in process against
 * gst-launch-1.0 and ffmpeg as child processes.
 *
 * Method (as `g2g bench rtp`): g2g's first run in this process is timed and shown apart (cold: V8 still
 * interprets and compiles); every case then runs once untimed (page cache, plugin registry, a peer that
 * cannot do the task found), the g2g cases `warmup` more times (V8 takes about ten runs of this stream to
 * finish optimising the remux: the first runs cost 3–4× the CPU of a warm one, compiler threads included;
 * with one warm-up and best of 3 the remux measured 48 ms where warm runs take 20–25), then every case `runs`
 * times, round by round. In each round the children go first, then an untimed g2g run takes the
 * copy-on-write faults that spawning (a fork of this process) leaves behind, then the g2g cases; every
 * timed run starts with the earlier outputs written back (see `settle`). The BEST
 * wall time is reported (the work is deterministic, so anything slower is interference from other
 * processes on the machine). A child's startup (exec, dynamic linking, plugin loading, process exit),
 * measured the same way on a 2-frame input, is subtracted.
 */

export const REMUX_BENCH_USAGE = `usage: g2g bench remux [--runs N] [--warmup N] [--input FILE.h264] [--json]

Times H.264 parsing and Annex B → MP4 remuxing of a 1920x1080 30 fps 20 s high-profile stream (x264
veryfast, 2 B-frames, testsrc2; generated with ffmpeg once and cached in the temp directory):
  remux  g2g  fileSrc ! h264Parse ! mp4Mux ! fileSink (progressive, and fragmented)
         gst  gst-launch-1.0 -q filesrc ! h264parse ! mp4mux ! filesink
         ffmpeg -f h264 -i IN -c copy OUT.mp4
  parse  g2g  fileSrc ! h264Parse ! fakeSink
         gst  gst-launch-1.0 -q filesrc ! h264parse ! fakesink
         ffmpeg -f h264 -i IN -c copy -f null -
g2g's first (cold) run in this process is shown apart; then every case runs once untimed, g2g's
--warmup more times (V8 takes about ten runs of this stream to finish optimising it), then every case
--runs times, interleaved (children first in each round, then an untimed g2g run that absorbs the
copy-on-write faults a spawn leaves in this process), each after the outputs so far are written back
to disk (fsync); the best time is kept. The children's startup time (same command on a 2-frame input)
is subtracted from theirs.
  --runs N        timed runs per case (default 7)
  --warmup N      untimed runs of each g2g case after the first (default 5)
  --input FILE    time this Annex B file instead of the generated one
  --json          print machine-readable results (schema "g2g-bench-remux/1")`;

/** `warmup`: untimed runs of each g2g case before the timed ones; default 5. */
export type RemuxBenchOptions = FileBenchOptions;

export function parseRemuxBenchArgs(args: readonly string[]): RemuxBenchOptions {
  return parseFileBenchArgs(args, { runs: 7, json: false, help: false });
}

export type Task = 'remux' | 'parse';
export type Impl = 'g2g' | 'g2g-fragmented' | 'g2g-64k' | 'gst' | 'ffmpeg';

export interface RemuxBenchRow {
  readonly task: Task;
  readonly impl: Impl;
  /** What ran, for the table. */
  readonly label: string;
  /** Timed runs' wall times, ns, in run order. */
  readonly runs: readonly number[];
  /** Startup cost subtracted (children only), ns. */
  readonly startup: number;
  /** Best run less startup, ns; 0 when startup noise swallowed the work (then `resolved` is false). */
  readonly net: number;
  /** The work was measurable: best run above the startup cost. Rates and ratios need it. */
  readonly resolved: boolean;
  readonly mbPerSecond: number;
  readonly framesPerSecond: number;
  /** Peer's net time / this row's, per peer of the same task (above 1: this row is faster). g2g rows only. */
  readonly speedup: Readonly<Partial<Record<'gst' | 'ffmpeg', number>>>;
}

export interface RemuxBenchReport {
  readonly schema: 'g2g-bench-remux/1';
  readonly machine: { readonly cpuModel: string; readonly cpus: number; readonly node: string; readonly gst?: string; readonly ffmpeg?: string; readonly loadAverage: number };
  readonly input: { readonly path: string; readonly bytes: number; readonly frames: number; readonly description: string };
  readonly runs: number;
  readonly rows: readonly RemuxBenchRow[];
  /** Peers that could not run, and why. */
  readonly skipped: readonly string[];
}

/** "ffmpeg version 5.1.9-0+deb12u1 Copyright …" → "5.1.9-0+deb12u1"; "gst-launch-1.0 version 1.22.0" → "1.22.0". */
export function parseToolVersion(output: string): string | undefined {
  return /ffmpeg version (\S+)/.exec(output)?.[1] ?? /gst-launch-1\.0 version (\S+)/.exec(output)?.[1];
}

/** Net times, rates and ratios from raw measurements. Pure: unit-tested with made-up timings. */
export function buildRows(
  raw: readonly { task: Task; impl: Impl; label: string; runs: readonly number[]; startup: number }[],
  bytes: number,
  frames: number,
): RemuxBenchRow[] {
  const net = (r: { runs: readonly number[]; startup: number }) => Math.max(0, Math.min(...r.runs) - r.startup);
  return raw.map((r) => {
    const n = net(r);
    const speedup: Partial<Record<'gst' | 'ffmpeg', number>> = {};
    if (r.impl.startsWith('g2g') && n > 0) {
      for (const peer of ['gst', 'ffmpeg'] as const) {
        const p = raw.find((x) => x.task === r.task && x.impl === peer);
        if (p && net(p) > 0) speedup[peer] = net(p) / n;
      }
    }
    const rate = (amount: number) => (n > 0 ? amount / (n / 1e9) : 0);
    return { ...r, net: n, resolved: n > 0, mbPerSecond: rate(bytes / 1e6), framesPerSecond: rate(frames), speedup };
  });
}

/** How a report's runs were taken, beside the report (whose JSON shape is fixed): warm-ups and g2g's cold run. */
export interface RemuxBenchMethod {
  readonly warmup: number;
  /** g2g's first run in the process (the progressive remux), wall and CPU ns: interpreter, JIT compilation and all. */
  readonly cold: { readonly wall: number; readonly cpu: number };
}

const methods = new WeakMap<RemuxBenchReport, RemuxBenchMethod>();

function methodLine(r: RemuxBenchReport): string {
  const m = methods.get(r);
  if (!m) return `best of ${r.runs} after a warm-up`;
  return `best of ${r.runs} after a cold run (g2g progressive remux ${fmtMs(m.cold.wall)} ms, ${fmtMs(m.cold.cpu)} ms CPU) and ${m.warmup} warm-up run(s)`;
}

export function formatRemuxReport(r: RemuxBenchReport): string {
  const m = r.machine;
  const lines = [
    `H.264 parse and remux: ${r.input.description}, ${r.input.frames} frames, ${(r.input.bytes / 1e6).toFixed(1)} MB`,
    `machine: ${m.cpuModel}, ${m.cpus} CPUs, node ${m.node}, gst ${m.gst ?? 'n/a'}, ffmpeg ${m.ffmpeg ?? 'n/a'}, load ${m.loadAverage.toFixed(2)}`,
    `${methodLine(r)}; child startup subtracted${r.rows.filter((x) => x.startup > 0).map((x) => `, ${x.impl} ${x.task} ${fmtMs(x.startup)} ms`).join('')}`,
    '',
  ];
  const rows = [['task', 'implementation', 'time ms', 'MB/s', 'frames/s', 'vs gst', 'vs ffmpeg']];
  for (const x of r.rows) {
    if (x.resolved) rows.push([x.task, x.label, fmtMs(x.net), x.mbPerSecond.toFixed(0), x.framesPerSecond.toFixed(0), fmtTimes(x.speedup.gst), fmtTimes(x.speedup.ffmpeg)]);
    else rows.push([x.task, x.label, '< noise', '-', '-', '-', '-']);
  }
  lines.push(...table(rows, 2));
  lines.push('', "vs gst / vs ffmpeg: the peer's time divided by g2g's (above 1: g2g is faster).");
  if (r.rows.some((x) => !x.resolved)) lines.push('< noise: the best run was not above the startup cost measured for that command; repeat on a quieter machine.');
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  return lines.join('\n');
}

/**
 * CPU time (best run less startup) per row, with the peers' CPU time over g2g's: a load-robust cross-check
 * of the wall-time ratios (it counts every thread's work, so a multi-threaded peer is not flattered).
 */
export function formatCpu(r: RemuxBenchReport, cpu: Readonly<Record<string, number>>): string {
  const lines = ['', 'CPU time, user + system of all threads (best run; child startup CPU subtracted):'];
  for (const x of r.rows) {
    const mine = cpu[`${x.task}/${x.impl}`];
    if (mine === undefined) continue;
    const vs = (peer: 'gst' | 'ffmpeg'): string => {
      const p = cpu[`${x.task}/${peer}`];
      return x.impl.startsWith('g2g') && p !== undefined && mine > 0 && p > 0 ? `  vs ${peer} ${fmtTimes(p / mine)}` : '';
    };
    const time = mine > 0 ? `${fmtMs(mine).padStart(7)} ms` : '< noise';
    lines.push(`  ${x.task.padEnd(5)}  ${x.label.padEnd(44)} ${time}${vs('gst')}${vs('ffmpeg')}`);
  }
  if (r.rows.some((x) => x.task === 'remux' && x.impl === 'gst' && x.label.includes('mpegtsmux'))) {
    lines.push('', "remux vs gst compares with h264parse ! mpegtsmux (MPEG-TS out, not MP4): GStreamer's mp4mux refuses this stream (no pts on B-frames).");
  }
  return lines.join('\n');
}

const exec = promisify(execFile);

/** Encodes a test stream into the shared cache (atomically: a parallel run sees all of it or nothing). */
async function cachedEncode(name: string, args: readonly string[]): Promise<string> {
  const dir = join(tmpdir(), `glass2glass-bench-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args, '-f', 'h264', tmp], { maxBuffer: 1 << 24 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return path;
}

const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-bf', '2', '-pix_fmt', 'yuv420p'];

/** The 20 s 1080p30 high-profile stream the benchmark times. */
export function benchInput(): Promise<string> {
  return cachedEncode('remux-1080p30-20s-high-bf2.h264', ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', '20', ...X264]);
}

/** Two frames of the same format: what a child process costs without the work. */
export function tinyInput(): Promise<string> {
  return cachedEncode('remux-1080p30-2f-high-bf2.h264', ['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-frames:v', '2', ...X264]);
}

/**
 * CPU time (user + system, ns, all threads) of each run, by case, in run order: a cross-check that other
 * processes on the machine disturb far less than wall time. Children are measured by bash's `time` (their
 * rusage, microseconds), g2g by process.cpuUsage (its thread pool and GC threads included).
 */
const cpuOf = new Map<string, number>();
let lastCpu = 0;

/** Spawn to exit, ns; a failure rejects with the gist of the child's stderr. Its CPU time is left in `lastCpu`. */
export async function timeChild(bin: string, args: readonly string[]): Promise<number> {
  const t = await timeChildCpu(bin, args);
  lastCpu = t.cpu === undefined ? 0 : Math.round(t.cpu);
  return t.wall;
}

/**
 * Writes back every output file in `dir` before a timed run. Otherwise the disk writes of the runs before
 * (13.5 MB each; ext4 starts them when a truncated file is closed) complete during the next one, which is
 * charged for their interrupts and shares the cores with the flusher: on the 2-core VM the progressive
 * remux, first after the children and the untimed run, took 33–55 ms of CPU (best of 7) without this and
 * 23–41 ms with it. Each run still truncates its own last output, as a peer does.
 */
function settle(dir: string): void {
  for (const name of readdirSync(dir)) {
    const fd = openSync(join(dir, name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

interface Case {
  readonly task: Task;
  readonly impl: Impl;
  readonly label: string;
  /** One run on `input`, writing to `out`; wall ns. */
  readonly run: (input: string, out: string) => Promise<number>;
  readonly child: boolean;
  /** Timed instead when this case fails (a peer that cannot do the task as asked). */
  readonly fallback?: Case;
}

/**
 * No forced GC before a run (`g2g bench`'s per-packet cases do one): measured here, gc() before each
 * run made the next one about twice as slow (30 → 60 ms of remux), the extra being user CPU in our
 * code, not GC pauses or page faults; most likely the forced full GC discards type feedback and
 * optimised code, so each run restarted half cold. This benchmark means the warm pipeline.
 */
async function timeInProcess(make: () => { run(o: { profile: 'throughput' }): Promise<unknown> }): Promise<number> {
  const p = make();
  const t = await timeWallCpu(() => p.run({ profile: 'throughput' }));
  lastCpu = t.cpu;
  return t.wall;
}

function cases(gst: string | undefined, ffmpeg: string | undefined): Case[] {
  const list: Case[] = [
    {
      task: 'remux',
      impl: 'g2g',
      label: 'g2g h264Parse ! mp4Mux (progressive)',
      child: false,
      run: (i, o) => timeInProcess(() => remuxPipeline(i, `${o}.mp4`, { from: 'h264', to: 'mp4', progressive: true })),
    },
    {
      task: 'remux',
      impl: 'g2g-fragmented',
      label: 'g2g h264Parse ! mp4Mux (fragmented)',
      child: false,
      run: (i, o) => timeInProcess(() => remuxPipeline(i, `${o}.mp4`, { from: 'h264', to: 'mp4' })),
    },
  ];
  if (gst) {
    list.push({
      task: 'remux',
      impl: 'gst',
      label: 'gst-launch h264parse ! mp4mux',
      child: true,
      run: (i, o) => timeChild(gst, ['-q', 'filesrc', `location=${i}`, '!', 'h264parse', '!', 'mp4mux', '!', 'filesink', `location=${o}.mp4`]),
      // GStreamer 1.22's h264parse gives an elementary stream dts but no pts, and mp4mux refuses buffers
      // without one ("Buffer has no PTS"); mpegtsmux muxes on dts, so it is the closest remux gst can do.
      fallback: {
        task: 'remux',
        impl: 'gst',
        label: 'gst-launch h264parse ! mpegtsmux',
        child: true,
        run: (i, o) => timeChild(gst, ['-q', 'filesrc', `location=${i}`, '!', 'h264parse', '!', 'mpegtsmux', '!', 'filesink', `location=${o}.ts`]),
      },
    });
  }
  if (ffmpeg) list.push({ task: 'remux', impl: 'ffmpeg', label: 'ffmpeg -c copy OUT.mp4', child: true, run: (i, o) => timeChild(ffmpeg, ['-nostdin', '-v', 'error', '-y', '-f', 'h264', '-i', i, '-c', 'copy', `${o}.mp4`]) });
  // Reading as the remux command does (1 MiB blocks, one read ahead) …
  const opener = remuxOpener();
  list.push({ task: 'parse', impl: 'g2g', label: 'g2g h264Parse ! fakeSink', child: false, run: (i) => timeInProcess(() => pipe(fileSrc({ location: i, opener, blocksize: REMUX_BLOCKSIZE }), h264Parse(), fakeSink())) });
  // … and with fileSrc's defaults (64 KiB blocks, served from the Node opener's 1 MiB read-ahead).
  list.push({ task: 'parse', impl: 'g2g-64k', label: 'g2g h264Parse ! fakeSink (fileSrc defaults)', child: false, run: (i) => timeInProcess(() => pipe(nodeFileSrc(i), h264Parse(), fakeSink())) });
  if (gst) list.push({ task: 'parse', impl: 'gst', label: 'gst-launch h264parse ! fakesink', child: true, run: (i) => timeChild(gst, ['-q', 'filesrc', `location=${i}`, '!', 'h264parse', '!', 'fakesink']) });
  if (ffmpeg) list.push({ task: 'parse', impl: 'ffmpeg', label: 'ffmpeg -c copy -f null', child: true, run: (i) => timeChild(ffmpeg, ['-nostdin', '-v', 'error', '-f', 'h264', '-i', i, '-c', 'copy', '-f', 'null', '-']) });
  return list;
}

/** Frames (access units with a picture) and the stream's caps, by our own parser. */
async function describeInput(path: string): Promise<{ frames: number; description: string }> {
  let frames = 0;
  let description = 'H.264';
  await pipe(
    nodeFileSrc(path),
    h264Parse(),
    fakeSink({
      onPacket: (p) => {
        if (p.flags & PacketFlags.HEADER) return;
        if (frames++ === 0) {
          const s = p.caps;
          const fr = s.get('framerate');
          const rate = fr && typeof fr === 'object' && fr.kind === 'fraction' ? ` ${+(fr.num / fr.den).toFixed(3)} fps` : '';
          description = `${s.get('width')}x${s.get('height')}${rate} H.264 ${s.get('profile')} ${s.get('level')}`;
        }
      },
    }),
  ).run({ profile: 'throughput' });
  return { frames, description };
}

async function toolVersion(bin: string | undefined, flag: string): Promise<string | undefined> {
  if (!bin) return undefined;
  try {
    const { stdout } = await exec(bin, [flag]);
    return parseToolVersion(stdout);
  } catch {
    return undefined;
  }
}

export async function runRemuxBench(o: RemuxBenchOptions, progress: Progress = () => undefined): Promise<RemuxBenchReport> {
  const gst = findOnPath('gst-launch-1.0');
  const ffmpeg = findOnPath('ffmpeg');
  const skipped: string[] = [];
  if (!gst) skipped.push('gst-launch-1.0 is not on PATH (Debian: apt install gstreamer1.0-tools gstreamer1.0-plugins-bad)');
  if (!ffmpeg) skipped.push('ffmpeg is not on PATH (Debian: apt install ffmpeg)');
  if (!ffmpeg && !o.input) throw new Error('ffmpeg is needed to generate the test stream (or pass --input FILE.h264)');
  progress('preparing the input (first run: encoding 20 s of 1080p, about a minute) …');
  const input = o.input ?? (await benchInput());
  const tiny = ffmpeg ? await tinyInput() : undefined;
  const bytes = statSync(input).size;
  const warmup = o.warmup ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'g2g-bench-remux-'));
  try {
    const out = (c: Case) => join(dir, `${c.task}-${c.impl}`);
    const all = cases(gst, ffmpeg);
    // Cold: the first pipeline this process runs (before describeInput's parse warms the parser).
    progress(`cold run: ${all[0].label}`);
    const coldWall = await all[0].run(input, out(all[0]));
    const cold = { wall: coldWall, cpu: lastCpu };
    const { frames, description } = await describeInput(input);
    if (frames === 0) throw new Error(`no H.264 frames in '${input}'`);
    // The first untimed run also finds peers that cannot run this input: replaced by their fallback, or left out.
    const list: Case[] = [];
    for (let c of all) {
      for (;;) {
        progress(`warm-up: ${c.label}`);
        try {
          await c.run(input, out(c));
          list.push(c);
          break;
        } catch (e) {
          if (!c.child) throw e;
          const why = e instanceof Error ? e.message : String(e);
          skipped.push(`${c.label}: failed${c.fallback ? `, timed ${c.fallback.label} instead` : ''} (${why})`);
          if (!c.fallback) break;
          c = c.fallback;
        }
      }
    }
    const ours = list.filter((c) => !c.child);
    const children = list.filter((c) => c.child);
    for (let w = 0; w < warmup; w++) {
      for (const c of ours) {
        progress(`warm-up ${w + 1}/${warmup}: ${c.label}`);
        await c.run(input, out(c));
      }
    }
    const runs = new Map<Case, number[]>(list.map((c) => [c, []]));
    const cpuRuns = new Map<Case, number[]>(list.map((c) => [c, []]));
    const timed = async (c: Case): Promise<void> => {
      settle(dir);
      runs.get(c)!.push(await c.run(input, out(c)));
      cpuRuns.get(c)!.push(lastCpu);
    };
    for (let r = 0; r < o.runs; r++) {
      for (const c of children) {
        progress(`run ${r + 1}/${o.runs}: ${c.label}`);
        await timed(c);
      }
      // A spawn forks this process: each page it writes next takes a copy-on-write fault first (+5 ms of
      // CPU measured in the run after a child). The harness's cost, not the pipeline's: an untimed run
      // pays it, writing elsewhere (the timed run then truncates its own last output, as the others do).
      if (children.length && ours.length) await ours[0].run(input, `${out(ours[0])}-untimed`);
      // The first g2g case after that still measured 5–10 ms slower than when it ran later in the round,
      // whichever case it was: the order rotates, so that no case is always first.
      for (let k = 0; k < ours.length; k++) {
        const c = ours[(r + k) % ours.length];
        progress(`run ${r + 1}/${o.runs}: ${c.label}`);
        await timed(c);
      }
    }
    const startup = new Map<Case, number>();
    const cpuStartup = new Map<Case, number>();
    for (const c of list) {
      if (!c.child || !tiny) continue;
      progress(`startup: ${c.label}`);
      await c.run(tiny, out(c));
      const t: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < Math.max(5, o.runs); r++) {
        t.push(await c.run(tiny, out(c)));
        cpu.push(lastCpu);
      }
      startup.set(c, Math.min(...t));
      cpuStartup.set(c, Math.min(...cpu));
    }
    for (const c of list) cpuOf.set(`${c.task}/${c.impl}`, Math.max(0, Math.min(...cpuRuns.get(c)!) - (cpuStartup.get(c) ?? 0)));
    const raw = list.map((c) => ({ task: c.task, impl: c.impl, label: c.label, runs: runs.get(c)!, startup: startup.get(c) ?? 0 }));
    const report: RemuxBenchReport = {
      schema: 'g2g-bench-remux/1',
      machine: {
        cpuModel: cpuModel(),
        cpus: cpus().length,
        node: process.version,
        gst: await toolVersion(gst, '--version'),
        ffmpeg: await toolVersion(ffmpeg, '-version'),
        loadAverage: loadavg()[0],
      },
      input: { path: input, bytes, frames, description },
      runs: o.runs,
      rows: buildRows(raw, bytes, frames),
      skipped,
    };
    methods.set(report, { warmup, cold });
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `g2g bench remux [options]`: prints the table (or JSON); returns the exit code. */
export function benchRemux(args: string[], io?: CliIo): Promise<number> {
  return runBenchCommand(
    {
      name: 'g2g bench remux',
      usage: REMUX_BENCH_USAGE,
      parse: parseRemuxBenchArgs,
      run: (o, progress) => {
        cpuOf.clear();
        return runRemuxBench(o, progress);
      },
      text: (r) => `${formatRemuxReport(r)}\n${formatCpu(r, Object.fromEntries(cpuOf))}`,
      // The JSON keeps the report's shape, with the CPU times and how the runs were taken beside it.
      json: (r) => ({ ...r, cpuNs: Object.fromEntries(cpuOf), warmup: methods.get(r)?.warmup, coldNs: methods.get(r)?.cold }),
    },
    args,
    io,
  );
}
