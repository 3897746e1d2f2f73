import { LaunchError } from '../../src/launch/errors';
import { redactLaunch } from '../../src/launch/redact';
import { parseLaunch } from '../../operators/launch';
import type { Pipeline } from '../../src/pipeline/pipeline';
import { joinPipeline, parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import { cliRegistry } from './registry';
import { EXIT_ERROR, EXIT_OK, runPipeline, type CliRunOptions } from './run-pipeline';

export const LAUNCH_USAGE = `Usage: g2g launch [options] <pipeline>

Runs a pipeline written in gst-launch syntax, for example
  g2g launch "fakeSrc num-buffers=100 ! identity ! queue ! fakeSink"
  g2g launch "fakeSrc ! video/x-raw,format=NV12 ! fakeSink"
  g2g launch "fakeSrc is-live=true ! tee name=t ! queue ! fakeSink t. ! queue ! fakeSink"
'g2g inspect' lists the elements; 'g2g inspect <element>' shows its properties.

Options:
  --profile live|throughput  latency profile (default: throughput)
  --strict                   fail on any implicit CPU copy
  --stats                    print progress every second while running
  --report FILE.html         write a self-contained latency report (histogram, latency
                             and per-element processing over time, drops) at the end
  --print                    build the elements and print the pipeline back in launch
                             syntax (every property that differs from its default);
                             do not run it
  -v, --verbose              print the fixed caps of every link as data flows
  -q, --quiet                print errors only
  -h, --help                 show this help

Ctrl-C ends the stream gracefully (end-of-stream flows through, files are
finalised); a second Ctrl-C aborts.
Exit status: 0 success, 1 error, 2 bad command line, 130 aborted.`;

/** `g2g launch`: parse, negotiate, run, print stats. */
export async function launch(args: string[], io: CliIo = processIo, extra: Pick<CliRunOptions, 'onInterrupt'> = {}): Promise<number> {
  const a = withoutPasswords(() =>
    parseArgs(args, {
      flags: ['strict', 'stats', 'quiet', 'verbose', 'help', 'print'],
      options: ['profile', 'report'],
      short: { q: 'quiet', v: 'verbose', h: 'help' },
    })
  );
  if (a.flags.has('help')) {
    io.out(LAUNCH_USAGE);
    return EXIT_OK;
  }
  const profile = a.options.get('profile') ?? 'throughput';
  if (profile !== 'live' && profile !== 'throughput') throw new UsageError(`--profile must be live or throughput, got '${profile}'`);
  if (a.positional.length === 0) throw new UsageError('launch needs a pipeline');
  let pipeline: Pipeline;
  try {
    pipeline = parseLaunch(joinPipeline(a.positional), cliRegistry());
  } catch (e) {
    if (!(e instanceof LaunchError)) throw e;
    // The message echoes the line with its passwords already hidden (LaunchError).
    io.err(`ERROR: could not ${e.cause === undefined ? 'parse' : 'build'} the pipeline: ${e.message}`);
    return EXIT_ERROR;
  }
  if (a.flags.has('print')) {
    io.out(pipeline.toString());
    return EXIT_OK;
  }
  return runPipeline(
    pipeline,
    {
      profile,
      strict: a.flags.has('strict'),
      stats: a.flags.has('stats'),
      quiet: a.flags.has('quiet'),
      verbose: a.flags.has('verbose'),
      report: a.options.get('report'),
      ...extra,
    },
    io
  );
}

/** A usage error quotes the argument it refuses, which may be a URL with its password (`--location=rtsp://u:pw@cam`). */
function withoutPasswords<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(redactLaunch(e.message).text);
    throw e;
  }
}
