/** The OpusHead identification header (RFC 7845 5.1): the `codec_data` of Opus and the dOps box's source. */
export interface OpusHead {
  readonly channels: number;
  /** Samples at 48 kHz to drop from the start of the decoded stream (the encoder's priming). */
  readonly preSkip: number;
  /** The rate of the encoder's input (informational: Opus decodes at 48 kHz). */
  readonly inputRate: number;
  readonly outputGain: number;
  readonly mappingFamily: number;
}

const MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // "OpusHead"

export function parseOpusHead(b: Uint8Array): OpusHead | null {
  if (b.length < 19 || MAGIC.some((c, i) => b[i] !== c) || (b[8] & 0xf0) !== 0) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const channels = b[9];
  const mappingFamily = b[18];
  if (channels === 0 || (mappingFamily === 0 && channels > 2) || (mappingFamily !== 0 && b.length < 21 + channels)) return null;
  return { channels, preSkip: dv.getUint16(10, true), inputRate: dv.getUint32(12, true), outputGain: dv.getInt16(16, true), mappingFamily };
}

/** An OpusHead for channel mapping family 0 (mono or stereo). */
export function opusHead(channels: number, preSkip: number, inputRate = 48000): Uint8Array {
  if (channels < 1 || channels > 2) throw new RangeError(`channel mapping family 0 carries 1 or 2 channels, not ${channels}`);
  const b = new Uint8Array(19);
  b.set(MAGIC);
  const dv = new DataView(b.buffer);
  b[8] = 1;
  b[9] = channels;
  dv.setUint16(10, preSkip, true);
  dv.setUint32(12, inputRate, true);
  return b;
}
