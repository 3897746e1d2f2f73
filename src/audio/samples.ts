import { frameCount, type AudioFormat, type RawAudioInfo } from './format';

/**
 * Sample conversion between the byte formats and float planes (one Float64Array per channel, full scale
 * ±1). Every element that computes on audio (mix, resample, volume, level) works on planes, so each format
 * is read and written in exactly one place. Float64, not Float32: S32 survives the round trip exactly.
 */

/** Full-scale divisor of each integer format: -2^(bits-1) reads as exactly -1. */
const SCALE = { S16LE: 32768, S24LE: 8388608, S32LE: 2147483648, U8: 128 } as const;

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readOne(format: AudioFormat, dv: DataView, bytes: Uint8Array, at: number): number {
  switch (format) {
    case 'S16LE':
      return dv.getInt16(at, true) / SCALE.S16LE;
    case 'S32LE':
      return dv.getInt32(at, true) / SCALE.S32LE;
    case 'F32LE':
      return dv.getFloat32(at, true);
    case 'U8':
      return (bytes[at] - 128) / SCALE.U8;
    case 'S24LE': {
      const u = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
      return ((u << 8) >> 8) / SCALE.S24LE; // sign-extend bit 23
    }
  }
}

/** Rounds to the nearest integer level and clamps (a full-scale +1 becomes the largest positive value). */
function quantize(x: number, scale: number): number {
  const v = Math.round(x * scale);
  return v >= scale ? scale - 1 : v < -scale ? -scale : v;
}

function writeOne(format: AudioFormat, dv: DataView, bytes: Uint8Array, at: number, x: number): void {
  // NaN would poison every later stage; silence is the safe reading of it.
  if (x !== x) x = 0;
  switch (format) {
    case 'S16LE':
      dv.setInt16(at, quantize(x, SCALE.S16LE), true);
      return;
    case 'S32LE':
      dv.setInt32(at, quantize(x, SCALE.S32LE), true);
      return;
    case 'F32LE':
      dv.setFloat32(at, x, true);
      return;
    case 'U8':
      bytes[at] = quantize(x, SCALE.U8) + 128;
      return;
    case 'S24LE': {
      const v = quantize(x, SCALE.S24LE);
      bytes[at] = v & 0xff;
      bytes[at + 1] = (v >> 8) & 0xff;
      bytes[at + 2] = (v >> 16) & 0xff;
      return;
    }
  }
}

/** Where sample `i` of channel `c` starts, for `frames` frames in this layout. */
function offsetOf(info: RawAudioInfo, frames: number, c: number, i: number): number {
  return info.layout === 'interleaved' ? i * info.bpf + c * info.bps : (c * frames + i) * info.bps;
}

/** The samples of a buffer as one float plane per channel. */
export function readPlanes(info: RawAudioInfo, bytes: Uint8Array): Float64Array[] {
  const frames = frameCount(info, bytes.byteLength);
  const dv = view(bytes);
  const planes: Float64Array[] = [];
  for (let c = 0; c < info.channels; c++) {
    const p = new Float64Array(frames);
    for (let i = 0; i < frames; i++) p[i] = readOne(info.format, dv, bytes, offsetOf(info, frames, c, i));
    planes.push(p);
  }
  return planes;
}

/** Float planes (one per channel, all `frames` long) as bytes of this format and layout. */
export function writePlanes(info: RawAudioInfo, planes: readonly Float64Array[], frames = planes[0]?.length ?? 0): Uint8Array {
  if (planes.length !== info.channels) throw new RangeError(`expected ${info.channels} planes, got ${planes.length}`);
  const bytes = new Uint8Array(frames * info.bpf);
  const dv = view(bytes);
  for (let c = 0; c < info.channels; c++) {
    const p = planes[c];
    for (let i = 0; i < frames; i++) writeOne(info.format, dv, bytes, offsetOf(info, frames, c, i), p[i]);
  }
  return bytes;
}

/** The byte that is silence in this format (U8 is offset binary). */
export function silenceByte(format: AudioFormat): number {
  return format === 'U8' ? 128 : 0;
}
