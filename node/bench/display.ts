import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identity, videoTestSrc } from '../../operators';
import { systemClock } from '../../src/clock';
import { pipe } from '../../src/pipeline';
import type { PipelineStats } from '../../src/pipeline/stats';
import { processIo, type CliIo } from '../cli/io';
import { renderReport, ReportRecorder } from '../cli/report';
import { h264Dec } from '../elements/h264-dec';
import { h264Enc } from '../elements/h264-enc';
import { waylandSink } from '../elements/wayland-sink';
import { GST_DISPLAY_SCRIPT } from './display-gst';
import { findOnPath } from './gstreamer';
import { benchArgs, cpuModel, fmtMs, percentile, runBenchCommand, table, UsageError, type Progress } from './harness';
import { parseTimeline, presentedLatencies, type Commit, type SinkFrame } from './weston-timeline';

/**
 * `g2g bench display`: capture → presented on a real compositor, glass2glass's waylandSink beside
 * GStreamer's waylandsink, in one run on one weston (headless, pixman, started here with --debug).
 *
 * Both sides run the same live chain: a 640x360 30 fps moving-ball test source stamped at capture → x264
 * (zerolatency, ultrafast) → decode → the sink (GStreamer needs videoconvert to BGRx: its waylandsink shows
 * I420 black under pixman; ours converts in the sink). Presentation:
 * - ours: the sink's wp_presentation feedback (the time the repaint that showed the frame turned into light);
 * - both, alike: weston's `timeline` debug stream, each commit of the sink's surface followed to the vblank
 *   of the repaint that took it, the frame being the newest to have reached the sink by the commit. Ours
 *   read both ways is the check that the timeline reading is right; GStreamer's number is the timeline's.
 * Capture: ours, the source's stamp (before drawing); GStreamer's, videotestsrc's push (after drawing).
 */

const WIDTH = 640;
const HEIGHT = 360;
const FPS = 30;
const PYTHON = '/usr/bin/python3';

export const DISPLAY_USAGE = `Usage: g2g bench display [--seconds N] [--report FILE.html] [--json]

Capture → presented latency under weston (headless, started by the bench): glass2glass's waylandSink
(sync=false, the live default, and sync=true) beside GStreamer's waylandsink (sync=true, its default, and
sync=false), each running videotestsrc (live, ${WIDTH}x${HEIGHT}, ${FPS} fps) → x264 zerolatency → decode → sink
for N seconds (default 10). Needs weston and weston-debug; GStreamer's side needs python3-gi.
  --report FILE.html  the latency report of glass2glass's sync=false run (capture → presented)`;

interface Options {
  seconds: number;
  report?: string;
  json: boolean;
  help: boolean;
}

function parse(args: readonly string[]): Options {
  const o: Options = { seconds: 10, json: false, help: false };
  for (const a of benchArgs(args)) {
    if (a.name === '--json') o.json = true;
    else if (a.name === '-h' || a.name === '--help') o.help = true;
    else if (a.name === '--seconds') o.seconds = a.count(2);
    else if (a.name === '--report') o.report = a.value();
    else throw new UsageError(`unknown option '${a.arg}'`);
  }
  return o;
}

interface Summary {
  count: number;
  p50: number;
  p95: number;
}

const summary = (xs: readonly number[]): Summary => ({ count: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95) });

interface Side {
  sink: string;
  sync: boolean;
  /** Capture → presented read from weston's timeline (both sides). */
  timeline: Summary;
  /** Ours only: capture → presented from wp_presentation feedback. */
  feedback?: Summary;
  /** Ours only: capture → the sink taking the frame. */
  toSink?: Summary;
  frames: number;
  commits: number;
  error?: string;
}

interface DisplayReport {
  machine: string;
  seconds: number;
  /** weston's repaint period, ns (median vblank spacing of the run). */
  refresh: number;
  sides: Side[];
  /** Ours (sync=false) and GStreamer's default (sync=true), p95 ms: the last line. */
  g2gP95: number;
  gstP95: number;
}

/** weston headless with its debug protocol, and `weston-debug timeline` collecting its stream. */
interface Compositor {
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  timeline(): string;
  stop(): Promise<void>;
}

async function startCompositor(): Promise<Compositor> {
  const dir = mkdtempSync(join(tmpdir(), 'g2g-bench-display-'));
  const ini = join(dir, 'weston.ini');
  writeFileSync(ini, '[core]\nidle-time=0\n[shell]\npanel-position=none\nbackground-color=0xff000000\nlocking=false\nanimation=none\nstartup-animation=none\n');
  const env = { ...process.env, XDG_RUNTIME_DIR: dir, WAYLAND_DISPLAY: 'wayland-bench' };
  const weston = spawn(
    'weston',
    ['--backend=headless-backend.so', '--use-pixman', '--width=640', '--height=480', '--socket=wayland-bench', `--config=${ini}`, '--debug'],
    {
      env,
      stdio: 'ignore',
    }
  );
  const socket = join(dir, 'wayland-bench');
  const children: ChildProcess[] = [weston];
  const stop = async (): Promise<void> => {
    for (const c of children.reverse()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  for (let t = Date.now(); !existsSync(socket); await new Promise((r) => setTimeout(r, 20))) {
    if (weston.exitCode !== null || Date.now() - t > 10_000) {
      await stop();
      throw new Error('weston (headless) did not start: is it installed (apt install weston)?');
    }
  }
  let text = '';
  const debug = spawn('weston-debug', ['timeline'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(debug);
  debug.stdout!.on('data', (d: Buffer) => void (text += d.toString()));
  await new Promise((r) => setTimeout(r, 200));
  if (debug.exitCode !== null) {
    await stop();
    throw new Error('weston-debug timeline did not start (weston needs --debug; weston-debug comes with weston)');
  }
  return { socket, env, timeline: () => text, stop };
}

/** The commits of the surface that showed the run's frames (the one with the most commits in its time). */
function sinkCommits(all: readonly Commit[], from: number, to: number): Commit[] {
  const mine = all.filter((c) => c.at >= from && c.at <= to);
  const by = new Map<number, Commit[]>();
  for (const c of mine) by.set(c.surface, [...(by.get(c.surface) ?? []), c]);
  return [...by.values()].sort((a, b) => b.length - a.length)[0] ?? [];
}

async function runOurs(
  c: Compositor,
  sync: boolean,
  pacing: 'latest' | 'frame-callback',
  seconds: number,
  toMono: (t: number) => number,
  recorder?: ReportRecorder
) {
  const frames: SinkFrame[] = [];
  const sink = waylandSink({ display: c.socket, sync, pacing, title: `g2g bench sync=${sync}` });
  const from = toMono(systemClock.now());
  const running = pipe(
    videoTestSrc({ isLive: true, width: WIDTH, height: HEIGHT, framerate: FPS, format: 'I420', pattern: 'ball', numBuffers: seconds * FPS }),
    h264Enc({ tune: 'zerolatency', speedPreset: 'ultrafast', keyIntMax: FPS }),
    h264Dec({ format: 'I420' }),
    identity({
      name: 'arrival',
      handoff: (p) => void (p.meta.captureTime !== undefined && frames.push({ capture: toMono(p.meta.captureTime), arrival: toMono(systemClock.now()) })),
    }),
    sink
  ).start({ clock: systemClock, profile: 'live', onLatency: recorder?.onLatency, onPresented: recorder?.onPresented });
  const sampler = recorder ? setInterval(() => recorder.sample(running.stats(), systemClock.now()), 100) : undefined;
  let stats: PipelineStats;
  try {
    stats = await running.done;
  } finally {
    if (sampler) clearInterval(sampler);
  }
  recorder?.sample(stats, systemClock.now());
  return { frames, stats, from, to: toMono(systemClock.now()), counters: sink.counters };
}

async function runGst(c: Compositor, script: string, sync: boolean, seconds: number) {
  const frames: SinkFrame[] = [];
  let err = '';
  let out = '';
  const child = spawn(PYTHON, [script, String(sync), String(seconds), String(WIDTH), String(HEIGHT), String(FPS)], {
    env: c.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  for (const line of out.split('\n'))
    if (line.startsWith('{')) frames.push(((f: { c: number; a: number }) => ({ capture: f.c, arrival: f.a }))(JSON.parse(line)));
  const error = code === 0 ? undefined : err.trim().split('\n').slice(-2).join(' | ') || `exit ${code}`;
  return { frames, error };
}

async function run(o: Options, progress: Progress): Promise<DisplayReport> {
  if (!findOnPath('weston') || !findOnPath('weston-debug')) throw new Error('weston and weston-debug are needed (apt install weston)');
  // systemClock (performance.now) → CLOCK_MONOTONIC (process.hrtime, weston's timeline clock), read together.
  const offset = Number(process.hrtime.bigint()) - systemClock.now();
  const toMono = (t: number): number => t + offset;
  const monoNow = (): number => Number(process.hrtime.bigint());
  const python = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import gi'], { stdio: 'ignore' }).status === 0;
  const c = await startCompositor();
  const dir = mkdtempSync(join(tmpdir(), 'g2g-bench-display-py-'));
  const script = join(dir, 'display-gst.py');
  writeFileSync(script, GST_DISPLAY_SCRIPT);
  const sides: Side[] = [];
  const recorder = o.report ? new ReportRecorder(systemClock.now()) : undefined;
  let reportStats: PipelineStats | undefined;
  try {
    for (const [sync, pacing] of [
      [false, 'latest'],
      [true, 'latest'],
      [false, 'frame-callback'],
    ] as const) {
      progress(`glass2glass waylandSink sync=${sync} pacing=${pacing} (${o.seconds} s)`);
      const first = !sync && pacing === 'latest';
      const r = await runOurs(c, sync, pacing, o.seconds, toMono, first ? recorder : undefined);
      if (first) reportStats = r.stats;
      // The timeline lags the compositor a little: let the last repaints arrive.
      await new Promise((res) => setTimeout(res, 300));
      const commits = sinkCommits(parseTimeline(c.timeline()), r.from, r.to);
      const l = r.counters.latency();
      sides.push({
        sink: pacing === 'latest' ? 'g2g waylandSink' : 'g2g waylandSink pacing=frame-callback',
        sync,
        timeline: summary(presentedLatencies(commits, r.frames)),
        feedback: l ? { count: l.count, p50: l.p50, p95: l.p95 } : { count: 0, p50: NaN, p95: NaN },
        toSink: { count: r.stats.latency.count, p50: r.stats.latency.p50, p95: r.stats.latency.p95 },
        frames: r.frames.length,
        commits: commits.length,
      });
    }
    for (const sync of [true, false]) {
      if (!python) {
        sides.push({
          sink: 'GStreamer waylandsink',
          sync,
          timeline: summary([]),
          frames: 0,
          commits: 0,
          error: 'python3 with gi not found (apt install python3-gi)',
        });
        continue;
      }
      progress(`GStreamer waylandsink sync=${sync} (${o.seconds} s)`);
      const from = monoNow();
      const g = await runGst(c, script, sync, o.seconds);
      await new Promise((res) => setTimeout(res, 300));
      const commits = sinkCommits(parseTimeline(c.timeline()), from, monoNow());
      sides.push({
        sink: 'GStreamer waylandsink',
        sync,
        timeline: summary(presentedLatencies(commits, g.frames)),
        frames: g.frames.length,
        commits: commits.length,
        error: g.error,
      });
    }
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (recorder && o.report && reportStats) {
    await writeFile(
      o.report,
      renderReport(recorder.data('g2g bench display: waylandSink sync=false', 'videoTestSrc is-live=true ! h264Enc ! h264Dec ! waylandSink', reportStats))
    );
  }
  const vblanks = parseTimeline(c.timeline())
    .map((x) => x.presented)
    .filter((x): x is number => x !== undefined);
  const gaps = [...new Set(vblanks)].sort((a, b) => a - b).flatMap((v, i, a) => (i ? [v - a[i - 1]] : []));
  const pick = (sink: string, sync: boolean) => sides.find((s) => s.sink === sink && s.sync === sync);
  return {
    machine: cpuModel(),
    seconds: o.seconds,
    refresh: percentile(gaps, 50),
    sides,
    g2gP95: (pick('g2g waylandSink', false)?.feedback?.p95 ?? NaN) / 1e6,
    gstP95: (pick('GStreamer waylandsink', true)?.timeline.p95 ?? NaN) / 1e6,
  };
}

function text(r: DisplayReport): string {
  const f = (s: Summary | undefined) => (s && s.count ? [fmtMs(s.p50), fmtMs(s.p95), String(s.count)] : ['-', '-', '0']);
  const rows = [['sink', 'sync', 'presented p50 ms', 'p95 ms', 'frames', 'timeline p50 ms', 'p95 ms', 'frames', '→ sink p50 ms', 'p95 ms']];
  for (const s of r.sides)
    rows.push([s.sink, String(s.sync), ...f(s.feedback), ...f(s.timeline), ...(s.toSink ? [fmtMs(s.toSink.p50), fmtMs(s.toSink.p95)] : ['-', '-'])]);
  const errors = r.sides.filter((s) => s.error).map((s) => `${s.sink} sync=${s.sync}: ${s.error}`);
  return [
    `g2g bench display: capture → presented, ${WIDTH}x${HEIGHT} ${FPS} fps live test source → x264 zerolatency → decode → sink, ${r.seconds} s each`,
    `weston 10 headless (pixman), repaint period ${fmtMs(r.refresh)} ms; ${r.machine}`,
    "presented: wp_presentation feedback (ours); timeline: weston's timeline debug stream, commit → vblank of the repaint that showed it (both)",
    '',
    ...table(rows, 2),
    ...(errors.length ? ['', ...errors] : []),
    '',
    `display p95: g2g ${r.g2gP95.toFixed(1)} ms, GStreamer ${r.gstP95.toFixed(1)} ms`,
  ].join('\n');
}

/** `g2g bench display`. Returns the exit code. */
export async function benchDisplay(args: string[], io: CliIo = processIo): Promise<number> {
  return runBenchCommand({ name: 'g2g bench display', usage: DISPLAY_USAGE, parse, run, text }, args, io);
}
