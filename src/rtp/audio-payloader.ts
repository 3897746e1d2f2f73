/**
 * RTP packetisation of audio frames, sans-IO: one frame per packet, as GStreamer's rtpmp4gpay and rtpopuspay
 * send them (at 20–23 ms a frame, aggregation would save little and add a frame of latency).
 *
 * - `aac` (RFC 3640 mpeg4-generic, mode AAC-hbr): a 16-bit AU-headers-length, one AU header (13-bit size,
 *   3-bit index 0), the raw AAC frame. A frame larger than the MTU is fragmented, each fragment with the
 *   whole frame's size in its header; the marker is set on the packet that ends a frame (3.2.3.1).
 * - `opus` (RFC 7587): the Opus packet is the payload; the clock is always 48 kHz.
 */
import { MAX_RTP_PACKET, RTP_HEADER_SIZE, RtpError, writeFixedHeader } from './rtp-packet';
import { randomUint16, randomUint32 } from './random';
import { seqNext } from './seq';

export type AudioRtpCodec = 'aac' | 'opus';

/** AAC-hbr: 13 bits of AU size, so a frame of at most 8191 bytes. */
export const AAC_HBR_MAX_AU = 8191;
/** The AU-headers-length field and one 16-bit AU header. */
const AAC_HBR_HEADERS = 4;

export interface AudioPayloaderOptions {
  readonly codec: AudioRtpCodec;
  /** Largest RTP packet in bytes, header included. Default 1400. */
  readonly mtu?: number;
  /** Payload type (dynamic, 96–127). Default 97. */
  readonly pt?: number;
  readonly ssrc?: number;
  readonly seqStart?: number;
  /** A random start for callers to add to their timestamps (RFC 3550 5.1), as H264Payloader's; default random. */
  readonly timestampOffset?: number;
}

function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RtpError('argument', `${what} must be an integer in [${min}, ${max}], got ${v}`);
}

export class AudioPayloader {
  readonly codec: AudioRtpCodec;
  readonly mtu: number;
  readonly pt: number;
  readonly ssrc: number;
  readonly timestampOffset: number;
  private seq: number;

  constructor(options: AudioPayloaderOptions) {
    if (options.codec !== 'aac' && options.codec !== 'opus') throw new RtpError('argument', `codec must be 'aac' or 'opus', got '${String(options.codec)}'`);
    this.codec = options.codec;
    this.mtu = options.mtu ?? 1400;
    // Room for the headers and at least one byte of a frame.
    checkInt(this.mtu, RTP_HEADER_SIZE + AAC_HBR_HEADERS + 1, MAX_RTP_PACKET, 'mtu');
    this.pt = options.pt ?? 97;
    checkInt(this.pt, 0, 127, 'payload type');
    this.ssrc = options.ssrc ?? randomUint32();
    checkInt(this.ssrc, 0, 0xffffffff, 'ssrc');
    this.seq = options.seqStart ?? randomUint16();
    checkInt(this.seq, 0, 0xffff, 'seqStart');
    this.timestampOffset = options.timestampOffset ?? randomUint32();
    checkInt(this.timestampOffset, 0, 0xffffffff, 'timestampOffset');
  }

  /** The sequence number the next packet will carry. */
  get nextSequenceNumber(): number {
    return this.seq;
  }

  /** Packetises one frame stamped `ts` (the RTP timestamp); appends the datagrams to `out`, returns how many. */
  push(frame: Uint8Array, ts: number, out: Uint8Array[]): number {
    if (frame.length === 0) return 0;
    if (this.codec === 'opus') {
      const d = new Uint8Array(RTP_HEADER_SIZE + frame.length);
      this.header(d, 0, false, ts);
      d.set(frame, RTP_HEADER_SIZE);
      out.push(d);
      return 1;
    }
    if (frame.length > AAC_HBR_MAX_AU) throw new RtpError('argument', `an AAC frame of ${frame.length} bytes is larger than AAC-hbr's ${AAC_HBR_MAX_AU}`);
    const room = this.mtu - RTP_HEADER_SIZE - AAC_HBR_HEADERS;
    const count = Math.ceil(frame.length / room);
    // One allocation for all the frame's datagrams (views of it), as the H.264 payloader does.
    const slab = new Uint8Array(frame.length + count * (RTP_HEADER_SIZE + AAC_HBR_HEADERS));
    let off = 0;
    for (let at = 0; at < frame.length; at += room) {
      const n = Math.min(room, frame.length - at);
      const d = slab.subarray(off, off + RTP_HEADER_SIZE + AAC_HBR_HEADERS + n);
      off += d.length;
      this.header(d, 0, at + n === frame.length, ts);
      d[12] = 0; // AU-headers-length: 16 bits of headers
      d[13] = 16;
      d[14] = frame.length >> 5; // AU-size (13 bits), AU-Index 0 (3 bits)
      d[15] = (frame.length & 0x1f) << 3;
      d.set(frame.subarray(at, at + n), RTP_HEADER_SIZE + AAC_HBR_HEADERS);
      out.push(d);
    }
    return count;
  }

  private header(d: Uint8Array, off: number, marker: boolean, ts: number): void {
    writeFixedHeader(d, off, marker, this.pt, this.seq, ts, this.ssrc);
    this.seq = seqNext(this.seq);
  }
}
