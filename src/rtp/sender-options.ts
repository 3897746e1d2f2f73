/** What every payloader is told about the stream it sends: packet size and the RTP header's fixed fields. */
import { checkRtpInt, MAX_RTP_PACKET } from './rtp-packet';
import { randomUint16, randomUint32 } from './random';

export interface RtpSenderOptions {
  /** Largest RTP packet in bytes, header included (GStreamer's mtu). Default 1400. */
  readonly mtu?: number;
  /** Payload type (dynamic: 96–127). */
  readonly pt?: number;
  /** Default: random. */
  readonly ssrc?: number;
  /** First sequence number; default random. */
  readonly seqStart?: number;
  /** Added to every timestamp (RTP clock ticks, mod 2^32); default random (RFC 3550 5.1). */
  readonly timestampOffset?: number;
}

export interface RtpSenderFields {
  readonly mtu: number;
  readonly pt: number;
  readonly ssrc: number;
  readonly seq: number;
  readonly timestampOffset: number;
}

/** The options with their defaults (random where RFC 3550 asks), each checked; RtpError('argument') names a bad one. */
export function rtpSenderFields(o: RtpSenderOptions, defaults: { pt: number; minMtu: number }): RtpSenderFields {
  const f = {
    mtu: o.mtu ?? 1400,
    pt: o.pt ?? defaults.pt,
    ssrc: o.ssrc ?? randomUint32(),
    seq: o.seqStart ?? randomUint16(),
    timestampOffset: o.timestampOffset ?? randomUint32(),
  };
  checkRtpInt(f.mtu, defaults.minMtu, MAX_RTP_PACKET, 'mtu');
  checkRtpInt(f.pt, 0, 127, 'payload type');
  checkRtpInt(f.ssrc, 0, 0xffffffff, 'ssrc');
  checkRtpInt(f.seq, 0, 0xffff, 'seqStart');
  checkRtpInt(f.timestampOffset, 0, 0xffffffff, 'timestampOffset');
  return f;
}
