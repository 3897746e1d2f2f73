import { rm, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileSink } from '../../operators/file-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import { mp4Mux } from '../../operators/mp4-mux';
import { parseDuration } from '../../src/descriptor/duration';
import { systemClock } from '../../src/clock/system-clock';
import type { ByteSource } from '../../src/io/byte-source';
import type { ByteTarget } from '../../src/io/byte-target';
import type { FileOpener } from '../../src/io/opener';
import { pipe, type Pipeline } from '../../src/pipeline/pipeline';
import type { RunningPipeline } from '../../src/pipeline/run';
import { AbortError } from '../../src/util/abort';
import { nodeFileOpener, openFileSource, openFileTarget, readAhead } from '../drivers/fs';

export { readAhead };
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';
import {
  containerOf,
  describeKind,
  identifyFile,
  ignoredTracksNote,
  isInputError,
  muxableTrackCount,
  muxableTracks,
  readMoov,
  unreadable,
  type ContainerKind,
  type IdentifiedFile,
} from './probe';

import { ProgressBar, type ProgressOutput } from './progress';

export const REMUX_USAGE = `Usage: g2g remux [options] IN OUT

Rewraps H.264 (and, MP4 to MP4, AAC and Opus audio) without re-encoding, the format of each side chosen
by its extension:
  .h264 .264 .h26l   H.264 elementary stream (Annex B)
  .mp4 .m4v .mov     MP4 (ISO BMFF)
  g2g remux in.h264 out.mp4     fileSrc ! h264Parse ! mp4Mux ! fileSink
  g2g remux in.mp4 out.h264     fileSrc ! mp4Demux ! h264Parse stream-format=byte-stream ! fileSink
  g2g remux in.mp4 out.mp4      fileSrc ! mp4Demux track=all ! mp4Mux ! fileSink (every H.264, AAC and
                                Opus track; fragmented <-> progressive)
The input's content must match its extension. OUT is replaced if it exists.

Options:
  --progressive              MP4 output with the index (moov) first, written at the end; default:
                             fragmented (moof+mdat per fragment: a crash loses one fragment at most)
  --fragment-duration TIME   fragment length, cut at the next keyframe (default 1s; 0: every keyframe)
  --framerate N/D            frame rate of an elementary stream without timing information (default:
                             the SPS's VUI timing, else 25/1), as ffmpeg's -r
  -q, --quiet                print errors only
  -h, --help                 show this help

On a terminal a progress bar (bytes read, frames) is drawn on stderr; the summary line goes to stdout.
Ctrl-C ends the stream (the output is finalised and valid up to there); a second Ctrl-C aborts.
Exit status: 0 success, 1 error (unreadable or unsuitable input, write failure), 2 bad command line,
130 aborted.`;

const EXTENSIONS: Readonly<Record<string, ContainerKind>> = {
  '.h264': 'h264',
  '.264': 'h264',
  '.h26l': 'h264',
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.mov': 'mp4',
};

/** The format a path's extension names, or undefined. */
export function kindOfPath(path: string): ContainerKind | undefined {
  const m = /\.[^./\\]+$/.exec(path);
  return m ? EXTENSIONS[m[0].toLowerCase()] : undefined;
}

export interface RemuxOptions {
  readonly from: ContainerKind;
  readonly to: ContainerKind;
  /** MP4 output: progressive (moov first) instead of fragmented. */
  readonly progressive?: boolean;
  /** Fragmented MP4 output: fragment duration, ns. */
  readonly fragmentDuration?: number;
  /** Elementary stream input: frame rate N/D. */
  readonly framerate?: string;
  /** Opens IN (default: node:fs; read ahead either way); the CLI wraps it to count bytes for the progress bar. */
  readonly opener?: Pick<FileOpener, 'openRead'>;
  /** Told when OUT has been created (or truncated): from then on a failed run should remove it. */
  readonly onOutputOpened?: () => void;
  /** MP4 → MP4: how many tracks (H.264, AAC, Opus) the input has, so the muxer starts once it has seen them all. */
  readonly tracks?: number;
}

/**
 * Reads of 1 MiB, not fileSrc's 64 KiB: each read is a thread-pool round trip, and at 64 KiB those cost
 * a 13 MB remux about 10 ms of its 40; the parsers take any chunking (fewer access units then straddle
 * two reads, so fewer are copied whole).
 */
export const REMUX_BLOCKSIZE = 1 << 20;

/** A file for a remux's output: writes gathered into writev calls (now the Node file target's own way). */
export function openGatheringFile(location: string): Promise<ByteTarget> {
  return openFileTarget(location);
}

/** Opens files for a remux: reads ahead of the parser, gathers writes (see above). */
export function remuxOpener(read: FileOpener['openRead'] = (location) => openFileSource(location), onWriteOpened?: () => void): FileOpener {
  return {
    openRead: async (location, signal) => readAhead(await read(location, signal)),
    openWrite: async (location) => {
      const t = await openGatheringFile(location);
      onWriteOpened?.();
      return t;
    },
  };
}

/**
 * The remux pipeline between two files. Annex B out gets SPS/PPS before every IDR (config-interval -1),
 * as ffmpeg's h264_mp4toannexb writes them, so that the stream can be cut and decoded from any keyframe.
 * The element at `FRAMES_AT` receives one packet per access unit written.
 */
export function remuxPipeline(input: string, output: string, o: RemuxOptions): Pipeline {
  const opener = remuxOpener(o.opener?.openRead, o.onOutputOpened);
  const src = fileSrc({ location: input, opener, blocksize: REMUX_BLOCKSIZE });
  const sink = fileSink({ location: output, opener });
  if (o.from === 'h264' && o.to === 'h264') throw new RangeError('remux: both sides are H.264 elementary streams');
  if (o.to === 'h264') return pipe(src, mp4Demux(), h264Parse({ streamFormat: 'byte-stream', configInterval: -1 }), sink);
  const mux = mp4Mux({
    fragmented: !o.progressive,
    fragmentDuration: o.fragmentDuration,
    ...(o.from === 'mp4' && o.tracks ? { tracks: o.tracks } : {}),
  });
  // MP4 → MP4 carries every H.264, AAC and Opus track: one stream of packets, each with its track's caps.
  if (o.from === 'mp4') return pipe(src, mp4Demux({ track: 'all' }), mux, sink);
  return pipe(src, h264Parse({ framerate: o.framerate }), mux, sink);
}

/** Index of the element whose input count is the frames written: the one after the parser or demuxer. */
export const FRAMES_AT = 2;

/** An opener whose sources count the bytes read (the progress bar's numerator) and know the size. */
export function countingOpener(base: FileOpener): FileOpener & { readonly bytes: number; readonly size: number | undefined } {
  let bytes = 0;
  let size: number | undefined;
  return {
    get bytes() {
      return bytes;
    },
    get size() {
      return size;
    },
    openWrite: (location, options, signal) => base.openWrite(location, options, signal),
    async openRead(location, signal) {
      const s = await base.openRead(location, signal);
      size = s.size;
      return {
        size: s.size,
        async read(max, sig) {
          const c = await s.read(max, sig);
          if (c) bytes += c.byteLength;
          return c;
        },
        close: (reason) => s.close(reason),
      };
    },
  };
}

export interface RemuxEnvironment {
  /** Where the progress bar is drawn; default process.stderr when both stdout and stderr are terminals. */
  readonly progress?: ProgressOutput;
  /** Where Ctrl-C comes from; default the process's SIGINT. Returns a function that stops listening. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Opens IN and OUT; default node:fs (tests watch the reads, to interrupt at a known point). */
  readonly opener?: FileOpener;
}

const processInterrupts = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
};

function defaultProgress(): ProgressOutput | undefined {
  if (!process.stdout.isTTY || !process.stderr.isTTY) return undefined;
  return {
    write: (t) => process.stderr.write(t),
    get columns() {
      return process.stderr.columns;
    },
  };
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const LABEL: Readonly<Record<ContainerKind, string>> = {
  h264: 'H.264 Annex B',
  mp4: 'MP4',
};

/** `g2g remux IN OUT`: returns the exit code. */
export async function remux(args: string[], io: CliIo = processIo, env: RemuxEnvironment = {}): Promise<number> {
  const a = parseArgs(args, {
    flags: ['progressive', 'quiet', 'help'],
    options: ['fragment-duration', 'framerate'],
    short: { q: 'quiet', h: 'help' },
  });
  if (a.flags.has('help')) {
    io.out(REMUX_USAGE);
    return 0;
  }
  if (a.positional.length !== 2) throw new UsageError(`remux needs IN and OUT, got ${a.positional.length} argument${a.positional.length === 1 ? '' : 's'}`);
  const [input, output] = a.positional;
  const progressive = a.flags.has('progressive');
  const fd = a.options.get('fragment-duration');
  let fragmentDuration: number | undefined;
  if (fd !== undefined) {
    try {
      fragmentDuration = parseDuration(fd);
    } catch (e) {
      throw new UsageError(`--fragment-duration: ${e instanceof Error ? e.message : String(e)}, got '${fd}'`);
    }
    if (progressive) throw new UsageError('--fragment-duration applies to fragmented output, not --progressive');
  }
  const framerate = a.options.get('framerate');
  if (framerate !== undefined && !/^\s*[1-9]\d*\s*(\/\s*[1-9]\d*\s*)?$/.test(framerate))
    throw new UsageError(`--framerate must be N or N/D, got '${framerate}'`);
  const fail = (message: string): number => {
    io.err(`g2g remux: ${message}`);
    return 1;
  };

  const kinds = 'use .h264, .264 or .h26l for H.264 elementary streams, .mp4, .m4v or .mov for MP4';
  const from = kindOfPath(input);
  const to = kindOfPath(output);
  if (!from) {
    // The content may say what the extension does not: an MPEG-TS or Matroska file is named as such.
    const named = await identifyFile(input).catch(() => undefined);
    const refused = named?.found && unreadable(input, named);
    return fail(refused ? refused.message : `unsupported input extension: '${input}' (${kinds})`);
  }
  if (!to) return fail(`unsupported output extension: '${output}' (${kinds})`);
  if (from === 'h264' && to === 'h264') return fail(`'${input}' and '${output}' are both H.264 elementary streams: nothing to remux`);
  if (to === 'h264' && (progressive || fragmentDuration !== undefined)) throw new UsageError('--progressive and --fragment-duration apply to MP4 output only');
  if (from === 'mp4' && framerate !== undefined) throw new UsageError('--framerate applies to H.264 elementary stream input only (an MP4 has its times)');
  if (resolve(input) === resolve(output)) return fail(`IN and OUT are the same file: '${input}'`);

  let file: IdentifiedFile;
  try {
    file = await identifyFile(input);
  } catch (e) {
    if (!isInputError(e)) throw e;
    return fail(e.message);
  }
  const actual = containerOf(file.found);
  if (actual !== from) {
    const expected = from === 'mp4' ? 'an MP4 file' : 'an H.264 elementary stream';
    // A format found but not readable (MPEG-TS, Matroska, H.265…) is named, with what is supported.
    const refused = file.found && unreadable(input, file);
    if (refused) return fail(refused.message);
    if (!actual) return fail(`'${input}' is not ${expected} (${from === 'mp4' ? 'no ISO BMFF box' : 'no Annex B start code'} at its start)`);
    return fail(`'${input}' is ${describeKind(actual)}, not ${expected} as its extension says (rename it to ${actual === 'mp4' ? '.mp4' : '.h264'})`);
  }
  try {
    if ((await stat(output)).isDirectory()) return fail(`'${output}' is a directory`);
  } catch {
    // no such file yet: the sink creates it
  }
  // Tracks other than the H.264 video (audio, subtitles) are not carried: said, not dropped silently.
  const ignored =
    from === 'mp4' && !a.flags.has('quiet') ? await ignoredTracksNote(input, 'remux carries', to === 'mp4' ? muxableTracks : undefined) : undefined;
  if (ignored) io.err(ignored);
  const tracks = from === 'mp4' && to === 'mp4' ? await muxableTrackCount(input) : undefined;

  const counter = countingOpener(env.opener ?? nodeFileOpener);
  let created = false;
  const pipeline = remuxPipeline(input, output, {
    from,
    to,
    progressive,
    fragmentDuration,
    framerate,
    tracks,
    opener: counter,
    onOutputOpened: () => void (created = true),
  });
  const out = a.flags.has('quiet') ? undefined : 'progress' in env ? env.progress : defaultProgress();
  const bar = out ? new ProgressBar(out) : undefined;
  const t0 = performance.now();
  // Warnings (skipped garbage, a damaged unit) once each: a damaged file would repeat them per packet.
  const said = new Set<string>();
  const log = (level: string, element: string, message: string): void => {
    if ((level !== 'warn' && level !== 'error') || said.has(message)) return;
    said.add(message);
    bar?.finish();
    io.err(`${level === 'warn' ? 'WARNING' : 'ERROR'} ${element}: ${message}`);
  };
  const running: RunningPipeline = pipeline.start({
    clock: systemClock,
    profile: 'throughput',
    log,
  });
  const frames = (): number => running.stats().elements[FRAMES_AT]?.packets ?? 0;
  const draw = (force = false) =>
    bar?.update(
      {
        bytes: counter.bytes,
        total: counter.size,
        frames: frames(),
        elapsedMs: performance.now() - t0,
      },
      force
    );
  const ticker = bar ? setInterval(draw, 100) : undefined;
  let interrupts = 0;
  const interrupted = new AbortError('interrupted by Ctrl-C');
  const stopListening = (env.onInterrupt ?? processInterrupts)(() => {
    interrupts++;
    if (interrupts === 1) {
      bar?.finish();
      io.err('Interrupt: finishing the output (Ctrl-C again to abort) …');
      running.eos();
    } else if (interrupts === 2) running.abort(interrupted);
    else process.exit(130);
  });
  let error: unknown;
  try {
    await running.done;
  } catch (e) {
    error = e;
  } finally {
    if (ticker) clearInterval(ticker);
    stopListening();
    if (bar && error === undefined) draw(true);
    bar?.finish();
  }
  const n = frames();
  if (error !== undefined || n === 0) {
    // A partial or empty file would pass for a result: remove what this run wrote (only that: a file
    // that could not be opened, read-only say, is the user's and stays).
    if (created) await rm(output, { force: true });
    if (error === interrupted) {
      io.err('g2g remux: aborted');
      return 130;
    }
    if (error === undefined && interrupts > 0) {
      io.err('g2g remux: stopped by Ctrl-C before the first frame: nothing written');
      return 130;
    }
    if (error !== undefined && !isInputError(error)) throw error;
    return fail(error !== undefined ? (error as Error).message : `no H.264 frames found in '${input}'`);
  }
  const seconds = (performance.now() - t0) / 1000;
  let written = 0;
  try {
    written = (await stat(output)).size;
  } catch {
    // reported as 0 bytes; the run itself succeeded
  }
  const mode = to === 'mp4' ? (progressive ? ' progressive' : ' fragmented') : '';
  if (!a.flags.has('quiet')) {
    io.out(
      `${input} (${LABEL[from]}) → ${output} (${LABEL[to]}${mode}): ${n} frames, ${mb(counter.bytes)} → ${mb(written)} in ${seconds.toFixed(2)} s${
        interrupts ? ' (stopped early by Ctrl-C)' : ''
      }`
    );
  }
  return 0;
}
