import { open } from 'node:fs/promises';
import { G2gError } from '../../src/errors';
import { fakeSink } from '../../operators/fake-sink';
import { fileSrc } from '../../operators/file-src';
import { h264Parse } from '../../operators/h264-parse';
import { mp4Demux } from '../../operators/mp4-demux';
import type { Caps } from '../../src/caps';
import { isFraction } from '../../src/caps/value';
import { fromHex, H264Error, parseAvcC, parseSps, splitAnnexB, splitAvc } from '../../src/codecs/h264';
import { FileOpenError } from '../../src/io/opener';
import { PacketFlags, type Packet } from '../../src/packet';
import { ElementError, NegotiationError } from '../../src/pipeline/errors';
import { pipe } from '../../src/pipeline/pipeline';
import {
  EMPTY_TRACK,
  findType,
  h264FieldOrder,
  h264VideoInfo,
  isoBmffTracks,
  TYPEFIND_BYTES,
  TYPES,
  UnsupportedTypeError,
  type TrackInfo,
  type TypeFound,
  type TypeKind,
} from '../../src/typefind';
import { openFileSource, nodeFileOpener } from '../drivers/fs';
import { parseArgs } from './args';
import { processIo, UsageError, type CliIo } from './io';

export const PROBE_USAGE = `Usage: g2g probe [options] FILE

Identifies FILE by its content and describes it: the container or stream format, every track (id, type,
codec; for video its profile, level, size, pixel format, bit depth, field order, sample aspect ratio,
frame rate; for audio its rate and channels; bitrate and duration), and the H.264 video it can read frame
by frame (frame and keyframe counts). AAC and Opus tracks of an MP4 are read too ("read": true): their
sample counts (a fragmented file's come from reading) and, where no table says, durations. Reads MP4 and QuickTime/MOV (.mp4, .m4v, .mov) and H.264
elementary streams (Annex B: .h264, .264); names MPEG-TS, Matroska/WebM, H.265 and ADTS AAC, which it
cannot read yet (exit 1).

Options:
  --json               print JSON instead of text (shape below)
  --show-frames        also list every frame in decoding order: pts, dts, duration, keyframe, size
  --framerate N/D      frame rate of an elementary stream without timing information (default:
                       the SPS's VUI timing, else 25/1)
  -h, --help           show this help

Times are integer nanoseconds. An MP4's are the container's (edit list applied); an elementary stream
has none, so they are derived as a decoder would: dts steps by the frame duration from 0, pts follows the
picture order count (B-frames) — ffprobe prints N/A for those.

JSON (schema "g2g-probe/1", which only grows; null where a value is unknown; frames always listed):
  { "schema": "g2g-probe/1", "file": string, "format": "h264" | "mp4", "container": "MP4" |
    "QuickTime/MOV" | "H.264 Annex B", "size": bytes,
    "tracks": [{ "id": int, "type": "video" | "audio" | "subtitle" | "data", "codec": "h264",
                 "fourcc": "avc1", "profile", "level", "width", "height", "pixelFormat": "yuv420p",
                 "bitDepth": 8, "fieldOrder": "progressive", "sar": "1:1", "framerate": "30/1",
                 "sampleRate", "channels", "bitrate": bits/s, "duration": ns, "frames": int,
                 "read": bool }],
    "streams": [{ "index": 0, "track": int, "codec": "h264", "profile": "high", "level": "4",
                  "width": int, "height": int, "framerate": "30/1", "frames": int, "keyframes": int,
                  "duration": ns }],
    "frames": [{ "stream": 0, "pts": ns, "dts": ns, "duration": ns, "keyframe": bool, "size": bytes,
                 "corrupt": bool }],
    "notes": [string] }

Exit status: 0 success, 1 error (unreadable file, a format it cannot read), 2 bad command line.`;

/** What a file holds, as the commands that read files choose their elements: MP4 and QuickTime/MOV alike. */
export type ContainerKind = 'h264' | 'mp4';

/** The kinds the file commands (probe, remux, ocr, serve) read: mp4Demux's and h264Parse's. */
export const READABLE_KINDS: readonly TypeKind[] = (Object.keys(TYPES) as TypeKind[]).filter((k) => TYPES[k].readable);

/** The reading path for a found type, or undefined when glass2glass cannot read it. */
export function containerOf(found: TypeFound | undefined): ContainerKind | undefined {
  if (!found?.readable) return undefined;
  return found.kind === 'h264' ? 'h264' : 'mp4';
}

/** The first `n` bytes of a file and its size; a missing or unreadable file is a FileOpenError. */
export async function readHead(path: string, n = TYPEFIND_BYTES): Promise<{ head: Uint8Array; size: number | undefined }> {
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

/** A file identified by its first bytes (src/typefind). */
export interface IdentifiedFile {
  readonly head: Uint8Array;
  readonly size: number | undefined;
  /** Undefined: no finder recognised it. */
  readonly found: TypeFound | undefined;
}

/** Reads a file's first bytes and names its format; a missing or unreadable file is a FileOpenError. */
export async function identifyFile(path: string): Promise<IdentifiedFile> {
  const { head, size } = await readHead(path);
  return {
    head,
    size,
    found: findType(head, {
      complete: size !== undefined && size <= head.length,
    }),
  };
}

/**
 * The file commands' refusal of a format they cannot read, before any output: "'in.ts' is MPEG-TS, which
 * glass2glass cannot demux yet; supported: MP4/MOV, H.264 Annex B". Undefined when `file` is readable.
 */
export function unreadable(path: string, file: IdentifiedFile): UnsupportedTypeError | undefined {
  return containerOf(file.found) ? undefined : new UnsupportedTypeError(`'${path}'`, file.found, READABLE_KINDS, file.head);
}

/** What a file holds by its first bytes, as a reading path; undefined for a format glass2glass cannot read. */
export function sniffContainer(head: Uint8Array): ContainerKind | undefined {
  return containerOf(findType(head));
}

/** A file's content, described for an error message. */
export function describeKind(kind: ContainerKind | undefined): string {
  return kind === 'mp4' ? 'an MP4 file' : kind === 'h264' ? 'an H.264 elementary stream' : 'neither an H.264 elementary stream nor an MP4 file';
}

/** Largest moov read whole (a 24-hour 60 fps track's sample tables are far smaller). */
const MAX_MOOV_BYTES = 256 << 20;

/**
 * The moov box of an ISO BMFF / QuickTime file, found by walking the top-level box headers with positional
 * reads (an mdat before it is skipped, not read): undefined when there is none or it is cut short.
 */
export async function readMoov(path: string): Promise<Uint8Array | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const header = new Uint8Array(16);
    for (let pos = 0; pos + 8 <= size; ) {
      const { bytesRead } = await fh.read(header, 0, 16, pos);
      if (bytesRead < 8) return undefined;
      const v = new DataView(header.buffer);
      let boxSize = v.getUint32(0);
      if (boxSize === 1) {
        if (bytesRead < 16) return undefined;
        boxSize = Number(v.getBigUint64(8));
      } else if (boxSize === 0) boxSize = size - pos;
      if (boxSize < 8) return undefined;
      if (String.fromCharCode(...header.subarray(4, 8)) === 'moov') {
        if (boxSize > MAX_MOOV_BYTES || pos + boxSize > size) return undefined;
        const moov = new Uint8Array(boxSize);
        const { bytesRead: got } = await fh.read(moov, 0, boxSize, pos);
        return got === boxSize ? moov : undefined;
      }
      pos += boxSize;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** The track mp4Demux reads: the first video track in an avc1/avc3 sample entry. */
export function demuxedTrack(tracks: readonly TrackInfo[]): TrackInfo | undefined {
  return tracks.find((t) => t.type === 'video' && (t.fourcc === 'avc1' || t.fourcc === 'avc3'));
}

/** The tracks mp4Demux track=all reads (and mp4Mux writes): H.264, AAC and Opus. */
export function muxableTracks(tracks: readonly TrackInfo[]): TrackInfo[] {
  return tracks.filter(
    (t) =>
      (t.type === 'video' && (t.fourcc === 'avc1' || t.fourcc === 'avc3')) ||
      (t.type === 'audio' && ((t.fourcc === 'mp4a' && t.codec === 'aac') || t.fourcc === 'Opus'))
  );
}

/** How many tracks of an MP4 a remux or serve carries (H.264, AAC, Opus); undefined when the moov cannot be read here (the demuxer will say why). */
export async function muxableTrackCount(path: string): Promise<number | undefined> {
  try {
    const moov = await readMoov(path);
    const n = moov ? muxableTracks(isoBmffTracks(moov)).length : 0;
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** "track 2 (audio aac)", for notes. */
export function trackLabel(t: TrackInfo): string {
  return `track ${t.id} (${t.type} ${t.codec})`;
}

/**
 * A note for stderr when an MP4/MOV has tracks a command will not carry (remux, serve take one H.264
 * video track), so that they are not dropped silently; undefined when nothing is left out or the moov
 * cannot be read (the demuxer then reports what is wrong).
 */
export async function ignoredTracksNote(
  path: string,
  what: string,
  carried: (tracks: readonly TrackInfo[]) => TrackInfo[] = (t) => [demuxedTrack(t)].filter((x) => x !== undefined)
): Promise<string | undefined> {
  let moov: Uint8Array | undefined;
  try {
    moov = await readMoov(path);
  } catch {
    return undefined; // the pipeline opens the file again and names the error
  }
  if (!moov) return undefined;
  const tracks = isoBmffTracks(moov);
  const used = carried(tracks);
  const ignored = tracks.filter((t) => !used.includes(t));
  if (!used.length || ignored.length === 0) return undefined;
  return `note: '${path}': ${ignored.map(trackLabel).join(', ')} ignored: ${what} only ${used.map(trackLabel).join(', ')}`;
}

export interface ProbeStream {
  readonly index: number;
  /** The track it is (1 for an elementary stream). */
  readonly track: number;
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

/** A track as probe lists it: `read` when its frames were read (listed in `streams` and `frames`). */
export interface ProbeTrack extends TrackInfo {
  readonly read: boolean;
}

/** `g2g probe --json` output; the shape is documented in PROBE_USAGE and only grows. */
export interface ProbeReport {
  readonly schema: 'g2g-probe/1';
  readonly file: string;
  readonly format: ContainerKind;
  /** For people: MP4, QuickTime/MOV, H.264 Annex B. */
  readonly container: string;
  readonly size: number | null;
  readonly tracks: ProbeTrack[];
  readonly streams: ProbeStream[];
  readonly frames: ProbeFrame[];
  /** What was not read, and why. */
  readonly notes: string[];
}

/** A file that probe (or remux) cannot read: the message says why; exit 1. */
export class ProbeError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROBE', message, options);
  }
  override readonly name = 'ProbeError';
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** What reading an audio track tells: its samples, bytes and span (ns). */
interface AudioCount {
  samples: number;
  bytes: number;
  start: number;
  end: number;
}

/** Counts an audio packet under its caps (mp4Demux gives each track one Caps object). */
function countAudio(audio: Map<Caps, AudioCount>, p: Packet): void {
  let a = audio.get(p.caps);
  if (!a) audio.set(p.caps, (a = { samples: 0, bytes: 0, start: Infinity, end: -Infinity }));
  a.samples++;
  a.bytes += p.memory.domain === 'cpu' ? p.memory.data.byteLength : 0;
  // The span of every sample, priming included: ffprobe's duration where no edit list says otherwise.
  if (p.pts !== undefined) {
    a.start = Math.min(a.start, p.pts);
    a.end = Math.max(a.end, p.pts + (p.duration ?? 0));
  }
}

/**
 * Which counted caps are which audio track: packets carry no track id, so the same codec, rate and
 * channels in moov order (two tracks alike are told apart by the order their packets first came).
 */
function matchAudio(tracks: readonly TrackInfo[], audio: ReadonlyMap<Caps, AudioCount>): Map<TrackInfo, AudioCount> {
  const left = [...audio.entries()];
  const out = new Map<TrackInfo, AudioCount>();
  for (const t of tracks) {
    const k = left.findIndex(([c]) => {
      const s = c.structures[0];
      const codec = s.name === 'audio/x-opus' ? 'opus' : 'aac';
      return (
        codec === t.codec &&
        (t.sampleRate === null || s.get('rate') === t.sampleRate || codec === 'opus') &&
        (t.channels === null || s.get('channels') === t.channels)
      );
    });
    if (k < 0) continue;
    out.set(t, left[k][1]);
    left.splice(k, 1);
  }
  return out;
}

function streamOf(c: Caps | undefined, frames: readonly ProbeFrame[], track: number): ProbeStream {
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
    track,
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

/** The elementary stream's one track, from its first SPS (in the first bytes: encoders put it first). */
function elementaryTrack(head: Uint8Array): TrackInfo {
  const base: TrackInfo = { id: 1, type: 'video', codec: 'h264', fourcc: null, ...EMPTY_TRACK };
  for (const nal of splitAnnexB(head)) {
    if ((nal[0] & 0x1f) !== 7) continue;
    try {
      const info = h264VideoInfo(parseSps(nal));
      return {
        ...base,
        ...info,
        fieldOrder: info.fieldOrder ?? h264FieldOrder(splitAnnexB(head)),
      };
    } catch (e) {
      if (!(e instanceof H264Error)) throw e; // cut off at the head's end, or damaged: the parse fills in
    }
  }
  return base;
}

/** An MP4 sample's field order: its NAL units after the avcC's parameter sets (codec_data in its caps). */
function fieldOrderOfSample(p: Packet): string | null {
  const cd = p.caps.get('codec_data');
  if (typeof cd !== 'string' || p.memory.domain !== 'cpu') return null;
  try {
    const rec = parseAvcC(fromHex(cd));
    return h264FieldOrder([...rec.sps, ...rec.pps, ...splitAvc(p.memory.data, rec.lengthSize)]);
  } catch (e) {
    if (!(e instanceof H264Error)) throw e;
    return null;
  }
}

/**
 * Identifies a file (src/typefind), lists its tracks (an MP4's from its moov, an elementary stream's from
 * its SPS) and reads the H.264 video frame by frame through `fileSrc ! (h264Parse | mp4Demux) ! fakeSink`.
 * A format it cannot read is an UnsupportedTypeError before anything is read past the first bytes. An
 * elementary stream keeps the units before its first keyframe (flagged corrupt), as ffprobe lists them;
 * units holding only parameter sets are not frames (ffprobe's parser joins them to the next picture).
 */
export async function probeFile(path: string, options: { framerate?: string } = {}): Promise<ProbeReport> {
  const file = await identifyFile(path);
  const refused = unreadable(path, file);
  if (refused) throw refused;
  const found = file.found!;
  const format = containerOf(found)!;
  const notes: string[] = [];
  let tracks: TrackInfo[];
  let readTrack: TrackInfo | undefined;
  if (format === 'mp4') {
    const moov = await readMoov(path);
    tracks = moov ? isoBmffTracks(moov) : [];
    readTrack = demuxedTrack(tracks);
    if (!moov) notes.push('no complete moov box: tracks unknown');
  } else {
    tracks = [elementaryTrack(file.head)];
    readTrack = tracks[0];
  }
  // Audio (AAC, Opus) is read beside the video: sample counts, durations and bitrates of fragmented files come from it.
  const audioTracks = format === 'mp4' ? muxableTracks(tracks).filter((t) => t.type === 'audio') : [];
  for (const t of tracks) if (t !== readTrack && !audioTracks.includes(t)) notes.push(`${trackLabel(t)}: not read (glass2glass reads H.264, AAC and Opus)`);
  const audio = new Map<Caps, AudioCount>();

  const frames: ProbeFrame[] = [];
  let streamCaps: Caps | undefined;
  let bytes = 0;
  // The first keyframe of an interlaced stream whose field order the headers did not give: its SEI does.
  let firstKey: Packet | undefined;
  // Without a moov the demuxer says what is wrong; with one and no H.264 track there is nothing to read.
  if (readTrack || audioTracks.length || tracks.length === 0) {
    const onPacket = (p: Packet): void => {
      if (p.flags & PacketFlags.HEADER) return;
      if (p.caps.structures[0]?.name.startsWith('audio/')) return countAudio(audio, p);
      // The first caps that know the picture size describe the stream (a later SPS may change it).
      if (!streamCaps?.get('width') && p.caps.get('width') !== undefined) streamCaps = p.caps;
      streamCaps ??= p.caps;
      if (!firstKey && p.flags & PacketFlags.KEYFRAME) firstKey = p;
      const size = p.memory.domain === 'cpu' ? p.memory.data.byteLength : 0;
      bytes += size;
      frames.push({
        stream: 0,
        pts: orNull(p.pts),
        dts: orNull(p.dts),
        duration: orNull(p.duration),
        keyframe: (p.flags & PacketFlags.KEYFRAME) !== 0,
        size,
        corrupt: (p.flags & PacketFlags.CORRUPT) !== 0,
      });
    };
    const src = fileSrc({ location: path, opener: nodeFileOpener });
    const pipeline =
      format === 'mp4'
        ? pipe(src, mp4Demux(audioTracks.length ? { track: 'all' } : {}), fakeSink({ onPacket }))
        : pipe(src, h264Parse({ skipToKeyframe: false, framerate: options.framerate }), fakeSink({ onPacket }));
    await pipeline.run({ profile: 'throughput', log: () => undefined });
    if (frames.length === 0 && audio.size === 0) throw new ProbeError(`'${path}' holds no H.264 frames`);
  }
  const trackId = readTrack?.id ?? 1;
  const streams = frames.length ? [streamOf(streamCaps, frames, trackId)] : [];
  const counted = matchAudio(audioTracks, audio);
  const listed: ProbeTrack[] = tracks.map((t) => {
    const a = counted.get(t);
    if (a) {
      const duration = t.duration ?? (a.end > a.start ? a.end - a.start : null);
      const bitrate = t.bitrate ?? (duration ? Math.round((a.bytes * 8 * 1e9) / duration) : null);
      return { ...t, duration, bitrate, frames: t.frames ?? a.samples, read: true };
    }
    if (t !== readTrack || !streams.length) return { ...t, read: false };
    // What reading adds: counts, and for an elementary stream (or a fragmented file) duration and bitrate.
    const s = streams[0];
    const duration = t.duration ?? s.duration;
    const bitrate = t.bitrate ?? (duration ? Math.round((bytes * 8 * 1e9) / duration) : null);
    const fieldOrder = t.fieldOrder ?? (format === 'mp4' && firstKey ? fieldOrderOfSample(firstKey) : null);
    return {
      ...t,
      fieldOrder,
      framerate: t.framerate ?? s.framerate,
      duration,
      bitrate,
      frames: t.frames ?? s.frames,
      read: true,
    };
  });
  return {
    schema: 'g2g-probe/1',
    file: path,
    format,
    container: found.name,
    size: orNull(file.size),
    tracks: listed,
    streams,
    frames,
    notes,
  };
}

const seconds = (ns: number | null) => (ns === null ? 'N/A' : (ns / 1e9).toFixed(6));
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** One track's line: what it is, then what is known of its format. */
function trackLine(t: ProbeTrack, s: ProbeStream | undefined): string {
  const parts: string[] = [];
  const codec = [t.codec, t.profile].filter(Boolean).join(' ') + (t.level === null ? '' : `, level ${t.level}`);
  parts.push(`${t.type} ${codec}`);
  if (t.type === 'video') {
    parts.push(t.width !== null && t.height !== null ? `${t.width}x${t.height}` : 'size unknown');
    if (t.pixelFormat !== null) parts.push(`${t.pixelFormat} (${t.bitDepth}-bit)`);
    if (t.fieldOrder !== null) parts.push(t.fieldOrder === 'progressive' ? 'progressive' : `interlaced (${t.fieldOrder})`);
    if (t.sar !== null) parts.push(`SAR ${t.sar}`);
    parts.push(t.framerate === null ? 'frame rate unknown' : `${t.framerate} fps`);
  }
  if (t.sampleRate !== null) parts.push(`${t.sampleRate} Hz`);
  if (t.channels !== null) parts.push(plural(t.channels, 'channel'));
  if (t.bitrate !== null) parts.push(`${Math.round(t.bitrate / 1000)} kb/s`);
  if (s) parts.push(`${plural(s.frames, 'frame')} (${plural(s.keyframes, 'keyframe')})`);
  else if (t.frames !== null) parts.push(plural(t.frames, t.type === 'video' ? 'frame' : 'sample'));
  parts.push(t.duration === null ? 'duration unknown' : `${(t.duration / 1e9).toFixed(3)} s`);
  if (!t.read) parts.push('not read');
  return parts.join(', ');
}

/** The report as text: the file, a line per track, notes; with `showFrames` one row per frame after. */
export function formatProbe(r: ProbeReport, options: { showFrames?: boolean } = {}): string {
  const lines = [`File      ${r.file}: ${r.container}${r.size === null ? '' : `, ${r.size} bytes`}`];
  for (const t of r.tracks) lines.push(`${`Track ${t.id}`.padEnd(10)}${trackLine(t, t.read ? r.streams.find((s) => s.track === t.id) : undefined)}`);
  if (r.format === 'h264') lines.push('          times derived from the frame rate and picture order (the stream has none)');
  for (const n of r.notes) lines.push(`Note      ${n}`);
  if (!options.showFrames || r.frames.length === 0) return lines.join('\n');
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
  return (
    e instanceof ProbeError || e instanceof UnsupportedTypeError || e instanceof FileOpenError || e instanceof ElementError || e instanceof NegotiationError
  );
}

/** `g2g probe FILE [--json] [--show-frames]`. */
export async function probe(args: string[], io: CliIo = processIo): Promise<number> {
  const a = parseArgs(args, {
    flags: ['json', 'help', 'show-frames'],
    options: ['framerate'],
    short: { h: 'help' },
  });
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
  io.out(a.flags.has('json') ? JSON.stringify(report, null, 2) : formatProbe(report, { showFrames: a.flags.has('show-frames') }));
  return 0;
}
