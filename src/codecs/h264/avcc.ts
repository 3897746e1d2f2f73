import { H264Error } from './errors';
import { parseSps } from './sps';

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1), the `avcC` box payload and codec_data. */
export interface AvcDecoderConfig {
  readonly profileIdc: number;
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  /** Bytes of the NAL length prefix in samples (lengthSizeMinusOne + 1). */
  readonly lengthSize: 1 | 2 | 4;
  /** Whole SPS NAL units (header byte included, emulation prevention in). */
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  /** Present for the High profiles (100, 110, 122, 144) when the record carries them. */
  readonly chromaFormat?: number;
  readonly bitDepthLuma?: number;
  readonly bitDepthChroma?: number;
  readonly spsExt?: readonly Uint8Array[];
}

const EXT_PROFILES = new Set([100, 110, 122, 144]);

/** Parses an avcC record; views into `data`. Throws H264Error on malformed records. */
export function parseAvcC(data: Uint8Array): AvcDecoderConfig {
  if (data.length < 7) throw new H264Error('truncated', `avcC of ${data.length} bytes is shorter than 7`);
  if (data[0] !== 1) throw new H264Error('invalid', `avcC configurationVersion ${data[0]} (expected 1)`);
  const lengthSize = (data[4] & 3) + 1;
  if (lengthSize === 3) throw new H264Error('invalid', 'avcC lengthSizeMinusOne 2 is reserved');
  let i = 5;
  const readSets = (count: number, what: string): Uint8Array[] => {
    const out: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      if (i + 2 > data.length) throw new H264Error('truncated', `avcC ${what} length cut off`);
      const len = (data[i] << 8) | data[i + 1];
      i += 2;
      if (i + len > data.length) throw new H264Error('truncated', `avcC ${what} of ${len} bytes runs past the record`);
      out.push(data.subarray(i, i + len));
      i += len;
    }
    return out;
  };
  const sps = readSets(data[i++] & 0x1f, 'SPS');
  if (i >= data.length) throw new H264Error('truncated', 'avcC PPS count cut off');
  const pps = readSets(data[i++], 'PPS');
  const base = { profileIdc: data[1], profileCompatibility: data[2], levelIdc: data[3], lengthSize: lengthSize as 1 | 2 | 4, sps, pps };
  // The High-profile extension is often missing in the wild (older muxers): optional here.
  if (EXT_PROFILES.has(data[1]) && i + 4 <= data.length) {
    const chromaFormat = data[i] & 3;
    const bitDepthLuma = (data[i + 1] & 7) + 8;
    const bitDepthChroma = (data[i + 2] & 7) + 8;
    const n = data[i + 3];
    i += 4;
    const spsExt = readSets(n, 'SPS extension');
    return { ...base, chromaFormat, bitDepthLuma, bitDepthChroma, spsExt };
  }
  return base;
}

export interface BuildAvcCOptions {
  readonly sps: readonly Uint8Array[];
  readonly pps: readonly Uint8Array[];
  readonly lengthSize?: 1 | 2 | 4;
  readonly spsExt?: readonly Uint8Array[];
}

/**
 * Builds an avcC record from whole SPS/PPS NAL units; profile, compatibility and level come from the
 * first SPS, as do chroma format and bit depths for the High profiles.
 */
export function buildAvcC(options: BuildAvcCOptions): Uint8Array {
  const { sps, pps, lengthSize = 4, spsExt = [] } = options;
  if (sps.length === 0) throw new H264Error('argument', 'avcC needs at least one SPS');
  if (sps.length > 31) throw new H264Error('argument', `avcC holds at most 31 SPS, got ${sps.length}`);
  if (pps.length > 255) throw new H264Error('argument', `avcC holds at most 255 PPS, got ${pps.length}`);
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) throw new H264Error('argument', `lengthSize must be 1, 2 or 4, got ${lengthSize}`);
  for (const n of [...sps, ...pps, ...spsExt]) {
    if (n.length === 0 || n.length > 0xffff) throw new H264Error('argument', `parameter set of ${n.length} bytes does not fit avcC`);
  }
  const first = sps[0];
  if (first.length < 4) throw new H264Error('argument', 'SPS shorter than 4 bytes');
  const ext = EXT_PROFILES.has(first[1]);
  let size = 6 + 1;
  for (const n of sps) size += 2 + n.length;
  for (const n of pps) size += 2 + n.length;
  if (ext) {
    size += 4;
    for (const n of spsExt) size += 2 + n.length;
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = first[1];
  out[2] = first[2];
  out[3] = first[3];
  out[4] = 0xfc | (lengthSize - 1);
  out[5] = 0xe0 | sps.length;
  let i = 6;
  const put = (n: Uint8Array): void => {
    out[i] = n.length >> 8;
    out[i + 1] = n.length & 0xff;
    out.set(n, i + 2);
    i += 2 + n.length;
  };
  sps.forEach(put);
  out[i++] = pps.length;
  pps.forEach(put);
  if (ext) {
    const parsed = parseSps(first);
    out[i++] = 0xfc | parsed.chromaFormatIdc;
    out[i++] = 0xf8 | (parsed.bitDepthLuma - 8);
    out[i++] = 0xf8 | (parsed.bitDepthChroma - 8);
    out[i++] = spsExt.length;
    spsExt.forEach(put);
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex, the codec_data caps field. */
export function toHex(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < data.length; i++) s += HEX[data[i]];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new H264Error('argument', 'codec_data is not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}
