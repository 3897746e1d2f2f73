/**
 * RFC 6184 packetisation of H.264 access units, non-interleaved mode (packetization-mode=1): a NAL unit
 * that fits goes alone (single NAL unit packet) or, with 'stap-a', aggregated with its neighbours of the
 * same access unit (STAP-A); a larger one is cut into FU-A fragments. The marker bit is set on the last
 * packet of each access unit. Sans-IO: NAL units in, datagrams out; each datagram is written, header and
 * payload, once, into its own Uint8Array: views of one buffer per access unit (the only allocation, and
 * the only copy of the payload).
 */
import { copyBytes } from '../util/bytes';
import { SECOND } from '../time';
import { NalType } from '../codecs/h264/nal';
import { RTP_HEADER_SIZE, RtpError, writeFixedHeader } from './rtp-packet';
import { rtpSenderFields, type RtpSenderOptions } from './sender-options';
import { seqNext } from './seq';

export type Aggregation = 'none' | 'stap-a';

export const STAP_A = 24;
export const FU_A = 28;
/** Smallest MTU accepted: GStreamer's rtpbasepayload minimum, room for a header and a useful fragment. */
export const MIN_MTU = 28;

/** `pt` defaults to 96 (96–127: H.264's dynamic mapping). */
export interface H264PayloaderOptions extends RtpSenderOptions {
  /** 'stap-a' (default) aggregates NAL units that fit together; 'none' sends each in its own packet(s). */
  readonly aggregate?: Aggregation;
  /**
   * Parameter sets in band: -1 (default) puts the last SPS/PPS before every IDR that lacks them, 0 never,
   * N > 0 before an IDR when N seconds have passed since they were last sent.
   */
  readonly configInterval?: number;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class H264Payloader {
  readonly mtu: number;
  readonly pt: number;
  readonly ssrc: number;
  readonly timestampOffset: number;
  readonly aggregate: Aggregation;
  readonly configInterval: number;
  /** The last SPS and PPS seen (copies), for sprop-parameter-sets and in-band repetition. */
  sps: Uint8Array | undefined;
  pps: Uint8Array | undefined;
  /** Increments whenever `sps` or `pps` change (callers rebuild caps/SDP then). */
  paramsVersion = 0;
  private seq: number;
  private lastConfigTime: number | undefined;
  private readonly maxPayload: number;
  /** The current unit's datagrams, one allocation (see push). */
  private slab: Uint8Array | undefined;
  private slabOff = 0;
  private total = 0;

  constructor(options: H264PayloaderOptions = {}) {
    ({
      mtu: this.mtu,
      pt: this.pt,
      ssrc: this.ssrc,
      seq: this.seq,
      timestampOffset: this.timestampOffset,
    } = rtpSenderFields(options, { pt: 96, minMtu: MIN_MTU }));
    this.aggregate = options.aggregate ?? 'stap-a';
    if (this.aggregate !== 'none' && this.aggregate !== 'stap-a')
      throw new RtpError('argument', `aggregate must be 'none' or 'stap-a', got '${String(this.aggregate)}'`);
    this.configInterval = options.configInterval ?? -1;
    if (!(this.configInterval === -1 || this.configInterval >= 0) || !Number.isFinite(this.configInterval)) {
      throw new RtpError('argument', `configInterval must be -1, 0 or seconds > 0, got ${this.configInterval}`);
    }
    this.maxPayload = this.mtu - RTP_HEADER_SIZE;
  }

  /** The sequence number the next packet will carry. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** Learns parameter sets given out of band (an avcC's); true when they changed. */
  learn(nal: Uint8Array): boolean {
    const type = nal[0] & 0x1f;
    if (type === NalType.SPS && !sameBytes(this.sps, nal)) this.sps = copyBytes(nal);
    else if (type === NalType.PPS && !sameBytes(this.pps, nal)) this.pps = copyBytes(nal);
    else return false;
    this.paramsVersion++;
    return true;
  }

  /**
   * Packetises one access unit (its NAL units, without start codes or lengths) stamped `rtpTimestamp`;
   * `time` (ns, for configInterval > 0) is the unit's time. Appends the datagrams to `out`; returns how many.
   */
  push(nals: readonly Uint8Array[], rtpTimestamp: number, time: number | undefined, out: Uint8Array[]): number {
    let idr = false;
    let hasSps = false;
    let hasPps = false;
    for (let i = 0; i < nals.length; i++) {
      const n = nals[i];
      if (n.length === 0) continue;
      const type = n[0] & 0x1f;
      if (type === NalType.IDR) idr = true;
      else if (type === NalType.SPS) {
        hasSps = true;
        this.learn(n);
      } else if (type === NalType.PPS) {
        hasPps = true;
        this.learn(n);
      }
    }
    let list = nals;
    if (hasSps && hasPps) this.lastConfigTime = time;
    else if (idr && this.configInterval !== 0 && this.configDue(time)) {
      const insert: Uint8Array[] = [];
      if (!hasSps && this.sps) insert.push(this.sps);
      if (!hasPps && this.pps) insert.push(this.pps);
      if (insert.length) {
        // After an access unit delimiter, which must stay first (H.264 7.4.1.2.3).
        const at = nals.length > 0 && nals[0].length > 0 && (nals[0][0] & 0x1f) === NalType.AUD ? 1 : 0;
        list = [...nals.slice(0, at), ...insert, ...nals.slice(at)];
        this.lastConfigTime = time;
      }
    }
    // Two passes over the same plan: the first sizes the unit's datagrams, so that they all live in one
    // allocation (a view each); allocating a buffer per datagram costs more than packetising it. (An arena
    // shared by successive units measured no faster: the bytes to zero are the same, and it pins memory.)
    this.total = 0;
    this.slab = undefined;
    this.plan(list, rtpTimestamp, out);
    this.slab = new Uint8Array(this.total);
    this.slabOff = 0;
    const first = out.length;
    this.plan(list, rtpTimestamp, out);
    this.slab = undefined;
    if (out.length > first) out[out.length - 1][1] |= 0x80;
    return out.length - first;
  }

  /** Walks the packets of a unit: sizing them (no slab) or writing them into the slab. */
  private plan(list: readonly Uint8Array[], ts: number, out: Uint8Array[]): void {
    const max = this.maxPayload;
    const aggregate = this.aggregate === 'stap-a';
    let gStart = 0;
    let gCount = 0;
    let gSize = 1; // the STAP-A NAL header
    for (let i = 0; i < list.length; i++) {
      const len = list[i].length;
      if (len === 0) continue;
      if (aggregate && len + 3 <= max) {
        if (gCount > 0 && gSize + 2 + len <= max) {
          gCount++;
          gSize += 2 + len;
          continue;
        }
        this.flushGroup(list, gStart, i, gCount, gSize, ts, out);
        gStart = i;
        gCount = 1;
        gSize = 3 + len;
        continue;
      }
      this.flushGroup(list, gStart, i, gCount, gSize, ts, out);
      gCount = 0;
      gSize = 1;
      if (len <= max) this.single(list[i], ts, out);
      else this.fragment(list[i], ts, out);
    }
    this.flushGroup(list, gStart, list.length, gCount, gSize, ts, out);
  }

  /** A datagram of `size` bytes with its header written, or undefined in the sizing pass. */
  private packet(size: number, ts: number, out: Uint8Array[]): Uint8Array | undefined {
    const slab = this.slab;
    if (!slab) {
      this.total += size;
      return undefined;
    }
    const d = new Uint8Array(slab.buffer, this.slabOff, size);
    this.slabOff += size;
    writeFixedHeader(d, 0, false, this.pt, this.seq, ts, this.ssrc);
    this.seq = seqNext(this.seq);
    out.push(d);
    return d;
  }

  private configDue(time: number | undefined): boolean {
    if (this.configInterval === -1 || time === undefined || this.lastConfigTime === undefined) return true;
    return time - this.lastConfigTime >= this.configInterval * SECOND;
  }

  private single(nal: Uint8Array, ts: number, out: Uint8Array[]): void {
    this.packet(RTP_HEADER_SIZE + nal.length, ts, out)?.set(nal, RTP_HEADER_SIZE);
  }

  /** NAL units [from, to) (skipping empty ones), `count` of them, `size` bytes of STAP-A payload. */
  private flushGroup(list: readonly Uint8Array[], from: number, to: number, count: number, size: number, ts: number, out: Uint8Array[]): void {
    if (count === 0) return;
    if (count === 1) {
      for (let i = from; i < to; i++) if (list[i].length) return this.single(list[i], ts, out);
    }
    const d = this.packet(RTP_HEADER_SIZE + size, ts, out);
    if (!d) return;
    let f = 0;
    let nri = 0;
    let o = RTP_HEADER_SIZE + 1;
    for (let i = from; i < to; i++) {
      const n = list[i];
      const len = n.length;
      if (len === 0) continue;
      f |= n[0] & 0x80;
      nri = Math.max(nri, n[0] & 0x60);
      d[o] = len >>> 8;
      d[o + 1] = len & 0xff;
      d.set(n, o + 2);
      o += 2 + len;
    }
    // RFC 6184 5.7.1: F is the OR of the aggregated units' F bits, NRI their maximum.
    d[RTP_HEADER_SIZE] = f | nri | STAP_A;
  }

  private fragment(nal: Uint8Array, ts: number, out: Uint8Array[]): void {
    const hdr = nal[0];
    const indicator = (hdr & 0xe0) | FU_A;
    const type = hdr & 0x1f;
    const chunk = this.maxPayload - 2;
    const len = nal.length;
    const buf = nal.buffer;
    const base = nal.byteOffset;
    for (let off = 1; off < len; off += chunk) {
      const end = Math.min(len, off + chunk);
      const d = this.packet(RTP_HEADER_SIZE + 2 + end - off, ts, out);
      if (!d) continue;
      d[RTP_HEADER_SIZE] = indicator;
      d[RTP_HEADER_SIZE + 1] = (off === 1 ? 0x80 : 0) | (end === len ? 0x40 : 0) | type;
      // A plain view: `subarray` of a Node Buffer (what file and socket reads give) costs ~1.5× as much.
      d.set(new Uint8Array(buf, base + off, end - off), RTP_HEADER_SIZE + 2);
    }
  }
}
