import { execFile, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { pipe } from '../../src';
import { fakeSink, fileSrc, h264Parse, rtpH264Pay } from '../../operators';
import { REMUX_BLOCKSIZE, remuxOpener } from '../cli/remux';
import { nodeFileOpener } from '../drivers/fs';
import { findOnPath } from './gstreamer';
import { benchInput, errorGist, tinyInput } from './remux';

export const RTP_BENCH_USAGE = `usage: g2g bench rtp [--runs N] [--warmup N] [--input FILE.h264] [--json]

Packetises the 1920x1080 30 fps 20 s high-profile stream (the remux benchmark's) into RTP at MTU 1400:
  g2g           fileSrc (1 MiB reads, one read ahead) ! h264Parse ! rtpH264Pay mtu=1400 ! fakeSink
  g2g-defaults  the same with fileSrc's defaults (64 KiB reads, none ahead)
  gst           gst-launch-1.0 -q filesrc ! h264parse ! rtph264pay mtu=1400 ! fakesink
Each side reads the file, parses it and payloads it. g2g runs in this process: its first (cold) run is
shown, then --warmup more runs of each variant are left out (V8 takes a few runs of this stream to
finish optimising it: ~100–150 ms of CPU for each of the first runs, ~20 ms once warm). gst-launch
runs as a child whose start-up (the same command on a 2-frame input, run beside each timed run, best
kept) is subtracted. The runs are interleaved, with an untimed g2g run after each pair of children
(a spawn forks this process, and the next run would pay its copy-on-write faults); the BEST time is
kept (the work is deterministic: anything slower is other processes' interference) and the range shown.
Packets per second count each side's own packets (GStreamer's, once, from fakesink's handoff log).
CPU time (user + system, all threads: g2g's from process.cpuUsage, gst-launch's from its rusage via
bash's \`time\`, start-up subtracted the same way) is shown beside: on a loaded machine it is the steadier
comparison, as a process's CPU time does not count the time it waits for a core.
  --runs N       timed runs per case (default 7)
  --warmup N     untimed g2g runs of each variant after the cold one (default 5)
  --input FILE   time this Annex B file instead of the generated one
  --json         machine-readable results (schema "g2g-bench-rtp/1")`;

export interface RtpBenchOptions {
  runs: number;
  warmup: number;
  input?: string;
  json: boolean;
  help: boolean;
}

export class RtpBenchUsageError extends Error {
  override readonly name = 'RtpBenchUsageError';
}

export function parseRtpBenchArgs(args: readonly string[]): RtpBenchOptions {
  const o: RtpBenchOptions = { runs: 7, warmup: 5, json: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined) throw new RtpBenchUsageError(`${name} needs a value`);
      return v;
    };
    const count = (min: number): number => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < min) throw new RtpBenchUsageError(`${name} must be a whole number ≥ ${min}, got '${v}'`);
      return Number(v);
    };
    if (name === '--json') o.json = true;
    else if (name === '-h' || name === '--help') o.help = true;
    else if (name === '--runs') o.runs = count(1);
    else if (name === '--warmup') o.warmup = count(0);
    else if (name === '--input') o.input = value();
    else throw new RtpBenchUsageError(`unknown option '${a}'`);
  }
  return o;
}

export type RtpImpl = 'g2g' | 'g2g-defaults' | 'gst';

/** One timed run: wall and CPU (user + system, all threads) ns. */
export interface RtpRun {
  readonly wall: number;
  readonly cpu: number;
}

export interface RtpBenchRow {
  readonly impl: RtpImpl;
  readonly label: string;
  /** Each timed run, the peer's start-up not yet subtracted. */
  readonly runs: readonly RtpRun[];
  /** Subtracted from every run (a child's start-up, best wall and best CPU); 0 in process. */
  readonly startup: RtpRun;
  /** RTP packets the implementation produced. */
  readonly packets: number;
  /** Best run less start-up, ns; min and max of all runs so. */
  readonly best: number;
  readonly worst: number;
  readonly packetsPerSecond: number;
  /** Least CPU time of a run less start-up, ns. */
  readonly cpu: number;
  /** This row's packets/s ÷ GStreamer's (above 1: g2g is faster); absent for gst or without it. */
  readonly vsGst?: number;
  /** The same by CPU time: packets per CPU second ÷ GStreamer's. */
  readonly cpuVsGst?: number;
}

export type RtpRawRow = Pick<RtpBenchRow, 'impl' | 'label' | 'runs' | 'startup' | 'packets'>;

export interface RtpBenchReport {
  readonly schema: 'g2g-bench-rtp/1';
  readonly machine: { readonly cpuModel: string; readonly cpus: number; readonly node: string; readonly loadAverage: readonly number[] };
  readonly input: string;
  readonly runs: number;
  readonly warmup: number;
  /** g2g's first run in this process, ns: JIT compilation and all. */
  readonly coldNs: number;
  readonly rows: readonly RtpBenchRow[];
  readonly skipped: readonly string[];
}

/** Rows from raw timings: best and worst net of start-up, packets/s, ratio to GStreamer's packets/s. */
export function buildRtpRows(raw: readonly RtpRawRow[]): RtpBenchRow[] {
  const rows = raw.map((r) => {
    const wall = r.runs.map((t) => Math.max(1, t.wall - r.startup.wall));
    const cpu = r.runs.map((t) => Math.max(1, t.cpu - r.startup.cpu));
    const best = Math.min(...wall);
    return { ...r, best, worst: Math.max(...wall), packetsPerSecond: r.packets / (best / 1e9), cpu: Math.min(...cpu) };
  });
  const gst = rows.find((r) => r.impl === 'gst');
  if (!gst) return rows;
  const perCpu = (r: RtpBenchRow) => r.packets / r.cpu;
  return rows.map((r) => (r.impl === 'gst' ? r : { ...r, vsGst: r.packetsPerSecond / gst.packetsPerSecond, cpuVsGst: perCpu(r) / perCpu(gst) }));
}

export function formatRtpReport(r: RtpBenchReport): string {
  const m = r.machine;
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  const lines = [
    `g2g bench rtp: ${r.input} → RTP at MTU 1400`,
    `machine: ${m.cpuModel}, ${m.cpus} CPUs, node ${m.node}, load ${m.loadAverage.map((x) => x.toFixed(2)).join(' ')}`,
    `best of ${r.runs} (range in brackets) after a cold run (g2g ${ms(r.coldNs)} ms) and ${r.warmup} warm-up run(s)`,
    '',
  ];
  const ratio = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(2)}×`);
  const rows = [['implementation', 'packets', 'best ms', '(range)', 'packets/s', 'vs gst', 'CPU ms', 'vs gst (CPU)']];
  for (const x of r.rows) {
    rows.push([x.label, String(x.packets), ms(x.best), `(${ms(x.best)}–${ms(x.worst)})`, Math.round(x.packetsPerSecond).toString(), ratio(x.vsGst), ms(x.cpu), ratio(x.cpuVsGst)]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push(row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  '));
  const gst = r.rows.find((x) => x.impl === 'gst');
  if (gst) {
    lines.push('', `gst: start-up ${ms(gst.startup.wall)} ms (${ms(gst.startup.cpu)} ms CPU) subtracted. vs gst: packets/s ÷ GStreamer's (above 1: g2g is faster);`);
    lines.push('(CPU): packets per CPU second ÷ GStreamer\'s, the steadier figure on a loaded machine.');
  }
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  return lines.join('\n');
}

const exec = promisify(execFile);

const gstArgs = (file: string, log = false): string[] => [
  log ? '-v' : '-q',
  'filesrc',
  `location=${file}`,
  '!',
  'h264parse',
  '!',
  'rtph264pay',
  'mtu=1400',
  '!',
  'fakesink',
  ...(log ? ['silent=false'] : []),
];

/** GStreamer's packet count: fakesink's handoff log has a "chain" line per buffer (untimed: printing is slow). */
async function countGstPackets(gst: string, input: string): Promise<number> {
  const { stdout } = await exec(gst, gstArgs(input, true), { maxBuffer: 1 << 28 });
  return stdout.split('\n').filter((l) => l.includes('last-message = chain')).length;
}

async function timeOurs(input: string, defaults: boolean): Promise<RtpRun & { packets: number }> {
  let packets = 0;
  const src = defaults ? fileSrc({ location: input, opener: nodeFileOpener }) : fileSrc({ location: input, opener: remuxOpener(), blocksize: REMUX_BLOCKSIZE });
  const p = pipe(src, h264Parse(), rtpH264Pay({ mtu: 1400 }), fakeSink({ onPacket: () => void packets++ }));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await p.run({ profile: 'throughput' });
  const wall = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) * 1000, packets };
}

/**
 * A child's wall time (spawn to exit) and CPU time (its rusage, which bash's `time` prints to the
 * millisecond). The wall time includes bash's own start, as does the start-up run it is reduced by.
 */
function timeChildCpu(bin: string, args: readonly string[]): Promise<RtpRun> {
  return new Promise((resolve, reject) => {
    let err = '';
    const t0 = process.hrtime.bigint();
    let exitAt = 0n;
    let status: number | null = null;
    // The child's stderr and bash's report share the pipe: the report is the last line.
    const script = 'TIMEFORMAT="G2G_CPU %3U %3S"; time "$@" >/dev/null';
    const child = spawn('bash', ['-c', script, 'bash', bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      exitAt = process.hrtime.bigint();
      status = code;
    });
    child.on('close', () => {
      const m = /G2G_CPU (\d+\.\d+) (\d+\.\d+)\s*$/.exec(err);
      if (status !== 0 || !m) reject(new Error(`exit ${status}: ${errorGist(err)}`));
      else resolve({ wall: Number(exitAt - t0), cpu: (Number(m[1]) + Number(m[2])) * 1e9 });
    });
  });
}

export async function runRtpBench(o: RtpBenchOptions, progress: (m: string) => void = () => undefined): Promise<RtpBenchReport> {
  const input = o.input ?? (await benchInput());
  const gst = findOnPath('gst-launch-1.0');
  const skipped: string[] = [];
  progress('cold run');
  const cold = await timeOurs(input, false);
  for (let i = 0; i < o.warmup; i++) {
    progress(`warm-up ${i + 1}/${o.warmup}`);
    await timeOurs(input, false);
    await timeOurs(input, true);
  }
  let gstPackets = 0;
  let gstOk = false;
  if (!gst) skipped.push('gst-launch-1.0 is not on PATH (Debian: apt install gstreamer1.0-tools gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)');
  else {
    try {
      progress('counting GStreamer packets');
      gstPackets = await countGstPackets(gst, input);
      await timeChildCpu(gst, gstArgs(input));
      await timeChildCpu(gst, gstArgs(await tinyInput()));
      gstOk = true;
    } catch (e) {
      skipped.push(`gst-launch-1.0 failed (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const ours: RtpRun[] = [];
  const defaults: RtpRun[] = [];
  const peer: RtpRun[] = [];
  const peerStartup: RtpRun[] = [];
  const tiny = gst && gstOk ? await tinyInput() : undefined;
  let packets = cold.packets;
  let defaultPackets = 0;
  for (let r = 0; r < o.runs; r++) {
    progress(`run ${r + 1}/${o.runs}`);
    if (gst && tiny) {
      peer.push(await timeChildCpu(gst, gstArgs(input)));
      // Start-up sampled beside each run, under the same load as the runs it is subtracted from.
      peerStartup.push(await timeChildCpu(gst, gstArgs(tiny)));
      // Spawning forks this process: every page it then writes first takes a copy-on-write fault
      // (~6000 in the next run here, 5–10 ms of CPU). That is the harness's cost, not the pipeline's:
      // an untimed run takes it.
      await timeOurs(input, true);
    }
    const a = await timeOurs(input, false);
    ours.push(a);
    packets = a.packets;
    const b = await timeOurs(input, true);
    defaults.push(b);
    defaultPackets = b.packets;
  }
  const none: RtpRun = { wall: 0, cpu: 0 };
  const startup: RtpRun = peerStartup.length ? { wall: Math.min(...peerStartup.map((r) => r.wall)), cpu: Math.min(...peerStartup.map((r) => r.cpu)) } : none;
  const raw: RtpRawRow[] = [
    { impl: 'g2g', label: 'g2g fileSrc(1 MiB, read-ahead) ! h264Parse ! rtpH264Pay ! fakeSink', runs: ours, startup: none, packets },
    { impl: 'g2g-defaults', label: 'g2g, fileSrc defaults (64 KiB)', runs: defaults, startup: none, packets: defaultPackets },
  ];
  if (peer.length) raw.push({ impl: 'gst', label: 'gst-launch filesrc ! h264parse ! rtph264pay ! fakesink', runs: peer, startup, packets: gstPackets });
  return {
    schema: 'g2g-bench-rtp/1',
    machine: { cpuModel: cpus()[0]?.model.trim() ?? 'unknown', cpus: cpus().length, node: process.version, loadAverage: loadavg() },
    input,
    runs: o.runs,
    warmup: o.warmup,
    coldNs: cold.wall,
    rows: buildRtpRows(raw),
    skipped,
  };
}

/** `g2g bench rtp [options]`: prints the table (or JSON); returns the exit code. */
export async function benchRtp(args: string[]): Promise<number> {
  let o: RtpBenchOptions;
  try {
    o = parseRtpBenchArgs(args);
  } catch (e) {
    if (!(e instanceof RtpBenchUsageError)) throw e;
    process.stderr.write(`g2g bench rtp: ${e.message}\n${RTP_BENCH_USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${RTP_BENCH_USAGE}\n`);
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const progress = tty ? (m: string) => void process.stderr.write(`\r\x1b[K${m}`) : () => undefined;
  try {
    const report = await runRtpBench(o, progress);
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatRtpReport(report)}\n`);
    return 0;
  } catch (e) {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`g2g bench rtp: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
