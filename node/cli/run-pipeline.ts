import { systemClock } from '../../src/clock/system-clock';
import { NegotiationError } from '../../src/pipeline/errors';
import type { Caps } from '../../src/caps';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { formatStats, type PipelineStats } from '../../src/pipeline/stats';
import { formatTime } from '../../src/time';
import { AbortError } from '../../src/util/abort';
import type { CliIo } from './io';
import { writeFile } from 'node:fs/promises';
import { renderReport, ReportRecorder } from './report';

export interface CliRunOptions {
  readonly profile: 'live' | 'throughput';
  readonly strict?: boolean;
  /** Print a progress line every second while running. */
  readonly stats?: boolean;
  /** Print errors only. */
  readonly quiet?: boolean;
  /** Print the fixed caps of every link as data starts flowing and when they change (gst-launch -v). */
  readonly verbose?: boolean;
  /** Where Ctrl-C comes from; default: the process's SIGINT. Returns a function that stops listening. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Write a self-contained HTML latency report here at the end (`--report FILE.html`). */
  readonly report?: string;
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
/** A run stopped by a second Ctrl-C, as shells report a process killed by SIGINT. */
export const EXIT_ABORTED = 130;

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

function progress(s: PipelineStats): string {
  const l = s.latency;
  const latency = l.count > 0 ? `  latency p50 ${(l.p50 / 1e6).toFixed(3)} ms  max ${(l.max / 1e6).toFixed(3)} ms` : '';
  return `${formatTime(s.duration)}  delivered ${s.delivered}  drops ${s.drops}${latency}`;
}

/**
 * Runs a pipeline as gst-launch does: negotiates first (a NegotiationError is printed before anything
 * runs), then runs on the system clock; the first Ctrl-C asks for end-of-stream (gst-launch -e), the
 * second aborts. Prints the stats at the end. Returns the exit code.
 */
export async function runPipeline(pipeline: Pipeline, options: CliRunOptions, io: CliIo): Promise<number> {
  const say = (text: string) => {
    if (!options.quiet) io.out(text);
  };
  try {
    pipeline.negotiate();
  } catch (e) {
    io.err(`ERROR: ${e instanceof NegotiationError ? e.message : `could not set up the pipeline: ${e instanceof Error ? e.message : String(e)}`}`);
    return EXIT_ERROR;
  }
  // gst-launch -v: the caps each link carries, as they become fixed (first packet) and whenever they change.
  const onCaps = options.verbose ? (from: string, to: string, caps: Caps) => say(`${from}.src → ${to}.sink: caps = ${caps.toString()}`) : undefined;
  const recorder = options.report ? new ReportRecorder(systemClock.now()) : undefined;
  const running = pipeline.start({
    clock: systemClock,
    profile: options.profile,
    strict: options.strict,
    onCaps,
    onLatency: recorder?.onLatency,
    onPresented: recorder?.onPresented,
  });
  // Stats sampled for the report's over-time plots: 10 a second is fine enough for a person to read.
  const sampler = recorder ? setInterval(() => recorder.sample(running.stats(), systemClock.now()), 100) : undefined;
  let interrupts = 0;
  // An AbortError, so that elements pass it through rather than report it as their own failure.
  const interrupted = new AbortError('interrupted by Ctrl-C');
  const stopListening = (options.onInterrupt ?? processInterrupts)(() => {
    interrupts++;
    if (interrupts === 1) {
      io.err('Interrupt: ending the stream (Ctrl-C again to abort) …');
      running.eos();
    } else if (interrupts === 2) {
      io.err('Interrupt: aborting …');
      running.abort(interrupted);
    } else {
      // The abort itself hangs (an element ignoring its signal): leave at once.
      process.exit(EXIT_ABORTED);
    }
  });
  const ticker = options.stats && !options.quiet ? setInterval(() => say(progress(running.stats())), 1000) : undefined;
  say(`Running (profile ${options.profile}); Ctrl-C ends the stream …`);
  let code = EXIT_OK;
  try {
    await running.done;
  } catch (e) {
    if (e === interrupted) {
      io.err('Aborted.');
      code = EXIT_ABORTED;
    } else {
      io.err(`ERROR: ${e instanceof Error ? e.message : String(e)}`);
      code = EXIT_ERROR;
    }
  } finally {
    if (ticker) clearInterval(ticker);
    if (sampler) clearInterval(sampler);
    stopListening();
  }
  const stats = running.stats();
  if (recorder && options.report) {
    recorder.sample(stats, systemClock.now());
    try {
      await writeFile(options.report, renderReport(recorder.data('glass2glass run report', pipeline.toString(), stats)));
      say(`Report written to ${options.report}`);
    } catch (e) {
      io.err(`ERROR: could not write the report: ${e instanceof Error ? e.message : String(e)}`);
      code = code === EXIT_OK ? EXIT_ERROR : code;
    }
  }
  say(`Execution ended after ${formatTime(stats.duration)}`);
  say(formatStats(stats));
  return code;
}
