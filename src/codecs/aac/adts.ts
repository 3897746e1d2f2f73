/**
 * AAC framing: the AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1, the `codec_data` of raw AAC and the esds
 * payload) and ADTS headers (1.A.2). Pure functions over bytes; `null` for input that is not what it claims.
 */

/** Sampling frequencies by index (ISO/IEC 14496-3 table 1.18). */
export const AAC_RATES: readonly number[] = Object.freeze([96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]);

export interface AudioSpecificConfig {
  /** Audio object type: 2 = AAC LC. */
  readonly objectType: number;
  readonly rate: number;
  /** The channel configuration (1–7; 0 = described by a program config element). */
  readonly channelConfig: number;
}

/** The leading fields of an AudioSpecificConfig (escape values for object type and explicit rates read). */
export function parseAudioSpecificConfig(b: Uint8Array): AudioSpecificConfig | null {
  if (b.length < 2) return null;
  let bit = 0;
  const read = (n: number): number | null => {
    let v = 0;
    for (let i = 0; i < n; i++, bit++) {
      if (bit >> 3 >= b.length) return null;
      v = (v << 1) | ((b[bit >> 3] >> (7 - (bit & 7))) & 1);
    }
    return v >>> 0;
  };
  let objectType = read(5);
  if (objectType === 31) {
    const ext = read(6);
    objectType = ext === null ? null : 32 + ext;
  }
  const index = read(4);
  if (objectType === null || index === null) return null;
  const rate = index === 15 ? read(24) : AAC_RATES[index];
  const channelConfig = read(4);
  if (rate === null || rate === undefined || rate === 0 || channelConfig === null) return null;
  return { objectType, rate, channelConfig };
}

/** A 2-byte AudioSpecificConfig for a standard rate. */
export function audioSpecificConfig(objectType: number, rate: number, channelConfig: number): Uint8Array {
  const index = AAC_RATES.indexOf(rate);
  if (objectType < 1 || objectType > 30 || index < 0 || channelConfig < 0 || channelConfig > 15) throw new RangeError(`no 2-byte AudioSpecificConfig for object type ${objectType}, ${rate} Hz, channel config ${channelConfig}`);
  return Uint8Array.of((objectType << 3) | (index >> 1), ((index & 1) << 7) | (channelConfig << 3));
}

export const ADTS_HEADER = 7;

/** The 7-byte ADTS header (no CRC) for one raw AAC frame of `payload` bytes. */
export function adtsHeader(asc: AudioSpecificConfig, payload: number): Uint8Array {
  const index = AAC_RATES.indexOf(asc.rate);
  const len = payload + ADTS_HEADER;
  if (index < 0 || asc.objectType < 1 || asc.objectType > 4 || asc.channelConfig > 7 || len > 0x1fff)
    throw new RangeError(`ADTS cannot carry object type ${asc.objectType}, ${asc.rate} Hz, channel config ${asc.channelConfig}, ${payload} bytes`);
  const profile = asc.objectType - 1;
  return Uint8Array.of(
    0xff,
    0xf1, // sync, MPEG-4, layer 0, no CRC
    (profile << 6) | (index << 2) | (asc.channelConfig >> 2),
    ((asc.channelConfig & 3) << 6) | (len >> 11),
    (len >> 3) & 0xff,
    ((len & 7) << 5) | 0x1f,
    0xfc // buffer fullness 0x7ff (VBR), one raw data block
  );
}

export interface AdtsFrame {
  readonly config: AudioSpecificConfig;
  /** Header length (7, or 9 with a CRC). */
  readonly headerBytes: number;
  /** Whole frame length, header included. */
  readonly frameBytes: number;
}

/** The ADTS header at `at`, or null when there is none (no sync word, reserved values, short input). */
export function parseAdtsHeader(b: Uint8Array, at = 0): AdtsFrame | null {
  if (at + ADTS_HEADER > b.length || b[at] !== 0xff || (b[at + 1] & 0xf6) !== 0xf0) return null;
  const index = (b[at + 2] >> 2) & 0xf;
  const rate = AAC_RATES[index];
  if (rate === undefined) return null;
  const frameBytes = ((b[at + 3] & 3) << 11) | (b[at + 4] << 3) | (b[at + 5] >> 5);
  const headerBytes = b[at + 1] & 1 ? 7 : 9;
  if (frameBytes < headerBytes) return null;
  const config = { objectType: (b[at + 2] >> 6) + 1, rate, channelConfig: ((b[at + 2] & 1) << 2) | (b[at + 3] >> 6) };
  return { config, headerBytes, frameBytes };
}

/** Splits an ADTS byte stream into whole frames (header included); a trailing partial frame is left out. */
export function splitAdts(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; ; ) {
    const h = parseAdtsHeader(b, at);
    if (!h || at + h.frameBytes > b.length) return out;
    out.push(b.subarray(at, at + h.frameBytes));
    at += h.frameBytes;
  }
}
