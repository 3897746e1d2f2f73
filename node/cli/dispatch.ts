import { G2gError } from '../../src/errors';
import { processIo, UsageError, type CliIo } from './io';

export type Command = (args: string[], io?: CliIo) => Promise<number>;

const USAGE = `Usage: g2g <command> [options]

Commands:
  launch <pipeline>   run a pipeline written in gst-launch syntax
  run FILE.json       run every pipeline of a pipeline file side by side (N cameras)
  inspect [element]   list elements, or show one's pad templates and properties
  remux IN OUT        rewrap H.264 between an elementary stream (.h264) and MP4
  probe FILE          describe an H.264 or MP4 file: stream, frames, timestamps
  demo                live OCR over RTSP in-process, with glass-to-glass latency
  bench               run the benchmarks
  serve <file|pipe>   serve H.264 over RTSP
  ocr INPUT           read the text in a video (.h264, .mp4, rtsp://) with PP-OCR

'g2g <command> --help' shows a command's options.`;

/** Commands of this folder, each `export async function <name>(args): Promise<number>` in `./<name>`. */
const COMMANDS = ['launch', 'run', 'inspect', 'demo', 'bench', 'remux', 'probe', 'serve', 'ocr'] as const;

/**
 * Loads `./<name>`. The import is a pattern, so the bundler includes whichever command files exist
 * (bench.ts is added by another module) and a missing one fails here, at run time, not the build.
 */
export async function loadCommand(name: string): Promise<Command | undefined> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(`./${name}.ts`);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Module not found|Cannot find module|ERR_MODULE_NOT_FOUND|Failed to load/i.test(msg) && msg.includes(name)) return undefined;
    throw e;
  }
  const fn = mod[name] ?? mod.default;
  return typeof fn === 'function' ? (fn as Command) : undefined;
}

/** The CLI: dispatches to one command; returns the exit code (2 for a bad command line). */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  load: (name: string) => Promise<Command | undefined> = loadCommand
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (name === undefined || !(COMMANDS as readonly string[]).includes(name)) {
    io.err(name === undefined ? 'g2g: no command given' : `g2g: unknown command '${name}'`);
    io.err(USAGE);
    return 2;
  }
  const command = await load(name);
  if (!command) {
    io.err(`g2g: the '${name}' command is not part of this build (node/cli/${name}.ts is missing)`);
    return 1;
  }
  try {
    return await command(rest, io);
  } catch (e) {
    // A library error says what is wrong and what to do (a missing package, addon, file): no stack trace.
    if (e instanceof G2gError && !(e instanceof UsageError)) {
      io.err(`g2g ${name}: ${e.message}`);
      return 1;
    }
    if (!(e instanceof UsageError)) throw e;
    io.err(`g2g ${name}: ${e.message}`);
    io.err(`'g2g ${name} --help' shows the usage.`);
    return 2;
  }
}
