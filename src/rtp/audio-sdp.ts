/**
 * SDP for audio RTP streams and the caps on either side of their (de)payloaders: AAC as RFC 3640
 * mpeg4-generic (AAC-hbr, the mode ffmpeg, GStreamer and live555 send) and Opus as RFC 7587 (always
 * `opus/48000/2` in the rtpmap; `sprop-stereo` says whether the sender sends stereo).
 */
import { caps, type Caps, type FieldValue } from '../caps';
import { bytesToHex, hexToBytes } from '../formats/mp4/avcc';
import type { AudioRtpCodec } from './audio-payloader';
import { SdpError } from './sdp-error';
import type { SdpMedia } from './sdp';

export interface AudioSdpOptions {
  readonly codec: AudioRtpCodec;
  readonly payloadType: number;
  /** Sample rate (AAC's RTP clock; Opus's is always 48000). */
  readonly rate: number;
  readonly channels: number;
  /** AAC: the AudioSpecificConfig. */
  readonly config?: Uint8Array;
}

/** The RTP clock rate of an audio stream: the sample rate for AAC, 48 kHz for Opus whatever it was encoded from. */
export function audioClockRate(codec: AudioRtpCodec, rate: number): number {
  return codec === 'opus' ? 48000 : rate;
}

/** `a=rtpmap` and `a=fmtp` lines (without `a=`) of an audio stream. */
export function audioSdpAttributes(o: AudioSdpOptions): string[] {
  const pt = o.payloadType;
  if (o.codec === 'opus') return [`rtpmap:${pt} opus/48000/2`, `fmtp:${pt} sprop-stereo=${o.channels >= 2 ? 1 : 0}`];
  if (!o.config || o.config.length < 2) throw new SdpError('an AAC stream needs its AudioSpecificConfig for the SDP');
  return [
    `rtpmap:${pt} MPEG4-GENERIC/${o.rate}/${o.channels}`,
    `fmtp:${pt} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=${bytesToHex(o.config)}`,
  ];
}

/** What an audio (de)payloader works with, from the encoded stream's caps; undefined for anything else. */
export function audioRtpFromCaps(c: Caps): Omit<AudioSdpOptions, 'payloadType'> | undefined {
  const s = c.structures[0];
  if (!s) return undefined;
  const rate = s.get('rate');
  const channels = s.get('channels');
  if (typeof rate !== 'number' || typeof channels !== 'number') return undefined;
  if (s.name === 'audio/x-opus') return { codec: 'opus', rate, channels };
  if (s.name !== 'audio/mpeg' || s.get('mpegversion') !== 4 || (s.get('stream-format') ?? 'raw') !== 'raw') return undefined;
  const hex = s.get('codec_data');
  const config = typeof hex === 'string' ? hexToBytes(hex) : undefined;
  return config ? { codec: 'aac', rate, channels, config } : undefined;
}

/** An audio RTP stream of a media section: the (de)payloader's settings and the depayloaded caps. */
export interface SdpAudioStream {
  readonly codec: AudioRtpCodec;
  readonly payloadType: number;
  readonly clockRate: number;
  /** AAC's AU header layout and the AUs' duration. */
  readonly sizeLength?: number;
  readonly indexLength?: number;
  readonly indexDeltaLength?: number;
  readonly frameDuration?: number;
  /** The depayloaded frames' caps (what aacDec or opusDec take). */
  readonly caps: Caps;
}

const intParam = (v: string | undefined): number | undefined => (v !== undefined && /^\d{1,5}$/.test(v.trim()) ? Number(v.trim()) : undefined);

/** The first AAC or Opus stream of an audio media section; undefined when it has none we can depayload. */
export function sdpAudioStream(m: SdpMedia): SdpAudioStream | undefined {
  if (m.type !== 'audio' || !m.proto.startsWith('RTP/')) return undefined;
  for (const pt of m.formats) {
    const map = m.rtpmap.get(pt);
    if (!map || !(map.clockRate >= 1 && map.clockRate <= 384000)) continue;
    const enc = map.encoding.toUpperCase();
    const fmtp = m.fmtp.get(pt) ?? {};
    if (enc === 'OPUS') {
      const stereo = fmtp['sprop-stereo'] ?? fmtp.stereo;
      const channels = stereo === undefined ? map.channels ?? 2 : stereo.trim() === '1' ? 2 : 1;
      return { codec: 'opus', payloadType: pt, clockRate: 48000, caps: caps('audio/x-opus', { rate: 48000, channels, 'channel-mapping-family': 0 }) };
    }
    if (enc !== 'MPEG4-GENERIC' || !/^aac-(hbr|lbr)$/i.test(fmtp.mode ?? '')) continue;
    const config = fmtp.config ? hexToBytes(fmtp.config.trim()) : undefined;
    if (!config || config.length < 2) continue;
    const fields: Record<string, FieldValue> = {
      mpegversion: 4,
      'stream-format': 'raw',
      rate: map.clockRate,
      channels: map.channels ?? (config[1] >> 3) & 0x0f,
      codec_data: bytesToHex(config),
    };
    // frameLengthFlag of the AudioSpecificConfig (AAC-LC): 960-sample frames instead of 1024.
    const frameDuration = intParam(fmtp.constantduration) ?? (config[1] & 0x04 ? 960 : 1024);
    return {
      codec: 'aac',
      payloadType: pt,
      clockRate: map.clockRate,
      sizeLength: intParam(fmtp.sizelength) ?? 13,
      indexLength: intParam(fmtp.indexlength) ?? 3,
      indexDeltaLength: intParam(fmtp.indexdeltalength) ?? 3,
      frameDuration,
      caps: caps('audio/mpeg', fields),
    };
  }
  return undefined;
}
