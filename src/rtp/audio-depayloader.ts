/**
 * RTP depacketisation of audio, sans-IO: RTP packets in, frames out, timestamps extended past the wrap.
 *
 * - `aac` (RFC 3640 mpeg4-generic): AU headers as the SDP's fmtp describes them (sizelength/indexlength/
 *   indexdeltalength: AAC-hbr 13/3/3, AAC-lbr 6/2/2), several AUs per packet (each `frameDuration` ticks
 *   after the previous), and fragmented AUs put back together. A fragment lost drops its frame.
 * - `opus` (RFC 7587): each payload is one Opus packet.
 *
 * Never throws on what arrives: bad packets are counted.
 */
import { RtpIntake } from './intake';
import { checkRtpInt, RtpError } from './rtp-packet';
import { TimestampExtender } from './seq';
import type { AudioRtpCodec } from './audio-payloader';

export interface AudioDepayloaderOptions {
  readonly codec: AudioRtpCodec;
  /** Accept only this payload type; undefined: any. */
  readonly payloadType?: number;
  /** AAC: bits of AU-size, AU-Index and AU-Index-delta in each AU header (fmtp; default AAC-hbr's 13/3/3). */
  readonly sizeLength?: number;
  readonly indexLength?: number;
  readonly indexDeltaLength?: number;
  /** AAC: ticks between AUs of one packet (fmtp constantDuration, else 1024 samples). */
  readonly frameDuration?: number;
}

export interface DepayedAudioFrame {
  readonly data: Uint8Array;
  /** RTP timestamp, extended past the 32-bit wrap. */
  readonly timestamp: number;
  /** Increments when the sender restarted (new SSRC): timestamps start over. */
  readonly epoch: number;
  /** Frames were lost (or the stream restarted) just before this one. */
  readonly discont: boolean;
}

export interface AudioDepayCounters {
  packets: number;
  frames: number;
  lost: number;
  late: number;
  invalid: number;
  ignored: number;
  /** AAC frames dropped because a fragment was missing or the headers did not add up. */
  dropped: number;
}

export class AudioDepayloader {
  readonly codec: AudioRtpCodec;
  readonly counters: AudioDepayCounters = { packets: 0, frames: 0, lost: 0, late: 0, invalid: 0, ignored: 0, dropped: 0 };
  private readonly intake: RtpIntake;
  private readonly sizeLength: number;
  private readonly indexLength: number;
  private readonly indexDeltaLength: number;
  private readonly frameDuration: number;
  private readonly ts = new TimestampExtender();
  private epoch = 0;
  private discont = true;
  /** A fragmented AU being put back together: its size, timestamp and pieces. */
  private frag: { size: number; ts: number; pieces: Uint8Array[]; have: number } | undefined;
  /** The timestamp of a fragmented AU already dropped: its remaining fragments are skipped, not counted again. */
  private skipTs: number | undefined;

  constructor(options: AudioDepayloaderOptions) {
    if (options.codec !== 'aac' && options.codec !== 'opus') throw new RtpError('argument', `codec must be 'aac' or 'opus', got '${String(options.codec)}'`);
    this.codec = options.codec;
    this.intake = new RtpIntake(this.counters, options.payloadType);
    this.sizeLength = options.sizeLength ?? 13;
    this.indexLength = options.indexLength ?? 3;
    this.indexDeltaLength = options.indexDeltaLength ?? 3;
    this.frameDuration = options.frameDuration ?? 1024;
    for (const [v, what] of [
      [this.sizeLength, 'sizelength'],
      [this.indexLength, 'indexlength'],
      [this.indexDeltaLength, 'indexdeltalength'],
    ] as const)
      checkRtpInt(v, 0, 16, what);
    if (this.sizeLength < 1) throw new RtpError('argument', 'sizelength must be at least 1 (constant-size AUs are not supported)');
    if (!Number.isInteger(this.frameDuration) || this.frameDuration < 1)
      throw new RtpError('argument', `frame duration must be a positive integer, got ${this.frameDuration}`);
  }

  /** Takes one RTP packet; appends the frames it completes to `out`. */
  push(data: Uint8Array, out: DepayedAudioFrame[]): void {
    const intake = this.intake;
    const p = intake.take(data);
    if (!p) return;
    if (intake.newSource) {
      this.ts.reset();
      this.epoch++;
      this.lose();
    }
    if (intake.lost > 0) {
      this.counters.lost += intake.lost;
      this.lose();
    }
    const ts = this.ts.extend(p.timestamp);
    if (this.codec === 'opus') {
      if (p.payload.length > 0) this.emit(p.payload, ts, out);
      return;
    }
    this.aac(p.payload, ts, p.marker, out);
  }

  private lose(): void {
    if (this.frag) {
      this.skipTs = this.frag.ts;
      this.frag = undefined;
      this.counters.dropped++;
    }
    this.discont = true;
  }

  private emit(data: Uint8Array, timestamp: number, out: DepayedAudioFrame[]): void {
    out.push({ data, timestamp, epoch: this.epoch, discont: this.discont });
    this.discont = false;
    this.counters.frames++;
  }

  private aac(payload: Uint8Array, ts: number, marker: boolean, out: DepayedAudioFrame[]): void {
    if (payload.length < 2) return this.bad();
    const headerBits = (payload[0] << 8) | payload[1];
    const headerBytes = (headerBits + 7) >> 3;
    let dataAt = 2 + headerBytes;
    if (dataAt > payload.length) return this.bad();
    const sizes: number[] = [];
    let bit = 16;
    for (let first = true; bit - 16 + this.sizeLength <= headerBits; first = false) {
      sizes.push(readBits(payload, bit, this.sizeLength));
      bit += this.sizeLength + (first ? this.indexLength : this.indexDeltaLength);
      if (bit - 16 > headerBits) return this.bad();
    }
    if (sizes.length === 0) return this.bad();
    const rest = payload.length - dataAt;
    // One AU header whose size is more than the packet holds: a fragment (3.2.3.1).
    if (sizes.length === 1 && sizes[0] > rest) {
      const f = this.frag;
      if (f && (f.size !== sizes[0] || f.ts !== ts)) this.lose();
      if (!this.frag && ts === this.skipTs) return;
      const piece = payload.subarray(dataAt);
      const g = (this.frag ??= { size: sizes[0], ts, pieces: [], have: 0 });
      g.pieces.push(piece);
      g.have += piece.length;
      if (g.have > g.size || (marker && g.have !== g.size)) return this.lose();
      if (marker) {
        this.frag = undefined;
        this.emit(concat(g.pieces, g.size), ts, out);
      }
      return;
    }
    if (this.frag) {
      // The last fragment(s) of the previous AU never came.
      const f = this.frag;
      if (f.have === f.size && f.ts !== ts) {
        this.frag = undefined;
        this.emit(concat(f.pieces, f.size), f.ts, out);
      } else this.lose();
    }
    let total = 0;
    for (const s of sizes) total += s;
    if (total > rest) return this.bad();
    for (let i = 0; i < sizes.length; i++) {
      this.emit(payload.subarray(dataAt, dataAt + sizes[i]), ts + i * this.frameDuration, out);
      dataAt += sizes[i];
    }
  }

  private bad(): void {
    this.counters.invalid++;
    this.lose();
  }
}

function concat(pieces: readonly Uint8Array[], size: number): Uint8Array {
  const whole = new Uint8Array(size);
  let o = 0;
  for (const x of pieces) whole.set(x, o), (o += x.length);
  return whole;
}

/** `n` bits (≤ 16) big-endian from bit `at` of `d`. */
function readBits(d: Uint8Array, at: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const b = at + i;
    v = (v << 1) | ((d[b >> 3] >> (7 - (b & 7))) & 1);
  }
  return v;
}
