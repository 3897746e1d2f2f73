import { Caps, caps, fraction, fractionRange, intRange, list, type Fraction } from '../caps';

/** The raw video formats of the caps contract: CPU memory, planes tightly packed, no padding. */
export type VideoFormat = 'NV12' | 'I420' | 'RGBA';

/**
 * Layouts frameLayout also knows: the caps formats plus planar 4:4:4 (GStreamer's Y444), the
 * full-resolution intermediate that static patterns are drawn in before chroma is averaged down.
 */
export type LayoutFormat = VideoFormat | 'Y444';

/** In preference order: a source fixates to the first one downstream allows. */
export const VIDEO_FORMATS: readonly VideoFormat[] = Object.freeze(['NV12', 'I420', 'RGBA']);

/** Largest width/height the templates advertise (GStreamer's videotestsrc allows more; encoders do not). */
export const MAX_DIMENSION = 16384;

export interface PlaneLayout {
  /** Byte offset of the plane in the frame. */
  readonly offset: number;
  /** Bytes per row (tightly packed: samples × bytes per sample). */
  readonly stride: number;
  /** Samples per row (for NV12's UV plane: U/V pairs). */
  readonly width: number;
  readonly height: number;
  readonly size: number;
}

export interface VideoFrameLayout<F extends LayoutFormat = LayoutFormat> {
  readonly format: F;
  readonly width: number;
  readonly height: number;
  /** RGBA: one plane; NV12: Y, UV; I420 and Y444: Y, U, V. */
  readonly planes: readonly PlaneLayout[];
  /** Total bytes of one frame. */
  readonly size: number;
}

export function isVideoFormat(v: unknown): v is VideoFormat {
  return v === 'NV12' || v === 'I420' || v === 'RGBA';
}

function checkDimension(what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
}

function plane(offset: number, width: number, height: number, bytesPerSample: number): PlaneLayout {
  const stride = width * bytesPerSample;
  return Object.freeze({ offset, stride, width, height, size: stride * height });
}

/**
 * The plane layout of a frame. Chroma of the 4:2:0 formats covers odd sizes by rounding up
 * (a 5x3 I420 frame has 3x2 chroma planes), as GStreamer and FFmpeg lay them out.
 */
export function frameLayout<F extends LayoutFormat>(format: F, width: number, height: number): VideoFrameLayout<F> {
  if (!isVideoFormat(format) && format !== 'Y444') throw new RangeError(`unsupported raw video format '${String(format)}' (expected ${VIDEO_FORMATS.join(', ')})`);
  checkDimension('width', width);
  checkDimension('height', height);
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  let planes: PlaneLayout[];
  if (format === 'RGBA') {
    planes = [plane(0, width, height, 4)];
  } else if (format === 'Y444') {
    planes = [0, 1, 2].map((k) => plane(k * width * height, width, height, 1));
  } else if (format === 'NV12') {
    const y = plane(0, width, height, 1);
    planes = [y, plane(y.size, cw, ch, 2)];
  } else {
    const y = plane(0, width, height, 1);
    const u = plane(y.size, cw, ch, 1);
    planes = [y, u, plane(u.offset + u.size, cw, ch, 1)];
  }
  const last = planes[planes.length - 1];
  return Object.freeze({ format, width, height, planes: Object.freeze(planes), size: last.offset + last.size });
}

/** What fixed `video/x-raw` caps say about the frames. */
export interface RawVideoInfo {
  readonly format: VideoFormat;
  readonly width: number;
  readonly height: number;
  /** Frames per second as a fraction; undefined when the caps carry none. */
  readonly framerate: Fraction | undefined;
  readonly layout: VideoFrameLayout<VideoFormat>;
}

/** Reads fixed raw video caps; throws a RangeError naming the field that is missing or out of contract. */
export function rawVideoInfo(c: Caps): RawVideoInfo {
  if (c.mediaType !== 'video/x-raw') throw new RangeError(`expected video/x-raw caps, got ${c.toString()}`);
  const format = c.get('format');
  const width = c.get('width');
  const height = c.get('height');
  const rate = c.get('framerate');
  if (!isVideoFormat(format)) throw new RangeError(`video/x-raw caps need format=${VIDEO_FORMATS.join('|')}, got ${c.toString()}`);
  if (typeof width !== 'number' || typeof height !== 'number') throw new RangeError(`video/x-raw caps need fixed width and height, got ${c.toString()}`);
  let framerate: Fraction | undefined;
  if (rate !== undefined) {
    if (typeof rate !== 'object' || rate.kind !== 'fraction') throw new RangeError(`video/x-raw framerate must be a fixed fraction, got ${c.toString()}`);
    framerate = rate;
  }
  return { format, width, height, framerate, layout: frameLayout(format, width, height) };
}

/** Fixed raw video caps for these frames. */
export function rawVideoCaps(info: { format: VideoFormat; width: number; height: number; framerate?: Fraction }): Caps {
  const fields: Record<string, Fraction | string | number> = { format: info.format, width: info.width, height: info.height };
  if (info.framerate) fields.framerate = info.framerate;
  return caps('video/x-raw', fields);
}

/**
 * The template of a raw video pad: the given formats, any size up to MAX_DIMENSION, any rate including
 * 0/1, GStreamer's "variable or unknown" (`framerate=[0/1, 2147483647/1]` in its video templates): an RTSP
 * or MP4 stream without a fixed rate decodes to 0/1 frames, which every consumer of timestamps handles.
 * Sources that pace or stamp frames by their rate fixate away from 0/1 (fixateRawVideo).
 */
export function rawVideoTemplate(formats: readonly VideoFormat[] = VIDEO_FORMATS): Caps {
  return caps('video/x-raw', {
    format: formats.length === 1 ? formats[0] : list(...formats),
    width: intRange(1, MAX_DIMENSION),
    height: intRange(1, MAX_DIMENSION),
    framerate: fractionRange(fraction(0, 1), fraction(2147483647, 1)),
  });
}

/** Whether a rate is GStreamer's "variable or unknown" 0/1 (any 0/N). */
export function isVariableFramerate(rate: Fraction | undefined): boolean {
  return rate !== undefined && rate.num === 0;
}

/** Parses '30/1', '30000/1001', '25' or a number of frames per second into a positive fraction. */
export function parseFramerate(rate: string | number | Fraction): Fraction {
  if (typeof rate === 'object') {
    if (rate.num <= 0 || rate.den <= 0) throw new RangeError(`framerate must be positive, got ${rate.num}/${rate.den}`);
    return fraction(rate.num, rate.den);
  }
  if (typeof rate === 'number') {
    if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`framerate must be a positive number, got ${rate}`);
    // 29.97 → 2997/100: exact for decimal input, which is what people type.
    let den = 1;
    while (!Number.isInteger(rate * den) && den < 1e6) den *= 10;
    return fraction(Math.round(rate * den), den);
  }
  const m = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(rate);
  if (!m || Number(m[1]) === 0 || Number(m[2] ?? 1) === 0) throw new RangeError(`framerate must be N/D with N, D > 0, got '${rate}'`);
  return fraction(Number(m[1]), Number(m[2] ?? 1));
}
