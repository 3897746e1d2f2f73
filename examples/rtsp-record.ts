/**
 * Records an RTSP camera to MP4: rtspSrc ! h264Parse ! mp4Mux ! fileSink, the same chain as
 * `g2g launch "rtspSrc location=… num-buffers=N ! h264Parse ! mp4Mux ! fileSink location=out.mp4"`.
 *
 *   node rtsp-record.js <rtsp-url> <out.mp4> [--frames N]
 *
 * Prints one summary line; exits 0 on success, 1 when the recording failed, 2 on a bad command line.
 * Ctrl-C ends the recording early and still leaves a playable file.
 */
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTime, MILLISECOND, pipe, type Packet } from 'glass2glass';
import { rtspSrc } from 'glass2glass/node';
import { fileSink, h264Parse, identity, mp4Mux } from 'glass2glass/operators';

export interface RecordOptions {
  /** Access units (frames) to record; -1 records until the server ends the stream or Ctrl-C. Default 100. */
  frames?: number;
  /** Give up when the server answers nothing for this long, in ms (rtspSrc's timeout). Default 5000. */
  timeoutMs?: number;
  /** Called once the pipeline runs, with a function that ends the recording cleanly (end-of-stream). */
  onStart?: (stop: () => void) => void;
}

export interface RecordSummary {
  /** Frames written to the file. */
  frames: number;
  /** Size of the file. */
  bytes: number;
  /** Media time covered, from the first frame's pts to the end of the last, in ns. */
  duration: number;
  /** Wall-clock time the recording took, in ns. */
  elapsed: number;
}

export async function record(url: string, out: string, options: RecordOptions = {}): Promise<RecordSummary> {
  let frames = 0;
  let first: number | undefined;
  let end: number | undefined;
  // A probe between parser and muxer: what reaches the muxer is exactly what the file holds.
  const count = identity<Packet>({
    handoff: (p) => {
      frames++;
      if (p.pts === undefined) return;
      first ??= p.pts;
      end = p.pts + (p.duration ?? 0);
    },
  });
  // Fragmented MP4 (mp4Mux's default here): every finished fragment is on disk, so a crash loses at most one.
  const pipeline = pipe(
    rtspSrc({ location: url, numBuffers: options.frames ?? 100, timeout: (options.timeoutMs ?? 5000) * MILLISECOND }),
    h264Parse(),
    count,
    mp4Mux(),
    fileSink({ location: out })
  );
  const running = pipeline.start({ profile: 'live' });
  options.onStart?.(() => running.eos());
  const stats = await running.done;
  if (frames === 0) throw new Error(`no frames came from ${url}`);
  return { frames, bytes: (await stat(out)).size, duration: first === undefined ? 0 : end! - first, elapsed: stats.duration };
}

const USAGE = 'usage: node rtsp-record.js <rtsp-url> <out.mp4> [--frames N]';

function parseCommandLine(args: readonly string[]): { url: string; out: string; frames: number } {
  const { values, positionals } = parseArgs({ args: [...args], options: { frames: { type: 'string', default: '100' } }, allowPositionals: true });
  const [url, out, ...extra] = positionals;
  if (url === undefined || out === undefined || extra.length > 0) throw new Error('expected <rtsp-url> <out.mp4>');
  const frames = Number(values.frames);
  if (!Number.isInteger(frames) || frames < -1 || frames === 0) throw new Error(`--frames must be a positive integer or -1 (no limit), got '${values.frames}'`);
  return { url, out, frames };
}

/** The command line; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let cli: ReturnType<typeof parseCommandLine>;
  try {
    cli = parseCommandLine(args);
  } catch (e) {
    console.error(`rtsp-record: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { url, out, frames } = cli;
  // The first Ctrl-C ends the recording cleanly (the muxer finishes the file); a second one kills as usual.
  let stop: (() => void) | undefined;
  const onSigint = () => stop?.();
  process.once('SIGINT', onSigint);
  try {
    const s = await record(url, out, { frames, onStart: (s) => (stop = s) });
    console.log(`recorded ${s.frames} frames, ${s.bytes} bytes, ${(s.duration / 1e9).toFixed(3)} s of video to ${out} (took ${formatTime(s.elapsed)})`);
    return 0;
  } catch (e) {
    console.error(`rtsp-record: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

// Only when run as a program: tests import record() and main().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
