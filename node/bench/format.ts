import { benchArgs, fmtMs, fmtTimes, median, table, UsageError } from './harness';

// Re-exported: the core bench's tests and callers import them from here.
export { median, UsageError };

/**
 * The benchmark's pure parts: option parsing, gst-launch output parsing, statistics and printing. No
 * timing happens here, so all of it is unit-tested (test/bench/format.test.ts).
 */

export interface BenchOptions {
  /** Packets per run (GStreamer's num-buffers). */
  packets: number;
  /** Identity hop counts to measure; 0 (the baseline for ns/hop) is always measured too. */
  hops: number[];
  /** Measure the fakeSrc → queue → fakeSink case as well. */
  queue: boolean;
  /** Timed runs per case; the median is reported. */
  runs: number;
  json: boolean;
  /** Measure GStreamer when gst-launch-1.0 is on PATH. */
  gst: boolean;
  /** Also run the hot-path design experiments (async generators, promise per hop, …). */
  experiments: boolean;
  help: boolean;
}

export const DEFAULT_OPTIONS: Readonly<BenchOptions> = Object.freeze({
  packets: 1_000_000,
  hops: [0, 1, 5, 10],
  queue: true,
  runs: 3,
  json: false,
  gst: true,
  experiments: false,
  help: false,
});

export const USAGE = `usage: g2g bench [--packets N] [--hops 0,1,5,10] [--queue | --no-queue] [--runs N] [--json] [--no-gst] [--experiments]
       g2g bench remux|rtp|decode|rtsp [--runs N] [--json]   (H.264 remux/parse, RTP packetising, decoding, RTSP glass-to-glass beside GStreamer and ffmpeg)
       g2g bench audio [--runs N] [--seconds N] [--json]     (AAC and Opus decode and encode beside ffmpeg)
       g2g bench bridge [--buffers N] [--runs N]   (per-buffer cost of crossing into and out of GStreamer through gstBin, beside gst-launch-1.0 alone)
       g2g bench decode-pool [--streams N] [--size WxH] [--frames N] [--fps N] [--runs N]   (N live decoders on the shared decoder pool against a thread each)
       g2g bench streams [--duration S] [--max N] [--json]   (the most live RTSP streams one process decodes with no late frame, beside GStreamer)

Measures fakeSrc num-buffers=N ! identity ×hops ! fakeSink (and ! queue !) in glass2glass and, when
gst-launch-1.0 is on PATH, the same pipelines in GStreamer. Each case runs once to warm up, then
--runs times (default 3, interleaved); the MEDIAN is reported. A num-buffers=0 run of the same pipeline
is subtracted from each, so start-up (process spawn for GStreamer) is not counted per packet.
  --packets N      packets per run (default 1000000; accepts 1e6, 1_000_000, 500k, 2M)
  --hops LIST      identity hop counts (default 0,1,5,10)
  --queue          include the queue case (default); --no-queue leaves it out
  --runs N         timed runs per case (default 3)
  --json           print machine-readable results
  --no-gst         do not run GStreamer
  --experiments    also time alternative hot-path designs (async generators, promise per hop, …)`;

/** Parses a count: 1000000, 1_000_000, 1e6, 500k, 2M. */
export function parseCount(text: string, what: string): number {
  const m = /^(\d[\d_]*(?:\.\d+)?(?:e\d+)?)([kKmM]?)$/.exec(text.trim());
  const n = m ? Number(m[1].replace(/_/g, '')) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1e3 : 1e6) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${what} must be a whole number ≥ 0, got '${text}'`);
  return n;
}

export function parseBenchArgs(args: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...DEFAULT_OPTIONS, hops: [...DEFAULT_OPTIONS.hops] };
  for (const opt of benchArgs(args)) {
    switch (opt.name) {
      case '--packets':
      case '-n':
        o.packets = parseCount(opt.value(), '--packets');
        if (o.packets < 1) throw new UsageError('--packets must be ≥ 1');
        break;
      case '--hops': {
        const list = opt
          .value()
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => parseCount(s, '--hops'));
        if (list.length === 0) throw new UsageError('--hops needs at least one count');
        o.hops = [...new Set(list)].sort((a, b) => a - b);
        break;
      }
      case '--runs':
        o.runs = parseCount(opt.value(), '--runs');
        if (o.runs < 1) throw new UsageError('--runs must be ≥ 1');
        break;
      case '--queue':
        o.queue = true;
        break;
      case '--no-queue':
        o.queue = false;
        break;
      case '--json':
        o.json = true;
        break;
      case '--no-gst':
        o.gst = false;
        break;
      case '--experiments':
        o.experiments = true;
        break;
      case '--help':
      case '-h':
        o.help = true;
        break;
      default:
        throw new UsageError(`unknown option '${opt.arg}'`);
    }
  }
  return o;
}

/**
 * gst-launch's own timing, "Execution ended after 0:00:01.234000000" (GST_TIME_FORMAT, H:MM:SS.fraction),
 * in ns; undefined when the output has no such line (gst-launch -q prints none).
 */
export function parseExecutionEnded(output: string): number | undefined {
  const m = /Execution ended after (\d+):(\d\d):(\d\d)(?:\.(\d+))?/.exec(output);
  if (!m) return undefined;
  const frac = (m[4] ?? '').padEnd(9, '0').slice(0, 9);
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1e9 + Number(frac);
}

/** "gst-launch-1.0 version 1.22.0" → "1.22.0". */
export function parseGstVersion(output: string): string | undefined {
  return /gst-launch-1\.0 version (\S+)/.exec(output)?.[1] ?? /GStreamer (\d+\.\d+\.\d+)/.exec(output)?.[1];
}

/** One implementation's timing of one case. All times ns; per-run arrays are in run order. */
export interface Timing {
  /** Wall time of each timed run of N packets. */
  readonly runs: readonly number[];
  /** Median wall time of the num-buffers=0 run of the same pipeline (set-up and tear-down). */
  readonly baseline: number;
  /** median(runs) − baseline. */
  readonly net: number;
  readonly nsPerPacket: number;
  /** (net − net of hops 0) / N / hops; undefined for hops 0. */
  readonly nsPerHop: number | undefined;
  /** GStreamer only: median of gst-launch's own "Execution ended after" (excludes process start-up). */
  readonly selfReported?: number;
}

export interface CaseResult {
  /** '0', '1', … or 'queue'. */
  readonly label: string;
  readonly kind: 'identity' | 'queue';
  /** Elements between source and sink. */
  readonly hops: number;
  readonly g2g: Timing;
  readonly gst?: Timing;
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly platform: string;
  readonly node: string;
  readonly gst?: string;
  /** 1-minute load average when the benchmark started: other processes competing for the CPUs. */
  readonly loadAverage: number;
}

export interface BenchReport {
  readonly packets: number;
  readonly runs: number;
  readonly statistic: 'median';
  readonly machine: MachineInfo;
  readonly cases: readonly CaseResult[];
  /** Why GStreamer was not measured; undefined when it was. */
  readonly gstSkipped?: string;
  readonly experiments?: readonly ExperimentResult[];
}

export interface ExperimentResult {
  readonly name: string;
  readonly description: string;
  readonly packets: number;
  /** ns per packet for each measured hop count. */
  readonly nsPerPacket: Readonly<Record<string, number>>;
  /** Slope: (t_max − t_0) / N / max hops. */
  readonly nsPerHop: number;
}

/** Per-packet and per-hop figures from median wall times; `zero` is the hops-0 case's net time. */
export function derive(
  runs: readonly number[],
  baseline: number,
  packets: number,
  hops: number,
  zeroNet: number | undefined
): Pick<Timing, 'net' | 'nsPerPacket' | 'nsPerHop'> {
  const net = Math.max(0, median(runs) - baseline);
  return {
    net,
    nsPerPacket: net / packets,
    nsPerHop: hops > 0 && zeroNet !== undefined ? (net - zeroNet) / packets / hops : undefined,
  };
}

export function fmtNs(ns: number | undefined, digits = 1): string {
  return ns === undefined || !Number.isFinite(ns) ? '-' : ns.toFixed(digits);
}

export function fmtRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return '-';
  return fmtTimes(a / b);
}

/** A load average above this at start means other work shares the CPUs with the benchmark. */
export const BUSY_LOAD = 0.5;

export function formatReport(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `g2g bench: ${r.packets} packets per run, ${r.statistic} of ${r.runs} runs after 1 warm-up, num-buffers=0 run subtracted`,
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.platform}, node ${m.node}${m.gst ? `, GStreamer ${m.gst}` : ''}`,
  ];
  if (m.loadAverage > BUSY_LOAD)
    lines.push(`warning: load average ${m.loadAverage.toFixed(2)} at start: other processes compete for the CPUs, numbers are noisy`);
  lines.push('');
  const rows = [['hops', 'g2g ns/pkt', 'g2g ns/hop', 'gst ns/pkt', 'gst ns/hop', 'ratio/pkt', 'ratio/hop']];
  for (const c of r.cases) {
    rows.push([
      c.label,
      fmtNs(c.g2g.nsPerPacket),
      fmtNs(c.g2g.nsPerHop),
      fmtNs(c.gst?.nsPerPacket),
      fmtNs(c.gst?.nsPerHop),
      fmtRatio(c.g2g.nsPerPacket, c.gst?.nsPerPacket),
      fmtRatio(c.g2g.nsPerHop, c.gst?.nsPerHop),
    ]);
  }
  lines.push(...table(rows));
  lines.push('', 'ns/hop = (t_hops − t_0) / N / hops; queue row: (t_queue − t_0) / N. ratio = g2g / GStreamer (< 1: g2g is faster).');
  if (r.gstSkipped) lines.push(`GStreamer skipped: ${r.gstSkipped}`);
  else {
    const detail = r.cases
      .filter((c) => c.gst)
      .map((c) => `${c.label}: ${fmtMs(c.gst!.baseline)}${c.gst!.selfReported !== undefined ? `/${fmtMs(c.gst!.selfReported)}` : ''}`);
    lines.push(`GStreamer process start-up+teardown subtracted / gst-launch's own "Execution ended" (ms) — ${detail.join(', ')}`);
  }
  if (r.experiments?.length) lines.push('', ...formatExperiments(r.experiments));
  return lines.join('\n');
}

export function formatExperiments(xs: readonly ExperimentResult[]): string[] {
  const keys = [...new Set(xs.flatMap((x) => Object.keys(x.nsPerPacket)))].sort((a, b) => Number(a) - Number(b));
  const rows = [['hot-path experiment', ...keys.map((k) => `${k} hops ns/pkt`), 'ns/hop']];
  for (const x of xs) rows.push([x.name, ...keys.map((k) => fmtNs(x.nsPerPacket[k])), fmtNs(x.nsPerHop)]);
  return [...table(rows), ...xs.map((x) => `  ${x.name}: ${x.description}`)];
}
