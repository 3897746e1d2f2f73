import { G2gError } from '../errors';
/**
 * RTP fixed header (RFC 3550 5.1) with CSRC list, header extension (5.3.1) and padding: strict parsing that
 * answers an RtpError value instead of throwing (a datagram off the network is data, not a bug), and
 * serialisation into exactly one new Uint8Array per packet.
 */

export const RTP_VERSION = 2;
export const RTP_HEADER_SIZE = 12;
/** Largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP): no RTP packet can be bigger. */
export const MAX_RTP_PACKET = 65507;

export type RtpErrorKind = 'truncated' | 'version' | 'padding' | 'argument';

/** What is wrong with a packet (parse) or with arguments (serialise). Parsers return it; only serialisers throw it. */
export class RtpError extends G2gError {
  override readonly name = 'RtpError';
  constructor(readonly kind: RtpErrorKind, message: string) {
    super('RTP', message);
  }
}

export interface RtpHeaderExtension {
  /** The 16 bits "defined by profile" (0xBEDE for RFC 8285 one-byte headers). */
  readonly profile: number;
  /** Extension data, a multiple of 4 bytes (a view of the packet when parsed). */
  readonly data: Uint8Array;
}

export interface RtpHeader {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrc?: readonly number[];
  readonly extension?: RtpHeaderExtension;
}

export interface RtpPacket extends RtpHeader {
  readonly csrc: readonly number[];
  /** The payload (a view of the packet), padding excluded. */
  readonly payload: Uint8Array;
  /** Bytes of padding at the end, the count byte included (0: none). */
  readonly paddingSize: number;
  /** Bytes before the payload: 12 + 4·CSRC count + extension. */
  readonly headerSize: number;
}

const NO_CSRC: readonly number[] = Object.freeze([]);

function u32(d: Uint8Array, i: number): number {
  return ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;
}

function putU32(d: Uint8Array, i: number, v: number): void {
  d[i] = v >>> 24;
  d[i + 1] = (v >>> 16) & 0xff;
  d[i + 2] = (v >>> 8) & 0xff;
  d[i + 3] = v & 0xff;
}

/**
 * Parses an RTP packet; views into `data`, no copy. Anything malformed (shorter than its header says,
 * version other than 2, padding count of 0 or past the payload) is an RtpError value, never an exception.
 */
export function parseRtp(data: Uint8Array): RtpPacket | RtpError {
  const n = data.length;
  if (n < RTP_HEADER_SIZE) return new RtpError('truncated', `RTP packet of ${n} bytes is shorter than the 12-byte header`);
  const b0 = data[0];
  if (b0 >> 6 !== RTP_VERSION) return new RtpError('version', `RTP version ${b0 >> 6} (expected 2)`);
  const cc = b0 & 0x0f;
  let off = RTP_HEADER_SIZE + 4 * cc;
  if (off > n) return new RtpError('truncated', `${cc} CSRCs run past the packet (${n} bytes)`);
  let csrc = NO_CSRC;
  if (cc > 0) {
    const list: number[] = [];
    for (let k = 0; k < cc; k++) list.push(u32(data, RTP_HEADER_SIZE + 4 * k));
    csrc = list;
  }
  let extension: RtpHeaderExtension | undefined;
  if (b0 & 0x10) {
    if (off + 4 > n) return new RtpError('truncated', 'header extension cut off');
    const profile = (data[off] << 8) | data[off + 1];
    const words = (data[off + 2] << 8) | data[off + 3];
    const end = off + 4 + 4 * words;
    if (end > n) return new RtpError('truncated', `header extension of ${words} words runs past the packet`);
    extension = { profile, data: data.subarray(off + 4, end) };
    off = end;
  }
  let paddingSize = 0;
  if (b0 & 0x20) {
    paddingSize = data[n - 1];
    if (paddingSize === 0) return new RtpError('padding', 'padding bit set with a padding count of 0');
    if (off + paddingSize > n) return new RtpError('padding', `padding of ${paddingSize} bytes runs into the header (${n - off} bytes after it)`);
  }
  const b1 = data[1];
  return {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: (data[2] << 8) | data[3],
    timestamp: u32(data, 4),
    ssrc: u32(data, 8),
    csrc,
    extension,
    payload: data.subarray(off, n - paddingSize),
    paddingSize,
    headerSize: off,
  };
}

/** Sequence number of a packet known to be at least 12 bytes (no allocation). */
export function peekSeq(data: Uint8Array): number {
  return (data[2] << 8) | data[3];
}

export function peekTimestamp(data: Uint8Array): number {
  return u32(data, 4);
}

export function peekSsrc(data: Uint8Array): number {
  return u32(data, 8);
}

/** Whether `data` can be an RTP packet at all: long enough and version 2 (what a jitter buffer checks). */
export function looksLikeRtp(data: Uint8Array): boolean {
  return data.length >= RTP_HEADER_SIZE && data[0] >> 6 === RTP_VERSION;
}

/** An integer option in [min, max], else RtpError('argument') naming it (payloaders' options, header fields). */
export function checkRtpInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RtpError('argument', `${what} must be an integer in [${min}, ${max}], got ${v}`);
}

function checkUint(v: number, max: number, what: string): void {
  checkRtpInt(v, 0, max, what);
}

/** Validates header fields; throws RtpError('argument'). */
export function checkRtpHeader(h: RtpHeader): void {
  checkUint(h.payloadType, 127, 'payload type');
  checkUint(h.sequenceNumber, 0xffff, 'sequence number');
  checkUint(h.timestamp, 0xffffffff, 'timestamp');
  checkUint(h.ssrc, 0xffffffff, 'SSRC');
  const cc = h.csrc?.length ?? 0;
  if (cc > 15) throw new RtpError('argument', `at most 15 CSRCs fit an RTP header, got ${cc}`);
  for (const c of h.csrc ?? []) checkUint(c, 0xffffffff, 'CSRC');
  if (h.extension) {
    checkUint(h.extension.profile, 0xffff, 'extension profile');
    const len = h.extension.data.length;
    if (len % 4 !== 0 || len > 0xffff * 4) throw new RtpError('argument', `extension data must be a multiple of 4 bytes up to ${0xffff * 4}, got ${len}`);
  }
}

/** Header size of `h` in bytes. */
export function rtpHeaderSize(h: Pick<RtpHeader, 'csrc' | 'extension'>): number {
  return RTP_HEADER_SIZE + 4 * (h.csrc?.length ?? 0) + (h.extension ? 4 + h.extension.data.length : 0);
}

/**
 * Writes the 12-byte fixed header at `off` (no CSRC, no extension, no padding): the payloaders' hot path,
 * which builds each datagram in place. Fields are trusted (checked once by the caller).
 */
export function writeFixedHeader(d: Uint8Array, off: number, marker: boolean, pt: number, seq: number, ts: number, ssrc: number): void {
  d[off] = 0x80;
  d[off + 1] = (marker ? 0x80 : 0) | pt;
  d[off + 2] = seq >>> 8;
  d[off + 3] = seq & 0xff;
  putU32(d, off + 4, ts);
  putU32(d, off + 8, ssrc);
}

/**
 * Serialises a packet into one new Uint8Array: header, CSRCs, extension, payload and `padding` bytes of
 * padding (0 for none; the last byte holds the count, so 1..255). Throws RtpError('argument') on bad fields.
 */
export function serializeRtp(h: RtpHeader, payload: Uint8Array, padding = 0): Uint8Array {
  checkRtpHeader(h);
  checkUint(padding, 255, 'padding');
  const hs = rtpHeaderSize(h);
  const size = hs + payload.length + padding;
  if (size > MAX_RTP_PACKET) throw new RtpError('argument', `RTP packet of ${size} bytes exceeds ${MAX_RTP_PACKET}`);
  const d = new Uint8Array(size);
  const cc = h.csrc?.length ?? 0;
  writeFixedHeader(d, 0, h.marker, h.payloadType, h.sequenceNumber, h.timestamp, h.ssrc);
  d[0] |= cc | (h.extension ? 0x10 : 0) | (padding ? 0x20 : 0);
  let off = RTP_HEADER_SIZE;
  for (let k = 0; k < cc; k++, off += 4) putU32(d, off, h.csrc![k]);
  if (h.extension) {
    const ext = h.extension;
    d[off] = ext.profile >>> 8;
    d[off + 1] = ext.profile & 0xff;
    const words = ext.data.length / 4;
    d[off + 2] = words >>> 8;
    d[off + 3] = words & 0xff;
    d.set(ext.data, off + 4);
    off += 4 + ext.data.length;
  }
  d.set(payload, off);
  if (padding) d[size - 1] = padding;
  return d;
}
