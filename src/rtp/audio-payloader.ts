/**
 * RTP packetisation of audio frames, sans-IO: one frame per packet, as GStreamer's rtpmp4gpay and rtpopuspay
 * send them (at 20–23 ms a frame, aggregation would save little and add a frame of latency).
 *
 * - `aac` (RFC 3640 mpeg4-generic, mode AAC-hbr): a 16-bit AU-headers-length, one AU header (13-bit size,
 *   3-bit index 0), the raw AAC frame. A frame larger than the MTU is fragmented, each fragment with the
 *   whole frame's size in its header; the marker is set on the packet that ends a frame (3.2.3.1).
 * - `opus` (RFC 7587): the Opus packet is the payload; the clock is always 48 kHz.
 */
import { RTP_HEADER_SIZE, RtpError, writeFixedHeader } from './rtp-packet';
import { rtpSenderFields, type RtpSenderOptions } from './sender-options';
import { seqNext } from './seq';

export type AudioRtpCodec = 'aac' | 'opus';

/** AAC-hbr: 13 bits of AU size, so a frame of at most 8191 bytes. */
export const AAC_HBR_MAX_AU = 8191;
/** The AU-headers-length field and one 16-bit AU header. */
const AAC_HBR_HEADERS = 4;

/** `pt` defaults to 97; `timestampOffset` is a random start for callers to add to their timestamps, as H264Payloader's. */
export interface AudioPayloaderOptions extends RtpSenderOptions {
  readonly codec: AudioRtpCodec;
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
    // Room for the headers and at least one byte of a frame.
    const minMtu = RTP_HEADER_SIZE + AAC_HBR_HEADERS + 1;
    ({ mtu: this.mtu, pt: this.pt, ssrc: this.ssrc, seq: this.seq, timestampOffset: this.timestampOffset } = rtpSenderFields(options, { pt: 97, minMtu }));
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
