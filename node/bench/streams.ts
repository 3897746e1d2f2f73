import { cpus, loadavg } from 'node:os';
import { processIo, type CliIo } from '../cli/io';
import { benchArgs, cpuModel, runBenchCommand, table, UsageError, type Progress } from './harness';
import { BENCH_PROFILE, startG2gStreams } from './streams-g2g';
import { gstMissing, startGstStreams } from './streams-gst';
import { MaxSearch, sustains, SUSTAIN_SHARE, type StreamWindow } from './streams-search';
import { startTestServer, type TestServer } from './streams-server';
import { readMachineBusy, type SideSnapshot, type StreamsSide } from './streams-side';

/**
 * `g2g bench streams`: the most live 640x360 30 fps RTSP streams one process decodes on this machine
 * with no late frame, glass2glass beside GStreamer in the same run.
 *
 * One `g2g serve --test-pattern` child serves every stream (streams-server.ts). A side plays N streams
 * in one process (ours: N pipelines rtspSrc ! h264Dec live ! fakeSink sync=true, streams-g2g.ts;
 * GStreamer: N branches rtspsrc latency=0 ! rtph264depay ! avdec_h264 ! fakesink sync=true in one
 * pipeline, streams-gst.ts). Late means the same on both sides: past the pipeline latency (GStreamer's
 * fakesink adds its processing-deadline, 20 ms; ours is given the same, BENCH_PROFILE) by more than
 * max-lateness (20 ms); the live profile's 100 ms glass-to-glass deadline, a rule GStreamer lacks, is off
 * in our sink (its latency shows in the g2g p95 column instead). A trial waits for every stream's first frame, lets them run for --warmup,
 * then measures a window of --duration: N sustains when every stream got ≥ 97% of the window's frames
 * (its length × 30) and dropped none, late or otherwise (streams-search.ts). The count is searched on
 * each side by doubling then bisection, the two sides' trials interleaved so that a change in the
 * machine's load falls on both.
 */

const FPS = 30;
/** A stream not playing this long after its trial started has failed. */
const READY_TIMEOUT_MS = 15_000;

export const STREAMS_USAGE = `Usage: g2g bench streams [--duration S] [--warmup S] [--max N] [--protocols tcp|udp] [--json]

The largest number N of live 640x360 ${FPS} fps RTSP streams (one g2g serve --test-pattern on loopback)
that one process decodes with no late drops, glass2glass (N pipelines rtspSrc ! h264Dec live=true !
fakeSink sync=true) beside GStreamer (N branches rtspsrc latency=0 ! rtph264depay ! avdec_h264 !
fakesink sync=true max-lateness=20ms in one pipeline), searched by doubling then bisection. A synced
frame is late past 20 ms of latency (GStreamer's fakesink processing-deadline; ours set to match) and
20 ms of max-lateness on both sides. N sustains when every stream delivered ≥ ${SUSTAIN_SHARE * 100}% of the
window's frames and dropped none.
  --duration S   measuring window of each trial, seconds (default 30)
  --warmup S     seconds of playing before the window opens (default 3)
  --max N        largest N tried (default 128)
  --protocols P  RTP over tcp (interleaved, default) or udp, on both sides
  --n N          no search: one trial of N streams on each side
  --retries R    a count that fails is tried again, up to R times (default 1): it sustains if one try
                 passes (the machine's other work can spoil one window; the same rule for both sides)
The last line reads: streams: g2g N, GStreamer M`;

export interface StreamsOptions {
  duration: number;
  warmup: number;
  max: number;
  /** One trial of this count per side instead of the search. */
  n?: number;
  /** Tries again of a count that failed. */
  retries: number;
  protocols: 'tcp' | 'udp';
  json: boolean;
  help: boolean;
}

export function parseStreamsArgs(args: readonly string[]): StreamsOptions {
  const o: StreamsOptions = { duration: 30, warmup: 3, max: 128, retries: 1, protocols: 'tcp', json: false, help: false };
  for (const a of benchArgs(args)) {
    if (a.name === '--json') o.json = true;
    else if (a.name === '-h' || a.name === '--help') o.help = true;
    else if (a.name === '--duration') o.duration = a.count(1);
    else if (a.name === '--warmup') o.warmup = a.count(0);
    else if (a.name === '--max') o.max = a.count(1);
    else if (a.name === '--n') o.n = a.count(1);
    else if (a.name === '--retries') o.retries = a.count(0);
    else if (a.name === '--protocols') {
      const v = a.value();
      if (v !== 'tcp' && v !== 'udp') throw new UsageError(`--protocols must be tcp or udp, got '${v}'`);
      o.protocols = v;
    } else throw new UsageError(`unknown option '${a.arg}'`);
  }
  return o;
}

/** One trial: one side playing N streams, measured over one window. */
export interface Trial {
  readonly side: 'g2g' | 'GStreamer';
  readonly n: number;
  /** 1 for the first try of this count, 2 for the first retry, … */
  readonly attempt: number;
  readonly sustained: boolean;
  readonly reason?: string;
  /** The window's length, s, and the frames per stream it should hold (length × 30). */
  readonly seconds: number;
  readonly expected: number;
  /** Frames per stream over the window: the fewest and the mean. */
  readonly framesMin: number;
  readonly framesMean: number;
  /** Late drops, every stream together. */
  readonly late: number;
  /** Drops of any kind, every stream together. */
  readonly drops: number;
  /** The side's process CPU over the window, per stream, in cores (0.05 = 5% of one core). */
  readonly cpuPerStream: number;
  /** The server's CPU over the window, in cores. */
  readonly serverCpu: number;
  /**
   * The rest of the machine's CPU over the window, in cores: its busy time less this side's process and
   * the server's (the machine is shared; the load average would count this side's own threads).
   */
  readonly otherCpu: number;
  /** Ours only: glass-to-glass p95 over the window, ms, every stream's frames together. */
  readonly g2gP95?: number;
  /** The latency every synced frame may use before it counts as late, ms (max-lateness comes on top). */
  readonly syncLatency?: number;
  /** 1-minute load average as the window opened. */
  readonly load: number;
}

export interface StreamsReport {
  readonly machine: string;
  readonly cores: number;
  readonly options: Omit<StreamsOptions, 'json' | 'help'>;
  readonly trials: readonly Trial[];
  /** The largest N that sustained, per side (0: not even one). */
  readonly g2g: number;
  readonly gst: number;
  /** 1-minute load average at the start and at the end of the run. */
  readonly loadStart: number;
  readonly loadEnd: number;
}

/** --n: the search's interface over one count. */
class OneTrial {
  private passed: boolean | undefined;
  constructor(private readonly n: number) {}
  next(): number | undefined {
    return this.passed === undefined ? this.n : undefined;
  }
  record(_n: number, passed: boolean): void {
    this.passed = passed;
  }
  get result(): number {
    return this.passed ? this.n : 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counters over the window, per stream. */
export function windowOf(a: SideSnapshot, b: SideSnapshot): StreamWindow[] {
  return b.streams.map((s, i) => ({
    frames: s.delivered - a.streams[i].delivered,
    late: s.late - a.streams[i].late,
    drops: s.drops - a.streams[i].drops,
    error: s.error,
  }));
}

async function trial(side: 'g2g' | 'GStreamer', n: number, attempt: number, server: TestServer, o: StreamsOptions, progress: Progress): Promise<Trial> {
  const s: StreamsSide = side === 'g2g' ? startG2gStreams(server.url, n, o.protocols) : await startGstStreams(server.url, n, o.protocols);
  try {
    progress(`${side} ×${n}: starting`);
    for (const t0 = Date.now(); ; await sleep(200)) {
      const snap = await s.snap();
      if (snap.streams.every((x) => x.delivered > 0 || x.error !== undefined)) break;
      if (Date.now() - t0 > READY_TIMEOUT_MS) break; // the window shows which did not play
    }
    progress(`${side} ×${n}: warm-up ${o.warmup} s`);
    await sleep(o.warmup * 1000);
    const load = loadavg()[0];
    const server0 = server.cpu();
    const busy0 = readMachineBusy();
    s.openWindow?.();
    const a = await s.snap();
    progress(`${side} ×${n}: measuring ${o.duration} s`);
    await sleep(o.duration * 1000);
    const b = await s.snap();
    const latency = s.closeWindow?.();
    const server1 = server.cpu();
    const busy1 = readMachineBusy();
    const seconds = (b.at - a.at) / 1e9;
    const expected = seconds * FPS;
    const streams = windowOf(a, b);
    const verdict = sustains(streams, expected);
    const frames = streams.map((x) => x.frames);
    return {
      side,
      n,
      attempt,
      sustained: verdict.sustained,
      reason: verdict.reason,
      seconds,
      expected,
      framesMin: Math.min(...frames),
      framesMean: frames.reduce((x, y) => x + y, 0) / n,
      late: streams.reduce((x, y) => x + y.late, 0),
      drops: streams.reduce((x, y) => x + y.drops, 0),
      cpuPerStream: (b.cpu - a.cpu) / (b.at - a.at) / n,
      serverCpu: (server1 - server0) / (b.at - a.at),
      otherCpu: Math.max(0, (busy1 - busy0 - (b.cpu - a.cpu) - (server1 - server0)) / (b.at - a.at)),
      g2gP95: latency && latency.count > 0 ? latency.p95 / 1e6 : undefined,
      syncLatency: side === 'g2g' ? BENCH_PROFILE.latency / 1e6 : b.syncLatency === undefined ? undefined : b.syncLatency / 1e6,
      load,
    };
  } finally {
    await s.stop();
    // Sockets and decoder threads of this trial gone before the next starts.
    await sleep(500);
  }
}

export async function runStreams(o: StreamsOptions, progress: Progress = () => undefined): Promise<StreamsReport> {
  const missing = gstMissing();
  if (missing) throw new Error(`GStreamer's side cannot run: ${missing}`);
  const loadStart = loadavg()[0];
  const server = await startTestServer();
  const search = () => (o.n === undefined ? new MaxSearch(o.max) : new OneTrial(o.n));
  const searches = { g2g: search(), GStreamer: search() };
  const trials: Trial[] = [];
  try {
    // Interleaved: a trial of each side in turn, while either search has a count to try.
    for (;;) {
      let tried = false;
      for (const side of ['g2g', 'GStreamer'] as const) {
        const n = searches[side].next();
        if (n === undefined) continue;
        let t = await trial(side, n, 1, server, o, progress);
        trials.push(t);
        for (let k = 1; !t.sustained && k <= o.retries; k++) trials.push((t = await trial(side, n, k + 1, server, o, progress)));
        searches[side].record(n, t.sustained);
        tried = true;
      }
      if (!tried) break;
    }
  } finally {
    await server.stop();
  }
  const { json: _json, help: _help, ...options } = o;
  return {
    machine: `${cpuModel()}, ${cpus().length} cores`,
    cores: cpus().length,
    options,
    trials,
    g2g: searches.g2g.result,
    gst: searches.GStreamer.result,
    loadStart,
    loadEnd: loadavg()[0],
  };
}

const pct = (cores: number) => (Number.isFinite(cores) ? `${(cores * 100).toFixed(1)}%` : '-');

/** The report as text: every trial by side and N, the figures at each side's N, and the last line tools read. */
export function formatStreamsReport(r: StreamsReport): string {
  const sorted = [...r.trials].sort((a, b) => (a.side === b.side ? a.n - b.n || a.attempt - b.attempt : a.side === 'g2g' ? -1 : 1));
  const rows = [
    [
      'side',
      'N',
      'try',
      'sustained',
      'frames/stream min',
      'mean',
      'of',
      'late',
      'drops',
      'CPU/stream',
      'server CPU',
      'others CPU',
      'g2g p95 ms',
      'sync latency ms',
      'load',
    ],
    ...sorted.map((t) => [
      t.side,
      String(t.n),
      String(t.attempt),
      t.sustained ? 'yes' : 'no',
      String(t.framesMin),
      t.framesMean.toFixed(1),
      t.expected.toFixed(0),
      String(t.late),
      String(t.drops),
      pct(t.cpuPerStream),
      pct(t.serverCpu),
      pct(t.otherCpu),
      t.g2gP95 === undefined ? '-' : t.g2gP95.toFixed(1),
      t.syncLatency === undefined ? '-' : t.syncLatency.toFixed(0),
      t.load.toFixed(2),
    ]),
  ];
  const at = (side: 'g2g' | 'GStreamer', n: number) => r.trials.find((t) => t.side === side && t.n === n && t.sustained);
  const summary = (side: 'g2g' | 'GStreamer', n: number) => {
    const t = at(side, n);
    if (!t) return `${side}: no stream count sustained`;
    return `${side} at N=${n}: CPU per stream ${pct(t.cpuPerStream)} of a core${
      t.g2gP95 === undefined ? '' : `, glass-to-glass p95 ${t.g2gP95.toFixed(1)} ms`
    }`;
  };
  const o = r.options;
  return [
    `g2g bench streams: ${r.machine}; window ${o.duration} s after ${o.warmup} s warm-up, RTP over ${o.protocols}, ${
      o.n === undefined ? `N up to ${o.max}` : `N = ${o.n}`
    }, a failed count tried up to ${o.retries} more time(s)`,
    `load average ${r.loadStart.toFixed(2)} at the start, ${r.loadEnd.toFixed(
      2
    )} at the end (CPU in cores: 100% = one core; others: the machine's busy time less the side and the server)`,
    '',
    ...table(rows),
    '',
    ...r.trials.filter((t) => !t.sustained && t.reason).map((t) => `${t.side} ×${t.n} (try ${t.attempt}) not sustained: ${t.reason}`),
    summary('g2g', r.g2g),
    summary('GStreamer', r.gst),
    `streams: g2g ${r.g2g}, GStreamer ${r.gst}`,
  ].join('\n');
}

/** `g2g bench streams`. Returns the exit code. */
export function benchStreams(args: string[], io: CliIo = processIo): Promise<number> {
  return runBenchCommand(
    { name: 'g2g bench streams', usage: STREAMS_USAGE, parse: parseStreamsArgs, run: runStreams, text: formatStreamsReport, stack: true },
    args,
    io
  );
}
