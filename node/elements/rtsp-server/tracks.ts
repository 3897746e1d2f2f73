/**
 * The streams of an RTSP mount: H.264 video (RFC 6184) and AAC or Opus audio (RFC 3640, RFC 7587), each
 * with its payloader, its RTCP sender (own SSRC, own clock rate) and its SDP media section. Every track's
 * sender reports map its RTP time to the capture time on the one pipeline clock, so a client lines the
 * streams up (lip sync) from the reports alone.
 */
import { hostname } from 'node:os';
import type { Caps } from '../../../src/caps';
import { parseAvcC } from '../../../src/codecs/h264/avcc';
import { splitAnnexB, splitAvc } from '../../../src/codecs/h264/nal';
import { hexToBytes } from '../../../src/formats/mp4/avcc';
import { AudioPayloader } from '../../../src/rtp/audio-payloader';
import { audioClockRate, audioRtpFromCaps, audioSdpAttributes, type AudioSdpOptions } from '../../../src/rtp/audio-sdp';
import { H264Payloader } from '../../../src/rtp/h264-payloader';
import { RtcpSender } from '../../../src/rtp/rtcp-sender';
import { profileLevelId, spropParameterSets } from '../../../src/rtp/sdp';
import { RtspServerError } from '../../../src/rtsp/server';
import { nsToTicks, SECOND } from '../../../src/time';
import { trackKey } from '../../../operators/track-key';

export interface MountTrack {
  readonly kind: 'video' | 'audio';
  readonly rtcp: RtcpSender;
  /** This track's media section, `stream=index` as its control. */
  sdp(index: number): string[];
  /** Packetises one unit (pts in ns) into `out`; returns its RTP timestamp (before the payloader's offset). */
  packetize(data: Uint8Array, pts: number | undefined, out: Uint8Array[]): number;
  /** Whether packets with these caps belong to this track. */
  matches(c: Caps): boolean;
  /** Takes what the packets' caps say about their framing (H.264's avcC). */
  configure?(c: Caps): void;
}

const rtcpFor = (clockRate: number) => new RtcpSender({ cname: `g2g@${hostname()}`, interval: SECOND, clockRate });

/** H.264 access units, Annex B (byte-stream) or length-prefixed (avc, with the avcC as codec_data). */
export class VideoTrack implements MountTrack {
  readonly kind = 'video';
  readonly rtcp = rtcpFor(90000);
  private readonly pay: H264Payloader;
  private lengthSize: 1 | 2 | 4 | undefined;
  private avcC: string | undefined;
  /** The caps last looked at: configure reads a packet's caps only when they change. */
  private seen: Caps | undefined;

  /** `key`: the track's trackKey among several; none: any H.264. */
  constructor(mtu: number | undefined, private readonly key?: string) {
    this.pay = new H264Payloader({ mtu, configInterval: -1 });
  }

  matches(c: Caps): boolean {
    return c.structures[0]?.name === 'video/x-h264' && (this.key === undefined || trackKey(c) === this.key);
  }

  /** Length-prefixed input: the avcC's parameter sets go before every IDR, as in-band ones would. */
  configure(c: Caps): void {
    if (c === this.seen) return;
    this.seen = c;
    const s = c.structures[0];
    const hex = s?.get('codec_data');
    if (s?.get('stream-format') === 'byte-stream' || typeof hex !== 'string' || hex === this.avcC) return;
    const bytes = hexToBytes(hex);
    if (!bytes) throw new RtspServerError(`rtspServerSink: codec_data is not hex: ${c.toString()}`);
    const cfg = parseAvcC(bytes);
    this.avcC = hex;
    this.lengthSize = cfg.lengthSize;
    for (const n of [...cfg.sps, ...cfg.pps]) this.pay.learn(n);
  }

  sdp(index: number): string[] {
    const pay = this.pay;
    const fmtp = ['packetization-mode=1'];
    const pli = pay.sps && profileLevelId(pay.sps);
    if (pli) fmtp.push(`profile-level-id=${pli}`);
    const sets = [pay.sps, pay.pps].filter((x): x is Uint8Array => x !== undefined);
    if (sets.length) fmtp.push(`sprop-parameter-sets=${spropParameterSets(sets)}`);
    return ['m=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', `a=fmtp:96 ${fmtp.join(';')}`, `a=control:stream=${index}`];
  }

  packetize(data: Uint8Array, pts: number | undefined, out: Uint8Array[]): number {
    const ts = nsToTicks(pts ?? 0, 90000) % 0x1_0000_0000;
    this.pay.push(this.lengthSize ? splitAvc(data, this.lengthSize) : splitAnnexB(data), ts, pts, out);
    return ts;
  }
}

/** AAC (raw frames, AudioSpecificConfig in codec_data) or Opus frames. */
export class AudioTrack implements MountTrack {
  readonly kind = 'audio';
  readonly rtcp: RtcpSender;
  private readonly pay: AudioPayloader;
  private readonly clockRate: number;
  private readonly key: string;

  constructor(private readonly settings: Omit<AudioSdpOptions, 'payloadType'>, caps: Caps, mtu: number | undefined) {
    this.key = trackKey(caps);
    this.clockRate = audioClockRate(settings.codec, settings.rate);
    this.rtcp = rtcpFor(this.clockRate);
    this.pay = new AudioPayloader({ codec: settings.codec, mtu, pt: 97 });
  }

  /** The track for an encoded audio stream's caps; undefined when they are not AAC or Opus we can send. */
  static from(c: Caps, mtu: number | undefined): AudioTrack | undefined {
    const settings = audioRtpFromCaps(c);
    return settings ? new AudioTrack(settings, c, mtu) : undefined;
  }

  matches(c: Caps): boolean {
    return trackKey(c) === this.key;
  }

  sdp(index: number): string[] {
    return [`m=audio 0 RTP/AVP 97`, ...audioSdpAttributes({ ...this.settings, payloadType: 97 }).map((a) => `a=${a}`), `a=control:stream=${index}`];
  }

  packetize(data: Uint8Array, pts: number | undefined, out: Uint8Array[]): number {
    const ts = nsToTicks(pts ?? 0, this.clockRate) % 0x1_0000_0000;
    this.pay.push(data, ts, out);
    return ts;
  }
}

/** The session part of a mount's SDP, then each track's section. */
export function mountSdp(tracks: readonly MountTrack[]): string {
  const head = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=glass2glass', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*'];
  return [...head, ...tracks.flatMap((t, i) => t.sdp(i)), ''].join('\r\n');
}
