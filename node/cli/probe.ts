import { G2gError } from '../../src/errors';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import type { Caps } from '../../src/caps';
import { isFraction } from '../../src/caps/value';
import { FileOpenError } from '../../src/io/opener';
import { PacketFlags, type Packet } from '../../src/packet';
import { ElementError, NegotiationError } from '../../src/pipeline/errors';
import { pipe } from '../../src/pipeline/pipeline';
import { openFileSource, nodeFileOpener } from '../drivers/fs';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';

export const PROBE_USAGE = `Usage: g2g probe [options] FILE

Describes an H.264 elementary stream (Annex B: .h264, .264) or an MP4 file (.mp4, .m4v, .mov): its
stream (codec, profile, level, size, frame rate), frame count, and every frame in decoding order with
its pts, dts, duration, keyframe flag and size. The format is read from the content, not the name.

Options:
  --json               print JSON instead of tables (shape below)
  --framerate N/D      frame rate of an elementary stream without timing information (default:
                       the SPS's VUI timing, else 25/1)
  -h, --help           show this help

Times are integer nanoseconds. An MP4's are the container's (edit list applied); an elementary stream
has none, so they are derived as a decoder would: dts steps by the frame duration from 0, pts follows the
picture order count (B-frames) — ffprobe prints N/A for those.

JSON (schema "g2g-probe/1"; null where a value is unknown):
  { "schema": "g2g-probe/1", "file": string, "format": "h264" | "mp4", "size": bytes,
    "streams": [{ "index": 0, "codec": "h264", "profile": "high", "level": "4", "width": int,
                  "height": int, "framerate": "30/1", "frames": int, "keyframes": int,
                  "duration": ns }],
    "frames": [{ "stream": 0, "pts": ns, "dts": ns, "duration": ns, "keyframe": bool, "size": bytes,
                 "corrupt": bool }] }

Exit status: 0 success, 1 error (unreadable file, not H.264 or MP4), 2 bad command line.`;

/** What a file holds, by its first bytes. */
export type ContainerKind = 'h264' | 'mp4';

/** Top-level box types an ISO BMFF file may begin with. */
const MP4_FIRST_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'free', 'skip', 'wide', 'moof', 'pdin', 'uuid', 'sidx']);

/**
 * Recognises an ISO BMFF file (a known top-level box with a plausible size) or an Annex B H.264 stream
 * (zero bytes, then a 00 00 01 start code, then a NAL header with its forbidden bit clear). MP4 is tried
 * first: a 64-bit box size of 1 (`00 00 00 01`) followed by `ftyp` would also pass as a start code.
 */
export function sniffContainer(head: Uint8Array): ContainerKind | undefined {
  if (head.length >= 8) {
    const size = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    const type = String.fromCharCode(head[4], head[5], head[6], head[7]);
    if (MP4_FIRST_BOXES.has(type) && (size === 0 || size === 1 || size >= 8)) return 'mp4';
  }
  let i = 0;
  while (i < head.length && head[i] === 0) i++;
  if (i >= 2 && i < head.length - 1 && head[i] === 1 && (head[i + 1] & 0x80) === 0) return 'h264';
  return undefined;
}

/** The first `n` bytes of a file and its size; a missing or unreadable file is a FileOpenError. */
export async function readHead(path: string, n = 4096): Promise<{ head: Uint8Array; size: number | undefined }> {
  const src = await openFileSource(path);
  try {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      const chunk = await src.read(n - got, new AbortController().signal);
      if (chunk === null) break;
      parts.push(chunk);
      got += chunk.length;
    }
    const head = new Uint8Array(got);
    let off = 0;
    for (const p of parts) {
      head.set(p, off);
      off += p.length;
    }
    return { head, size: src.size };
  } finally {
    await src.close();
  }
}

/** A file's content, described for an error message. */
export function describeKind(kind: ContainerKind | undefined): string {
  return kind === 'mp4' ? 'an MP4 file' : kind === 'h264' ? 'an H.264 elementary stream' : 'neither an H.264 elementary stream nor an MP4 file';
}

export interface ProbeStream {
  readonly index: number;
  readonly codec: 'h264';
  /** GStreamer's names: baseline, constrained-baseline, main, high, high-10, … */
  readonly profile: string | null;
  /** `3.1`, `4`, `1b`. */
  readonly level: string | null;
  readonly width: number | null;
  readonly height: number | null;
  /** `N/D`. */
  readonly framerate: string | null;
  readonly frames: number;
  readonly keyframes: number;
  /** From the earliest pts to the end of the last frame shown, ns. */
  readonly duration: number | null;
}

export interface ProbeFrame {
  readonly stream: number;
  readonly pts: number | null;
  readonly dts: number | null;
  readonly duration: number | null;
  readonly keyframe: boolean;
  /** Bytes: the MP4 sample, or the access unit with its start codes in an elementary stream. */
  readonly size: number;
  /** The parser found damage, or the frame precedes the first keyframe. */
  readonly corrupt: boolean;
}

/** `g2g probe --json` output; the shape is documented in PROBE_USAGE and only grows. */
export interface ProbeReport {
  readonly schema: 'g2g-probe/1';
  readonly file: string;
  readonly format: ContainerKind;
  readonly size: number | null;
  readonly streams: ProbeStream[];
  readonly frames: ProbeFrame[];
}

/** A file that probe (or remux) cannot read: the message says why; exit 1. */
export class ProbeError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROBE', message, options);
  }
  override readonly name = 'ProbeError';
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

function streamOf(c: Caps | undefined, frames: readonly ProbeFrame[]): ProbeStream {
  const s = c?.structures[0];
  const str = (k: string) => {
    const v = s?.get(k);
    return typeof v === 'string' ? v : null;
  };
  const int = (k: string) => {
    const v = s?.get(k);
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
  };
  const fr = s?.get('framerate');
  let start = Infinity;
  let end = -Infinity;
  for (const f of frames) {
    if (f.pts === null) continue;
    start = Math.min(start, f.pts);
    end = Math.max(end, f.pts + (f.duration ?? 0));
  }
  return {
    index: 0,
    codec: 'h264',
    profile: str('profile'),
    level: str('level'),
    width: int('width'),
    height: int('height'),
    framerate: fr !== undefined && isFraction(fr) && fr.num > 0 ? `${fr.num}/${fr.den}` : null,
    frames: frames.length,
    keyframes: frames.filter((f) => f.keyframe).length,
    duration: end > start ? end - start : null,
  };
}

/**
 * Reads a whole file through `fileSrc ! (h264Parse | mp4Demux) ! fakeSink` and lists its frames. An
 * elementary stream keeps the units before its first keyframe (flagged corrupt), as ffprobe lists them;
 * units holding only parameter sets are not frames (ffprobe's parser joins them to the next picture).
 */
export async function probeFile(path: string, options: { framerate?: string } = {}): Promise<ProbeReport> {
  const { head, size } = await readHead(path);
  const format = sniffContainer(head);
  if (!format) throw new ProbeError(`'${path}' is ${describeKind(format)}`);
  const frames: ProbeFrame[] = [];
  let streamCaps: Caps | undefined;
  const onPacket = (p: Packet): void => {
    if (p.flags & PacketFlags.HEADER) return;
    // The first caps that know the picture size describe the stream (a later SPS may change it).
    if (!streamCaps?.get('width') && p.caps.get('width') !== undefined) streamCaps = p.caps;
    streamCaps ??= p.caps;
    frames.push({
      stream: 0,
      pts: orNull(p.pts),
      dts: orNull(p.dts),
      duration: orNull(p.duration),
      keyframe: (p.flags & PacketFlags.KEYFRAME) !== 0,
      size: p.memory.domain === 'cpu' ? p.memory.data.byteLength : 0,
      corrupt: (p.flags & PacketFlags.CORRUPT) !== 0,
    });
  };
  const src = fileSrc({ location: path, opener: nodeFileOpener });
  const pipeline =
    format === 'mp4'
      ? pipe(src, mp4Demux(), fakeSink({ onPacket }))
      : pipe(src, h264Parse({ skipToKeyframe: false, framerate: options.framerate }), fakeSink({ onPacket }));
  await pipeline.run({ profile: 'throughput', log: () => undefined });
  if (frames.length === 0) throw new ProbeError(`'${path}' holds no H.264 frames`);
  return { schema: 'g2g-probe/1', file: path, format, size: orNull(size), streams: [streamOf(streamCaps, frames)], frames };
}

const seconds = (ns: number | null) => (ns === null ? 'N/A' : (ns / 1e9).toFixed(6));

/** The report as text: a header per stream, then one row per frame. */
export function formatProbe(r: ProbeReport): string {
  const s = r.streams[0];
  const what = r.format === 'mp4' ? 'MP4' : 'H.264 elementary stream (Annex B)';
  const lines = [`File      ${r.file}: ${what}${r.size === null ? '' : `, ${r.size} bytes`}`];
  const desc = [
    `h264 ${s.profile ?? '?'}${s.level === null ? '' : `, level ${s.level}`}`,
    s.width !== null && s.height !== null ? `${s.width}x${s.height}` : 'size unknown',
    s.framerate === null ? 'frame rate unknown' : `${s.framerate} fps`,
    `${s.frames} frames (${s.keyframes} keyframes)`,
    s.duration === null ? 'duration unknown' : `${(s.duration / 1e9).toFixed(3)} s`,
  ];
  lines.push(`Stream 0  ${desc.join(', ')}`);
  if (r.format === 'h264') lines.push('          times derived from the frame rate and picture order (the stream has none)');
  lines.push('');
  const rows = [['frame', 'key', 'pts (s)', 'dts (s)', 'dur (ms)', 'size', 'flags']];
  r.frames.forEach((f, i) =>
    rows.push([
      String(i),
      f.keyframe ? 'K' : '-',
      seconds(f.pts),
      seconds(f.dts),
      f.duration === null ? 'N/A' : (f.duration / 1e6).toFixed(3),
      String(f.size),
      f.corrupt ? 'corrupt' : '',
    ])
  );
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows)
    lines.push(
      row
        .map((cell, c) => (c === 1 || c === 6 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd()
    );
  return lines.join('\n');
}

/** Errors that describe the input or its file, not a bug: printed as one line, exit 1. */
export function isInputError(e: unknown): e is Error {
  return e instanceof ProbeError || e instanceof FileOpenError || e instanceof ElementError || e instanceof NegotiationError;
}

/** `g2g probe FILE [--json]`. */
export async function probe(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args, { flags: ['json', 'help'], options: ['framerate'], short: { h: 'help' } });
  if (a.flags.has('help')) {
    io.out(PROBE_USAGE);
    return 0;
  }
  if (a.positional.length !== 1) throw new UsageError(a.positional.length === 0 ? 'probe needs a FILE' : `probe takes one FILE, got ${a.positional.length}`);
  const framerate = a.options.get('framerate');
  if (framerate !== undefined && !/^\s*[1-9]\d*\s*(\/\s*[1-9]\d*\s*)?$/.test(framerate))
    throw new UsageError(`--framerate must be N or N/D, got '${framerate}'`);
  let report: ProbeReport;
  try {
    report = await probeFile(a.positional[0], { framerate });
  } catch (e) {
    if (!isInputError(e)) throw e;
    io.err(`g2g probe: ${e.message}`);
    return 1;
  }
  io.out(a.flags.has('json') ? JSON.stringify(report, null, 2) : formatProbe(report));
  return 0;
}
