/**
 * Audio decoder configurations carried by MP4 sample entries: the `esds` of `mp4a` (ISO/IEC 14496-1
 * ES_Descriptor → DecoderConfigDescriptor → DecoderSpecificInfo, the AAC AudioSpecificConfig of 14496-3
 * 1.6.2.1) and the `dOps` of `Opus` (the Opus-in-ISOBMFF spec, 4.3.2). Pure functions over bytes: parsers
 * answer an Mp4Error on bad input, never throw.
 */
import { Mp4Error } from './errors';

/** What an `esds` says: the codec (objectTypeIndication), bitrates and the decoder-specific bytes. */
export interface EsdsInfo {
  /** 0x40: MPEG-4 audio (AAC); 0x66–0x68: MPEG-2 AAC; 0x69/0x6b: MP3. */
  readonly objectTypeIndication: number;
  readonly bufferSizeDB: number;
  readonly maxBitrate: number;
  readonly avgBitrate: number;
  /** The AudioSpecificConfig for AAC; empty when absent. */
  readonly decoderSpecificInfo: Uint8Array;
}

const bad = (why: string): Mp4Error => new Mp4Error('invalid-data', why);

/** Reads a descriptor tag and its expandable size (up to 4 bytes of 7 bits). */
function descriptor(d: Uint8Array, p: number, end: number): { tag: number; start: number; end: number } | Mp4Error {
  if (p + 2 > end) return bad('esds: descriptor header past the end');
  const tag = d[p++];
  let size = 0;
  for (let k = 0; k < 4; k++) {
    if (p >= end) return bad('esds: descriptor size past the end');
    const b = d[p++];
    size = size * 128 + (b & 0x7f);
    if (!(b & 0x80)) break;
  }
  if (p + size > end) return bad(`esds: descriptor 0x${tag.toString(16)} of ${size} bytes runs past the box`);
  return { tag, start: p, end: p + size };
}

/** Parses an `esds` payload (version and flags first, as the box holds it). */
export function parseEsds(data: Uint8Array): EsdsInfo | Mp4Error {
  if (data.length < 4) return bad('esds: too short');
  const es = descriptor(data, 4, data.length);
  if (es instanceof Mp4Error) return es;
  if (es.tag !== 0x03) return bad(`esds: expected an ES_Descriptor (tag 3), got tag ${es.tag}`);
  let p = es.start + 2; // ES_ID
  if (p >= es.end) return bad('esds: ES_Descriptor too short');
  const flags = data[p++];
  if (flags & 0x80) p += 2; // dependsOn_ES_ID
  if (flags & 0x40) p += 1 + (data[p] ?? 0); // URL
  if (flags & 0x20) p += 2; // OCR_ES_Id
  const dc = descriptor(data, p, es.end);
  if (dc instanceof Mp4Error) return dc;
  if (dc.tag !== 0x04 || dc.end - dc.start < 13) return bad('esds: no DecoderConfigDescriptor (tag 4)');
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const objectTypeIndication = data[dc.start];
  const bufferSizeDB = (data[dc.start + 2] << 16) | (data[dc.start + 3] << 8) | data[dc.start + 4];
  const maxBitrate = v.getUint32(dc.start + 5);
  const avgBitrate = v.getUint32(dc.start + 9);
  let decoderSpecificInfo: Uint8Array = new Uint8Array(0);
  if (dc.start + 13 < dc.end) {
    const dsi = descriptor(data, dc.start + 13, dc.end);
    if (dsi instanceof Mp4Error) return dsi;
    if (dsi.tag === 0x05) decoderSpecificInfo = data.subarray(dsi.start, dsi.end);
  }
  return { objectTypeIndication, bufferSizeDB, maxBitrate, avgBitrate, decoderSpecificInfo };
}

/** A descriptor with a 4-byte size field, as ffmpeg writes them (so our esds has ffmpeg's layout). */
function putDescriptor(out: number[], tag: number, size: number): void {
  out.push(tag, 0x80 | ((size >> 21) & 0x7f), 0x80 | ((size >> 14) & 0x7f), 0x80 | ((size >> 7) & 0x7f), size & 0x7f);
}

/** Builds an `esds` payload (version/flags included) for MPEG-4 audio with this AudioSpecificConfig. */
export function buildEsds(info: Omit<EsdsInfo, 'objectTypeIndication'> & { objectTypeIndication?: number }, trackId = 1): Uint8Array {
  const dsi = info.decoderSpecificInfo;
  const dsiLen = dsi.length ? 5 + dsi.length : 0;
  const dcLen = 13 + dsiLen;
  const out: number[] = [0, 0, 0, 0];
  putDescriptor(out, 0x03, 3 + 5 + dcLen + 5 + 1);
  out.push((trackId >> 8) & 0xff, trackId & 0xff, 0);
  putDescriptor(out, 0x04, dcLen);
  out.push(info.objectTypeIndication ?? 0x40, 0x15); // streamType 5 (audio) << 2 | reserved 1
  const u24 = Math.min(info.bufferSizeDB, 0xffffff);
  out.push((u24 >> 16) & 0xff, (u24 >> 8) & 0xff, u24 & 0xff);
  for (const x of [info.maxBitrate, info.avgBitrate]) out.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
  if (dsi.length) {
    putDescriptor(out, 0x05, dsi.length);
    for (const b of dsi) out.push(b);
  }
  putDescriptor(out, 0x06, 1);
  out.push(0x02); // SLConfig predefined: MP4
  return Uint8Array.from(out);
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** The head of an AAC AudioSpecificConfig. */
export interface AacConfig {
  /** Audio object type: 2 AAC-LC, 5 SBR (HE-AAC), 29 PS, … */
  readonly objectType: number;
  readonly sampleRate: number;
  /** channelConfiguration: 1–6 channels as counted, 7 → 8; 0 means a program config element says. */
  readonly channels: number;
}

/** Reads the object type, sampling rate and channel configuration of an AudioSpecificConfig. */
export function parseAudioSpecificConfig(asc: Uint8Array): AacConfig | Mp4Error {
  let bit = 0;
  const read = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, bit++) v = (v << 1) | ((asc[bit >> 3] >> (7 - (bit & 7))) & 1);
    return v >>> 0;
  };
  if (asc.length < 2) return bad(`AudioSpecificConfig of ${asc.length} bytes`);
  let objectType = read(5);
  if (objectType === 31) objectType = 32 + read(6);
  const index = read(4);
  if (index === 15 && asc.length < 5) return bad('AudioSpecificConfig: explicit rate past the end');
  const sampleRate = index === 15 ? read(24) : AAC_RATES[index];
  if (!sampleRate) return bad(`AudioSpecificConfig: sampling frequency index ${index}`);
  const cc = read(4);
  return { objectType, sampleRate, channels: cc === 7 ? 8 : cc };
}

/** GStreamer's `profile` field of AAC caps for an object type, when it has one. */
export function aacProfileName(objectType: number): string | undefined {
  return ({ 1: 'main', 2: 'lc', 3: 'ssr', 4: 'ltp', 5: 'he-aac-v1', 29: 'he-aac-v2' } as Record<number, string>)[objectType];
}

/** The Opus decoder configuration (dOps; its fields are those of the OpusHead of RFC 7845). */
export interface OpusConfig {
  readonly channels: number;
  /** Samples at 48 kHz to drop from the decoder's output start. */
  readonly preSkip: number;
  /** The encoder's input rate (informative: Opus always decodes at 48 kHz). */
  readonly inputSampleRate: number;
  /** Q7.8 dB. */
  readonly outputGain: number;
  readonly channelMappingFamily: number;
}

/** Parses a `dOps` payload (not a full box: its version byte is the first field). */
export function parseDOps(d: Uint8Array): OpusConfig | Mp4Error {
  if (d.length < 11) return bad(`dOps of ${d.length} bytes, fewer than 11`);
  if (d[0] !== 0) return bad(`dOps version ${d[0]}`);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const channels = d[1];
  const channelMappingFamily = d[10];
  if (channelMappingFamily !== 0 && d.length < 13 + channels) return bad(`dOps: mapping family ${channelMappingFamily} without its channel mapping table`);
  return { channels, preSkip: v.getUint16(2), inputSampleRate: v.getUint32(4), outputGain: v.getInt16(8), channelMappingFamily };
}

/** A `dOps` payload for mapping family 0 (mono or stereo). */
export function buildDOps(c: Pick<OpusConfig, 'channels' | 'preSkip' | 'inputSampleRate'> & { outputGain?: number }): Uint8Array {
  if (c.channels < 1 || c.channels > 2)
    throw new Mp4Error('invalid-argument', `Opus without codec_data: mapping family 0 takes 1 or 2 channels, got ${c.channels}`);
  const d = new Uint8Array(11);
  const v = new DataView(d.buffer);
  d[1] = c.channels;
  v.setUint16(2, c.preSkip);
  v.setUint32(4, c.inputSampleRate);
  v.setInt16(8, c.outputGain ?? 0);
  return d;
}
