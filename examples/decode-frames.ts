/**
 * Decodes H.264 with h264Dec (libavcodec in the native addon) and shows what comes out: each frame's size,
 * pixel format and pts. The input is an RTSP URL, an MP4 or a raw Annex B .h264 file.
 *
 *   node decode-frames.js <rtsp://… | file.mp4 | file.h264> [--frames N] [--quiet]
 *
 * Prints a line per frame (--quiet: the summary only), then a summary; exits 0 when frames were decoded,
 * 1 when none was or the input failed, 2 on a bad command line.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTime, hasFlag, PacketFlags, pipe, rawVideoInfo, type Packet, type Source } from 'glass2glass';
import { h264Dec, rtspSrc, type RawVideoPacket } from 'glass2glass/node';
import { fakeSink, fileSrc, h264Parse, limitSource, mp4Demux } from 'glass2glass/operators';

export interface FrameInfo {
  index: number;
  width: number;
  height: number;
  /** I420 or NV12. */
  format: string;
  /** Presentation time in ns (undefined when the input had none). */
  pts: number | undefined;
  /** The decoder concealed errors in it. */
  corrupt: boolean;
}

export interface DecodeOptions {
  /** Access units to decode (each gives a frame); -1: the whole input. Default -1 for files, 100 for RTSP. */
  frames?: number;
  onFrame?: (frame: FrameInfo) => void;
}

export interface DecodeSummary {
  frames: number;
  /** Size and format of the last frame (undefined when none came). */
  last: FrameInfo | undefined;
  /** Wall-clock time the decode took, in ns. */
  elapsed: number;
}

const isRtsp = (input: string): boolean => /^rtsps?:\/\//i.test(input);

/** H.264 access units from the input, chosen by its form. */
function accessUnits(input: string, frames: number): Source<Packet> {
  if (isRtsp(input)) return rtspSrc({ location: input, numBuffers: frames });
  // limitSource: file sources count bytes, not frames, so the limit goes after the parser.
  if (/\.(mp4|m4v|mov)$/i.test(input)) return limitSource(pipe(fileSrc({ location: input }), mp4Demux(), h264Parse()), frames);
  return limitSource(pipe(fileSrc({ location: input }), h264Parse()), frames);
}

export async function decodeFrames(input: string, options: DecodeOptions = {}): Promise<DecodeSummary> {
  const live = isRtsp(input);
  let last: FrameInfo | undefined;
  let n = 0;
  const sink = fakeSink<RawVideoPacket>({
    onPacket: (p) => {
      const { width, height, format } = rawVideoInfo(p.caps);
      last = { index: n++, width, height, format, pts: p.pts, corrupt: hasFlag(p, PacketFlags.CORRUPT) };
      options.onFrame?.(last);
    },
    // Only caps and timestamps are read, never pixels: the decoder's padded buffers come as they are (no
    // packing copy) and go back to it as soon as onPacket returns.
    videoMeta: true,
    release: true,
  });
  // live: low-delay decoding, each frame out as soon as it is decodable; files decode for throughput.
  const stats = await pipe(accessUnits(input, options.frames ?? (live ? 100 : -1)), h264Dec(), sink).run({ profile: live ? 'live' : 'throughput' });
  return { frames: n, last, elapsed: stats.duration };
}

const USAGE = 'usage: node decode-frames.js <rtsp://… | file.mp4 | file.h264> [--frames N] [--quiet]';

function parseCommandLine(args: readonly string[]): { input: string; frames: number; quiet: boolean } {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: { frames: { type: 'string' }, quiet: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [input, ...extra] = positionals;
  if (input === undefined || extra.length > 0) throw new Error('expected one input');
  const frames = values.frames === undefined ? (isRtsp(input) ? 100 : -1) : Number(values.frames);
  if (!Number.isInteger(frames) || frames < -1 || frames === 0) throw new Error(`--frames must be a positive integer or -1 (all), got '${values.frames}'`);
  return { input, frames, quiet: values.quiet };
}

/** The command line; resolves with the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  let cli: ReturnType<typeof parseCommandLine>;
  try {
    cli = parseCommandLine(args);
  } catch (e) {
    console.error(`decode-frames: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { input, frames, quiet } = cli;
  try {
    const print = (f: FrameInfo) => console.log(`frame ${f.index}: ${f.width}x${f.height} ${f.format} pts ${formatTime(f.pts)}${f.corrupt ? ' CORRUPT' : ''}`);
    const s = await decodeFrames(input, { frames, onFrame: quiet ? () => undefined : print });
    if (!s.last) throw new Error(`no frame decoded from ${input}`);
    console.log(`decoded ${s.frames} frames, ${s.last.width}x${s.last.height} ${s.last.format}, in ${formatTime(s.elapsed)}`);
    return 0;
  } catch (e) {
    console.error(`decode-frames: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

// Only when run as a program: tests import decodeFrames() and main().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2)).then((code) => (process.exitCode = code));
