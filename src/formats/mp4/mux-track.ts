/**
 * One track of the MP4 muxer: its configuration (H.264, AAC or Opus), the samples it holds as columns,
 * its timeline (ticks from its first dts) and its sample entry. The muxer (`mp4-muxer`) lays the tracks
 * out in fragments or in one progressive file.
 */
import { nsToTicks } from '../../time';
import { buildEsds, parseAudioSpecificConfig, parseDOps } from './audio-config';
import { parseAvcDecoderConfig } from './avcc';
import { Mp4Error } from './errors';
import type { Box } from './isobmff-boxes';

/** An H.264 track of a muxed file. */
export interface Mp4VideoTrackConfig {
  readonly kind?: 'video';
  /** `avc1`: parameter sets only in avcC; `avc3`: they may also be in-band. */
  readonly codec: 'avc1' | 'avc3';
  /** The AVCDecoderConfigurationRecord (avcC payload). */
  readonly codecPrivate: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Pixel aspect ratio; a `pasp` box is written when it is not 1/1. */
  readonly pixelAspectRatio?: { readonly num: number; readonly den: number };
  /** Media timescale (ticks per second); see `chooseTimescale`. */
  readonly timescale: number;
  /** Duration (ns) of the last sample when neither the packet nor a previous sample tells (1/framerate). */
  readonly defaultSampleDuration?: number;
}

/** An AAC (`mp4a` + `esds`) or Opus (`Opus` + `dOps`) track of a muxed file. */
export interface Mp4AudioTrackConfig {
  readonly kind: 'audio';
  readonly codec: 'mp4a' | 'Opus';
  /** AAC: the AudioSpecificConfig; Opus: the dOps payload. */
  readonly codecPrivate: Uint8Array;
  readonly sampleRate: number;
  readonly channels: number;
  /** Media timescale: the sample rate, as ffmpeg (48000 for Opus). */
  readonly timescale: number;
  readonly defaultSampleDuration?: number;
}

export type Mp4TrackConfig = Mp4VideoTrackConfig | Mp4AudioTrackConfig;

/** A sample's bytes: one buffer, or parts whose concatenation it is (gathered: written as they are, no copy). */
export type SampleData = Uint8Array | readonly Uint8Array[];

export const FLAG_SYNC = 1;
export const FLAG_DROPPABLE = 2;
export const U32 = 0xffffffff;

/** Bytes of a sample; throws on anything but a Uint8Array or an array of them. */
export function sampleSize(d: SampleData): number {
  if (d instanceof Uint8Array) return d.length;
  if (!Array.isArray(d)) throw new Mp4Error('invalid-argument', 'sample data must be a Uint8Array or an array of them');
  let n = 0;
  for (const p of d) {
    if (!(p instanceof Uint8Array)) throw new Mp4Error('invalid-argument', 'sample data must be a Uint8Array or an array of them');
    n += p.length;
  }
  return n;
}

export function writeSample(w: { bytes_(b: Uint8Array): void }, d: SampleData): void {
  if (d instanceof Uint8Array) w.bytes_(d);
  else for (const p of d) w.bytes_(p);
}

/** Growable per-sample columns: typed arrays, one per field, doubled when full. */
export class SampleColumns {
  n = 0;
  dts = new Float64Array(64);
  pts = new Float64Array(64);
  sizes = new Uint32Array(64);
  flags = new Uint8Array(64);
  data: SampleData[] = [];
  bytes = 0;

  push(dts: number, pts: number, data: SampleData, size: number, flags: number): void {
    if (this.n === this.dts.length) {
      const grow = <T extends Float64Array | Uint32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.dts = grow(this.dts);
      this.pts = grow(this.pts);
      this.sizes = grow(this.sizes);
      this.flags = grow(this.flags);
    }
    const i = this.n++;
    this.dts[i] = dts;
    this.pts[i] = pts;
    this.sizes[i] = size;
    this.flags[i] = flags;
    this.data.push(data);
    this.bytes += size;
  }

  clear(): void {
    this.n = 0;
    this.data = [];
    this.bytes = 0;
  }
}

/** Checks a track's configuration; throws Mp4Error('invalid-argument') naming the field. */
export function validateTrack(track: Mp4TrackConfig): void {
  const bad = (why: string): Mp4Error => new Mp4Error('invalid-argument', why);
  if (!(track.codecPrivate instanceof Uint8Array)) throw bad('codecPrivate must be a Uint8Array');
  if (!Number.isInteger(track.timescale) || track.timescale <= 0 || track.timescale > U32)
    throw bad(`timescale must be a positive 32-bit integer, got ${track.timescale}`);
  const d = track.defaultSampleDuration;
  if (d !== undefined && (!Number.isFinite(d) || d < 0)) throw bad(`defaultSampleDuration must be a non-negative number of ns, got ${d}`);
  if (track.kind === 'audio') {
    if (track.codec !== 'mp4a' && track.codec !== 'Opus') throw bad(`audio codec must be mp4a or Opus, got ${String(track.codec)}`);
    const c = track.codec === 'mp4a' ? parseAudioSpecificConfig(track.codecPrivate) : parseDOps(track.codecPrivate);
    if (c instanceof Mp4Error) throw bad(c.message);
    if (!Number.isInteger(track.sampleRate) || track.sampleRate <= 0) throw bad(`sampleRate must be a positive integer, got ${track.sampleRate}`);
    if (!Number.isInteger(track.channels) || track.channels <= 0 || track.channels > 255) throw bad(`channels must be in [1, 255], got ${track.channels}`);
    return;
  }
  if (track.codec !== 'avc1' && track.codec !== 'avc3') throw bad(`codec must be avc1 or avc3, got ${String(track.codec)}`);
  const avcc = parseAvcDecoderConfig(track.codecPrivate);
  if (avcc instanceof Mp4Error) throw bad(avcc.message);
  for (const [k, v] of [
    ['width', track.width],
    ['height', track.height],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw bad(`${k} must be an integer in [0, 65535], got ${v}`);
  }
  const par = track.pixelAspectRatio;
  if (par && (!Number.isInteger(par.num) || !Number.isInteger(par.den) || par.num <= 0 || par.den <= 0))
    throw bad(`pixelAspectRatio must be positive integers, got ${par.num}/${par.den}`);
}

/** A track being muxed: its samples held since the last fragment (or all of them, progressive). */
export class MuxTrack {
  readonly samples = new SampleColumns();
  readonly ts: number;
  /** First dts (ns): tick 0 of this track's media timeline. */
  origin: number | undefined;
  /** Earliest pts (ns) seen. */
  minPts = Infinity;
  lastDts: number | undefined;
  lastDelta: number | undefined;
  /** The last sample's own duration (ns), if its packet had one. */
  lastDuration: number | undefined;
  total = 0;
  /** Bytes written and the time span (ns), for the esds bitrates. */
  bytes = 0;
  maxSize = 0;

  constructor(readonly config: Mp4TrackConfig, readonly id: number) {
    this.ts = config.timescale;
  }

  get isVideo(): boolean {
    return this.config.kind !== 'audio';
  }

  /** Ticks of a time (ns) on this track's timeline, which starts at its first dts. */
  ticks(ns: number): number {
    return nsToTicks(ns - this.origin!, this.ts);
  }

  /** End (ticks) of the last held sample: its packet duration, else the default, else the last delta. */
  lastEndTicks(): number {
    const s = this.samples;
    const last = s.dts[s.n - 1];
    const lastTicks = this.ticks(last);
    const guess = this.lastDuration ?? this.config.defaultSampleDuration ?? this.lastDelta;
    const end = guess !== undefined && guess > 0 ? this.ticks(last + guess) : lastTicks + Math.max(1, Math.round(this.ts / 30));
    return Math.max(end, lastTicks + 1);
  }

  /** The stsd entry: avc1/avc3 + avcC (+ pasp), mp4a + esds, or Opus + dOps. */
  sampleEntry(durationNs: number): Box {
    const t = this.config;
    if (t.kind === 'audio') {
      // ffmpeg's esds bitrates: the average over the track; the buffer, its largest sample.
      const avg = durationNs > 0 ? Math.min(U32, Math.round((this.bytes * 8 * 1e9) / durationNs)) : 0;
      const child: Box =
        t.codec === 'mp4a'
          ? {
              type: 'raw',
              fourcc: 'esds',
              data: buildEsds({ bufferSizeDB: this.maxSize, maxBitrate: avg, avgBitrate: avg, decoderSpecificInfo: t.codecPrivate }, this.id),
            }
          : { type: 'raw', fourcc: 'dOps', data: t.codecPrivate };
      return {
        type: t.codec,
        dataReferenceIndex: 1,
        channelCount: t.channels,
        sampleSize: 16,
        sampleRate: t.codec === 'Opus' ? 48000 : t.sampleRate,
        children: [child],
      };
    }
    const children: Box[] = [{ type: 'avcC', data: t.codecPrivate }];
    const par = t.pixelAspectRatio;
    if (par && par.num !== par.den) children.push({ type: 'pasp', hSpacing: par.num, vSpacing: par.den });
    return { type: t.codec, dataReferenceIndex: 1, width: t.width, height: t.height, compressorName: '', depth: 0x18, children };
  }

  /** Display size: the coded size stretched by the pixel aspect ratio (0×0 for audio). */
  displaySize(): { width: number; height: number } {
    const t = this.config;
    if (t.kind === 'audio') return { width: 0, height: 0 };
    const par = t.pixelAspectRatio;
    const width = par ? Math.round((t.width * par.num) / par.den) : t.width;
    return { width, height: t.height };
  }
}
