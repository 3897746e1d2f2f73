import { readFile } from 'node:fs/promises';
import { parseLaunch } from '../../operators/launch';
import { systemClock } from '../../src/clock';
import { formatStats, type PipelineStats } from '../../src/pipeline/stats';
import type { Pipeline } from '../../src/pipeline/pipeline';
import type { RunningPipeline } from '../../src/pipeline/run';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';
import { parseRunConfig, RunConfigError, type PipelineEntry } from './run-config';
import { EXIT_ABORTED, EXIT_ERROR, EXIT_OK } from './run-pipeline';

export const RUN_USAGE = `Usage: g2g run [options] FILE.json

Runs every pipeline of a pipeline file (N cameras in one process) side by side: one failing, or
restarting after a failure ("restart": true), never stalls the others. Each line of output names its
pipeline. The file:
  { "profile": "live", "restartDelay": "1s",
    "pipelines": [ { "name": "door", "launch": "rtspSrc location=… ! h264Parse ! h264Dec ! fakeSink",
                     "restart": true }, … ] }

Options:
  --stats        print each pipeline's progress every second
  -q, --quiet    print errors only
  -h, --help     show this help

Ctrl-C ends every stream gracefully; a second Ctrl-C aborts.
Exit status: 0 every pipeline ended well, 1 one failed (or the file is wrong), 2 bad command line, 130 aborted.`;

interface Slot {
  readonly entry: PipelineEntry;
  running?: RunningPipeline;
  stats?: PipelineStats;
  failures: number;
  restarts: number;
  /** Its last run failed. */
  failed: boolean;
}

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

/** `g2g run FILE.json`: the file's pipelines, concurrently. */
export async function run(args: string[], io: CliIo = processIo, extra: { onInterrupt?: (h: () => void) => () => void } = {}): Promise<number> {
  const a = parseArgs(args, { flags: ['stats', 'quiet', 'help'], options: [], short: { q: 'quiet', h: 'help' } });
  if (a.flags.has('help')) {
    io.out(RUN_USAGE);
    return EXIT_OK;
  }
  if (a.positional.length !== 1) throw new UsageError('run needs one pipeline file');
  const file = a.positional[0];
  const say = (m: string) => (a.flags.has('quiet') ? undefined : io.out(m));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.err(`ERROR: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`);
    return EXIT_ERROR;
  }
  let slots: Slot[];
  let restartDelay: number;
  // Every pipeline is built before any runs: a mistake in one is reported before the others start.
  const build = (e: PipelineEntry): Pipeline => parseLaunch(e.launch, cliRegistry());
  try {
    const config = parseRunConfig(text, file);
    for (const e of config.pipelines) {
      try {
        build(e);
      } catch (err) {
        throw new RunConfigError(`${e.name}: could not build the pipeline: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    slots = config.pipelines.map((entry) => ({ entry, failures: 0, restarts: 0, failed: false }));
    restartDelay = config.restartDelay;
  } catch (e) {
    if (!(e instanceof RunConfigError)) throw e;
    io.err(`ERROR: ${e.message}`);
    return EXIT_ERROR;
  }
  let ending = false;
  let interrupts = 0;
  const wakeups = new Set<() => void>();
  const stop = (extra.onInterrupt ?? processInterrupts)(() => {
    interrupts++;
    ending = true;
    for (const w of wakeups) w();
    io.err(interrupts === 1 ? 'Interrupt: ending every stream (Ctrl-C again to abort) …' : 'Interrupt: aborting …');
    for (const s of slots) interrupts === 1 ? s.running?.eos() : s.running?.abort(new Error('interrupted'));
  });
  const ticker = a.flags.has('stats')
    ? setInterval(() => {
        for (const s of slots) if (s.running) say(`[${s.entry.name}] ${s.running.stats().delivered} delivered, drops ${s.running.stats().drops}`);
      }, 1000)
    : undefined;
  const runOne = async (s: Slot): Promise<void> => {
    for (;;) {
      const { name, profile } = s.entry;
      say(`[${name}] running (profile ${profile})${s.restarts ? `, restart ${s.restarts}` : ''}`);
      s.running = build(s.entry).start({ clock: systemClock, profile });
      try {
        s.stats = await s.running.done;
        s.failed = false;
        say(`[${name}] ended: ${s.stats.delivered} delivered`);
        return;
      } catch (e) {
        s.stats = s.running.stats();
        s.failures++;
        s.failed = true;
        io.err(`[${name}] ERROR: ${e instanceof Error ? e.message : String(e)}`);
        if (!s.entry.restart || ending) return;
      }
      // A restart waits, unless Ctrl-C comes first.
      await new Promise<void>((r) => {
        const t = setTimeout(r, restartDelay / 1e6);
        wakeups.add(() => (clearTimeout(t), r()));
      });
      if (ending) return;
      s.restarts++;
    }
  };
  try {
    await Promise.all(slots.map(runOne));
  } finally {
    if (ticker) clearInterval(ticker);
    stop();
  }
  for (const s of slots) {
    if (!s.stats) continue;
    say('');
    say(`[${s.entry.name}] ${s.failures ? `failed ${s.failures}×, restarted ${s.restarts}×; last run:` : 'stats:'}`);
    say(formatStats(s.stats));
  }
  if (interrupts > 1) return EXIT_ABORTED;
  // A restarting pipeline's earlier failures were reported; what counts is how each one's last run ended.
  return slots.some((s) => s.failed) ? EXIT_ERROR : EXIT_OK;
}
