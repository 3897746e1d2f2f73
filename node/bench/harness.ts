import { cpus } from 'node:os';
import { processIo, UsageError, type CliIo } from '../cli/io';
import type { ProgressOutput } from '../cli/progress';

/**
 * What every `g2g bench …` command shares, kept once: the usage error, option reading, the statistics
 * and number formats of the reports, and the runner that prints through the CLI's output (CliIo), so
 * that the benches can be run, and read, in-process.
 */

/** The CLI's own: a bad bench command line is the same kind of error as any other command's. */
export { UsageError };

/** A status line while a bench runs (which case, which run). */
export type Progress = (message: string) => void;

/** One argument of a bench command line. */
export interface BenchArg {
  /** As given. */
  readonly arg: string;
  /** `--runs` of `--runs=5` or `--runs 5`; any other argument as given. */
  readonly name: string;
  /** The value after `=`, else the next argument (taken). */
  value(): string;
  /** The value as a whole number ≥ min. */
  count(min: number): number;
}

/** Walks a command line; an option's value is read only when the caller asks for it. */
export function* benchArgs(args: readonly string[]): Generator<BenchArg> {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.indexOf('=');
    const inline = arg.startsWith('--') && eq > 0;
    const name = inline ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = inline ? arg.slice(eq + 1) : args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const count = (min: number): number => {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${name} must be a whole number ≥ ${min}, got '${v}'`);
      return Number(v);
    };
    yield { arg, name, value, count };
  }
}

/** The options of the benches that time peers on one input file (remux, rtp). */
export interface FileBenchOptions {
  runs: number;
  /** Untimed g2g runs before the timed ones. */
  warmup?: number;
  /** An Annex B file to time instead of the generated one. */
  input?: string;
  json: boolean;
  help: boolean;
}

/** `--runs N --warmup N --input FILE --json --help`, over the bench's defaults. */
export function parseFileBenchArgs<O extends FileBenchOptions>(args: readonly string[], defaults: O): O {
  const o: FileBenchOptions = { ...defaults };
  for (const a of benchArgs(args)) {
    if (a.name === '--json') o.json = true;
    else if (a.name === '-h' || a.name === '--help') o.help = true;
    else if (a.name === '--runs') o.runs = a.count(1);
    else if (a.name === '--warmup') o.warmup = a.count(0);
    else if (a.name === '--input') o.input = a.value();
    else throw new UsageError(`unknown option '${a.arg}'`);
  }
  return o as O;
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The value at rank ⌊p% × n⌋ of the sorted values (no interpolation: one that was measured); NaN for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** ns as ms, one decimal. */
export const fmtMs = (ns: number): string => (ns / 1e6).toFixed(1);

/** A ratio as `1.23×`; `-` where there is none. */
export const fmtTimes = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}×`);

/** Aligned columns: the first `left` padded on the right (labels), the rest on the left (numbers). */
export function table(rows: readonly string[][], left = 1): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd());
}

/** Wall and CPU time (user + system, every thread of this process), ns, of one in-process run. */
export async function timeWallCpu(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const wall = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) * 1000 };
}

export const cpuModel = (): string => cpus()[0]?.model.trim() ?? 'unknown';

/** A bench that measures first and prints one report at the end (text, or JSON with --json). */
export interface BenchCommand<O extends { help: boolean; json: boolean }, R> {
  /** Prefixes its messages: `g2g bench remux`. */
  readonly name: string;
  readonly usage: string;
  parse(args: readonly string[]): O;
  run(o: O, progress: Progress): Promise<R>;
  text(report: R): string;
  /** What --json prints; default the report. */
  json?(report: R): unknown;
  /** A failure prints its stack, not only its message. */
  readonly stack?: boolean;
}

/** Progress redraws one line, so it goes only to a terminal: piped and --json output stay clean. */
const terminalStderr = (): ProgressOutput | undefined => (process.stderr.isTTY === true ? process.stderr : undefined);

/** Parses, runs and prints one bench; returns the exit code (2: bad command line, 1: the bench failed). */
export async function runBenchCommand<O extends { help: boolean; json: boolean }, R>(
  cmd: BenchCommand<O, R>,
  args: readonly string[],
  io: CliIo = processIo,
  terminal: ProgressOutput | undefined = terminalStderr(),
): Promise<number> {
  let o: O;
  try {
    o = cmd.parse(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`${cmd.name}: ${e.message}\n${cmd.usage}`);
    return 2;
  }
  if (o.help) {
    io.out(cmd.usage);
    return 0;
  }
  const progress: Progress = terminal ? (m) => void terminal.write(`\r\x1b[K${m}`) : () => undefined;
  const clear = () => void terminal?.write('\r\x1b[K');
  try {
    const report = await cmd.run(o, progress);
    clear();
    io.out(o.json ? JSON.stringify(cmd.json ? cmd.json(report) : report, null, 2) : cmd.text(report));
    return 0;
  } catch (e) {
    clear();
    io.err(`${cmd.name}: ${e instanceof Error ? (cmd.stack ? (e.stack ?? e.message) : e.message) : String(e)}`);
    return 1;
  }
}
