import { parseLaunch } from '../../src/launch/build';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';
import { runPipeline, type CliRunOptions } from './run-pipeline';

export const DEMO_USAGE = `Usage: g2g demo [--frames N]

Runs a live pipeline on the system clock with the live latency profile,
  fakeSrc is-live=true framerate=30/1 ! identity ! queue ! fakeSink
for N frames (default 90; 0 runs until Ctrl-C), then prints its stats and
glass-to-glass latency.`;

export function demoPipeline(frames: number): string {
  return `fakeSrc is-live=true framerate=30/1 num-buffers=${frames > 0 ? frames : -1} ! identity ! queue ! fakeSink`;
}

/** `g2g demo`: a real live pipeline and its latency table. */
export async function demo(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> = {}): Promise<number> {
  const a = parseArgs(args, { flags: ['help'], options: ['frames'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(DEMO_USAGE);
    return 0;
  }
  if (a.positional.length) throw new UsageError(`demo takes no arguments, got '${a.positional[0]}'`);
  const text = a.options.get('frames') ?? '90';
  if (!/^\d+$/.test(text)) throw new UsageError(`--frames must be a whole number, got '${text}'`);
  const line = demoPipeline(Number(text));
  io.out(`g2g demo: ${line}`);
  return runPipeline(parseLaunch(line, cliRegistry()), { profile: 'live', ...extra }, io);
}
