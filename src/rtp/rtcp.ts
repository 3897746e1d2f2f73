/**
 * RTCP (RFC 3550 6): sender reports, receiver reports, SDES CNAME and BYE, built and parsed. A sender
 * sends compound packets SR + SDES(CNAME) (6.1), and SR + SDES + BYE when it leaves. Parsing walks a
 * compound packet and answers what it understood plus an error value for what it could not, never throwing.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET = 2_208_988_800;

export interface ReportBlock {
  readonly ssrc: number;
  readonly fractionLost: number;
  /** Signed 24-bit cumulative count. */
  readonly packetsLost: number;
  readonly highestSeq: number;
  readonly jitter: number;
  readonly lastSr: number;
  readonly delaySinceLastSr: number;
}

export interface SenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  /** NTP timestamp, seconds part (since 1900) and fraction (units of 2^-32 s). */
  readonly ntpSeconds: number;
  readonly ntpFraction: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly ReportBlock[];
}

export interface ReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly ReportBlock[];
}

/** One source's SDES items: its SSRC and CNAME (the only item read or written). */
export interface SdesChunk {
  readonly ssrc: number;
  readonly cname?: string;
}

export interface Sdes {
  readonly type: 'sdes';
  readonly chunks: readonly SdesChunk[];
}

export interface Bye {
  readonly type: 'bye';
  readonly ssrcs: readonly number[];
  readonly reason?: string;
}

/** An RTCP packet of a type not parsed further (APP, XR, feedback…): only its type byte. */
export interface OtherRtcp {
  readonly type: 'other';
  readonly packetType: number;
}

export type RtcpPacket = SenderReport | ReceiverReport | Sdes | Bye | OtherRtcp;

export interface RtcpParseResult {
  readonly packets: RtcpPacket[];
  /** Why parsing stopped early, if it did (what came before is in `packets`). */
  readonly error?: string;
}

function u32(d: Uint8Array, i: number): number {
  return ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;
}

function putU32(d: Uint8Array, i: number, v: number): void {
  d[i] = v >>> 24;
  d[i + 1] = (v >>> 16) & 0xff;
  d[i + 2] = (v >>> 8) & 0xff;
  d[i + 3] = v & 0xff;
}

function checkU32(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be a 32-bit unsigned integer, got ${v}`);
}

/** Converts Unix time in ms (Date.now(), performance.timeOrigin + performance.now()) to NTP seconds and fraction. */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const totalSeconds = ms / 1000 + NTP_UNIX_OFFSET;
  const seconds = Math.floor(totalSeconds);
  const fraction = Math.min(0xffffffff, Math.round((totalSeconds - seconds) * 0x1_0000_0000));
  return { seconds: seconds >>> 0, fraction };
}

/** The middle 32 bits of an NTP timestamp, as report blocks' LSR field carries it. */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

function writeBlocks(d: Uint8Array, off: number, blocks: readonly ReportBlock[]): void {
  for (const b of blocks) {
    putU32(d, off, b.ssrc);
    const lost = b.packetsLost & 0xffffff;
    d[off + 4] = b.fractionLost & 0xff;
    d[off + 5] = lost >>> 16;
    d[off + 6] = (lost >>> 8) & 0xff;
    d[off + 7] = lost & 0xff;
    putU32(d, off + 8, b.highestSeq);
    putU32(d, off + 12, b.jitter);
    putU32(d, off + 16, b.lastSr);
    putU32(d, off + 20, b.delaySinceLastSr);
    off += 24;
  }
}

/** One SR packet (no compound): 28 bytes plus 24 per report block. */
export function buildSenderReport(sr: Omit<SenderReport, 'type' | 'reports'> & { reports?: readonly ReportBlock[] }): Uint8Array {
  const reports = sr.reports ?? [];
  if (reports.length > 31) throw new RangeError('at most 31 report blocks fit one SR');
  for (const [v, w] of [
    [sr.ssrc, 'ssrc'],
    [sr.ntpSeconds, 'ntpSeconds'],
    [sr.ntpFraction, 'ntpFraction'],
    [sr.rtpTimestamp, 'rtpTimestamp'],
    [sr.packetCount, 'packetCount'],
    [sr.octetCount, 'octetCount'],
  ] as const)
    checkU32(v, w);
  const size = 28 + 24 * reports.length;
  const d = new Uint8Array(size);
  d[0] = 0x80 | reports.length;
  d[1] = RTCP_SR;
  d[2] = ((size / 4 - 1) >>> 8) & 0xff;
  d[3] = (size / 4 - 1) & 0xff;
  putU32(d, 4, sr.ssrc);
  putU32(d, 8, sr.ntpSeconds);
  putU32(d, 12, sr.ntpFraction);
  putU32(d, 16, sr.rtpTimestamp);
  putU32(d, 20, sr.packetCount);
  putU32(d, 24, sr.octetCount);
  writeBlocks(d, 28, reports);
  return d;
}

function utf8(text: string): Uint8Array {
  // TextEncoder is in every target runtime but QuickJS; CNAMEs are ASCII there anyway.
  const TE = (globalThis as { TextEncoder?: new () => { encode(s: string): Uint8Array } }).TextEncoder;
  if (TE) return new TE().encode(text);
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0x7f);
}

function fromUtf8(bytes: Uint8Array): string {
  const TD = (globalThis as { TextDecoder?: new () => { decode(b: Uint8Array): string } }).TextDecoder;
  if (TD) return new TD().decode(bytes);
  return String.fromCharCode(...bytes);
}

/** An SDES packet with one chunk carrying CNAME (what every compound packet must include). */
export function buildSdesCname(ssrc: number, cname: string): Uint8Array {
  checkU32(ssrc, 'ssrc');
  const name = utf8(cname);
  if (name.length > 255) throw new RangeError('CNAME longer than 255 bytes');
  // ssrc, CNAME item (type, length, text), END, padded to a multiple of 4.
  const chunk = 4 + 2 + name.length + 1;
  const padded = (chunk + 3) & ~3;
  const size = 4 + padded;
  const d = new Uint8Array(size);
  d[0] = 0x81;
  d[1] = RTCP_SDES;
  d[2] = ((size / 4 - 1) >>> 8) & 0xff;
  d[3] = (size / 4 - 1) & 0xff;
  putU32(d, 4, ssrc);
  d[8] = 1;
  d[9] = name.length;
  d.set(name, 10);
  return d;
}

export function buildBye(ssrcs: readonly number[], reason?: string): Uint8Array {
  if (ssrcs.length > 31) throw new RangeError('at most 31 SSRCs fit one BYE');
  ssrcs.forEach((s) => checkU32(s, 'ssrc'));
  const r = reason === undefined ? undefined : utf8(reason);
  if (r && r.length > 255) throw new RangeError('BYE reason longer than 255 bytes');
  const body = 4 * ssrcs.length + (r ? 1 + r.length : 0);
  const size = 4 + ((body + 3) & ~3);
  const d = new Uint8Array(size);
  d[0] = 0x80 | ssrcs.length;
  d[1] = RTCP_BYE;
  d[2] = ((size / 4 - 1) >>> 8) & 0xff;
  d[3] = (size / 4 - 1) & 0xff;
  ssrcs.forEach((s, k) => putU32(d, 4 + 4 * k, s));
  if (r) {
    d[4 + 4 * ssrcs.length] = r.length;
    d.set(r, 5 + 4 * ssrcs.length);
  }
  return d;
}

/** Concatenates RTCP packets into one compound datagram. */
export function compound(packets: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += p.length;
  const d = new Uint8Array(size);
  let o = 0;
  for (const p of packets) {
    d.set(p, o);
    o += p.length;
  }
  return d;
}

function readBlocks(d: Uint8Array, off: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let k = 0; k < count; k++, off += 24) {
    const raw = (d[off + 5] << 16) | (d[off + 6] << 8) | d[off + 7];
    out.push({
      ssrc: u32(d, off),
      fractionLost: d[off + 4],
      packetsLost: raw & 0x800000 ? raw - 0x1000000 : raw,
      highestSeq: u32(d, off + 8),
      jitter: u32(d, off + 12),
      lastSr: u32(d, off + 16),
      delaySinceLastSr: u32(d, off + 20),
    });
  }
  return out;
}

/** Parses a compound RTCP datagram. Stops at the first malformed packet, reporting why. */
export function parseRtcp(data: Uint8Array): RtcpParseResult {
  const packets: RtcpPacket[] = [];
  let off = 0;
  const n = data.length;
  while (off < n) {
    if (off + 4 > n) return { packets, error: `RTCP header cut off at byte ${off}` };
    const b0 = data[off];
    if (b0 >> 6 !== 2) return { packets, error: `RTCP version ${b0 >> 6} at byte ${off}` };
    const count = b0 & 0x1f;
    const pt = data[off + 1];
    const len = 4 * (((data[off + 2] << 8) | data[off + 3]) + 1);
    if (off + len > n) return { packets, error: `RTCP packet of ${len} bytes at byte ${off} runs past the datagram (${n})` };
    let end = off + len;
    if (b0 & 0x20) {
      const pad = data[end - 1];
      if (pad === 0 || pad > len - 4) return { packets, error: `bad RTCP padding at byte ${off}` };
      end -= pad;
    }
    const body = off + 4;
    switch (pt) {
      case RTCP_SR: {
        if (body + 24 + 24 * count > end) return { packets, error: `SR with ${count} blocks cut short` };
        packets.push({
          type: 'sr',
          ssrc: u32(data, body),
          ntpSeconds: u32(data, body + 4),
          ntpFraction: u32(data, body + 8),
          rtpTimestamp: u32(data, body + 12),
          packetCount: u32(data, body + 16),
          octetCount: u32(data, body + 20),
          reports: readBlocks(data, body + 24, count),
        });
        break;
      }
      case RTCP_RR: {
        if (body + 4 + 24 * count > end) return { packets, error: `RR with ${count} blocks cut short` };
        packets.push({ type: 'rr', ssrc: u32(data, body), reports: readBlocks(data, body + 4, count) });
        break;
      }
      case RTCP_SDES: {
        const chunks: SdesChunk[] = [];
        let i = body;
        for (let k = 0; k < count; k++) {
          if (i + 4 > end) return { packets, error: 'SDES chunk cut short' };
          const ssrc = u32(data, i);
          i += 4;
          let cname: string | undefined;
          // Items until a zero type byte, then padding to the next 32-bit boundary.
          for (;;) {
            if (i >= end) return { packets, error: 'SDES items run past the packet' };
            const type = data[i];
            if (type === 0) break;
            if (i + 2 > end || i + 2 + data[i + 1] > end) return { packets, error: 'SDES item runs past the packet' };
            if (type === 1) cname = fromUtf8(data.subarray(i + 2, i + 2 + data[i + 1]));
            i += 2 + data[i + 1];
          }
          i = (i - off + 4) & ~3;
          i += off;
          chunks.push({ ssrc, cname });
        }
        packets.push({ type: 'sdes', chunks });
        break;
      }
      case RTCP_BYE: {
        if (body + 4 * count > end) return { packets, error: `BYE with ${count} SSRCs cut short` };
        const ssrcs: number[] = [];
        for (let k = 0; k < count; k++) ssrcs.push(u32(data, body + 4 * k));
        let reason: string | undefined;
        const r = body + 4 * count;
        if (r < end) {
          const rl = data[r];
          if (r + 1 + rl > end) return { packets, error: 'BYE reason runs past the packet' };
          reason = fromUtf8(data.subarray(r + 1, r + 1 + rl));
        }
        packets.push({ type: 'bye', ssrcs, reason });
        break;
      }
      default:
        packets.push({ type: 'other', packetType: pt });
    }
    off += len;
  }
  return { packets };
}

/** Whether a datagram looks like RTCP rather than RTP (RFC 5761 4: packet types 192–223 in the second byte). */
export function looksLikeRtcp(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] >> 6 === 2 && data[1] >= 192 && data[1] <= 223;
}
