/**
 * SDP (RFC 8866, formerly 4566) for an H.264 RTP stream (RFC 6184 8.2; audio streams in audio-sdp.ts): generation of the session an
 * ffmpeg, VLC or GStreamer receiver opens (`ffmpeg -i out.sdp`), and a tolerant parser that turns such a
 * description back into RTP caps. The parser never throws for text it does not understand: unknown lines
 * are kept as attributes, malformed ones are listed in `errors`.
 */
import { Caps, caps, type FieldValue } from '../caps';
import { sdpAudioStream, type SdpAudioStream } from './audio-sdp';
import { decodeBase64, encodeBase64 } from './base64';
import { SdpError } from './sdp-error';

export { SdpError };

export interface SdpRtpMap {
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels?: number;
}

export interface SdpConnection {
  readonly address: string;
  readonly ttl?: number;
  /** 'IP4' or 'IP6'. */
  readonly addressType: string;
}

export interface SdpMedia {
  readonly type: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly number[];
  readonly connection?: SdpConnection;
  readonly rtpmap: ReadonlyMap<number, SdpRtpMap>;
  /** `a=fmtp:` parameters per payload type, keys lower-cased. */
  readonly fmtp: ReadonlyMap<number, Readonly<Record<string, string>>>;
  /** Other attributes, in order (`name` or `name:value`). */
  readonly attributes: readonly {
    readonly name: string;
    readonly value?: string;
  }[];
}

export interface SessionDescription {
  readonly version: number;
  readonly origin?: string;
  readonly sessionName?: string;
  readonly connection?: SdpConnection;
  readonly media: readonly SdpMedia[];
  /** Lines that could not be understood, with their line numbers (1-based). */
  readonly errors: readonly string[];
}

export interface H264SdpOptions {
  /** Where the stream goes (the receiver's address, or a multicast group). */
  readonly address: string;
  readonly port: number;
  readonly payloadType: number;
  /** SPS and PPS NAL units (for sprop-parameter-sets and profile-level-id). */
  readonly sps?: Uint8Array;
  readonly pps?: Uint8Array;
  /** Multicast TTL, written as `c=IN IP4 group/ttl`. */
  readonly ttl?: number;
  /** RTCP port when not port + 1 (RFC 3605). */
  readonly rtcpPort?: number;
  readonly sessionName?: string;
  /** Origin session id and version (default: fixed 0 0, so that the same stream gives the same file). */
  readonly sessionId?: number;
  readonly sessionVersion?: number;
  /** SSRC and CNAME as `a=ssrc:` (RFC 5576). */
  readonly ssrc?: number;
  readonly cname?: string;
  readonly framerate?: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv6(address: string): boolean {
  return address.includes(':');
}

/** Whether an address is IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(address: string): boolean {
  const m = IPV4.exec(address);
  if (m) return Number(m[1]) >= 224 && Number(m[1]) <= 239;
  return /^ff[0-9a-f]{2}:/i.test(address);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** profile-level-id: profile_idc, constraint flags and level_idc of an SPS, in hex (RFC 6184 8.1). */
export function profileLevelId(sps: Uint8Array): string | undefined {
  if (sps.length < 4) return undefined;
  return hex2(sps[1]) + hex2(sps[2]) + hex2(sps[3]);
}

/** sprop-parameter-sets: base64 of each parameter set, comma-separated. */
export function spropParameterSets(sets: readonly Uint8Array[]): string {
  return sets.map(encodeBase64).join(',');
}

/** Parameter sets of a sprop-parameter-sets value; entries that are not base64 are skipped. */
export function parseSpropParameterSets(value: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const part of value.split(',')) {
    const d = decodeBase64(part.trim());
    if (d && d.length > 0) out.push(d);
  }
  return out;
}

/** An SDP for one H.264 stream, CRLF line endings as the RFC asks. */
export function h264Sdp(o: H264SdpOptions): string {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new SdpError(`port must be in [0, 65535], got ${o.port}`);
  if (!Number.isInteger(o.payloadType) || o.payloadType < 0 || o.payloadType > 127)
    throw new SdpError(`payload type must be in [0, 127], got ${o.payloadType}`);
  if (!/^[\w.:-]+$/.test(o.address)) throw new SdpError(`not an address: '${o.address}'`);
  const ipv = isIpv6(o.address) ? 'IP6' : 'IP4';
  const mc = isMulticast(o.address);
  const pt = o.payloadType;
  const fmtp = ['packetization-mode=1'];
  const pli = o.sps && profileLevelId(o.sps);
  if (pli) fmtp.push(`profile-level-id=${pli}`);
  const sets = [o.sps, o.pps].filter((x): x is Uint8Array => x !== undefined && x.length > 0);
  if (sets.length) fmtp.push(`sprop-parameter-sets=${spropParameterSets(sets)}`);
  const lines = [
    'v=0',
    `o=- ${o.sessionId ?? 0} ${o.sessionVersion ?? 0} IN ${ipv} ${mc ? (ipv === 'IP6' ? '::1' : '127.0.0.1') : o.address}`,
    `s=${(o.sessionName ?? 'glass2glass').replace(/[\r\n]/g, ' ')}`,
    // RFC 8866 5.7: an IPv4 multicast address carries its TTL.
    `c=IN ${ipv} ${o.address}${mc && ipv === 'IP4' ? `/${o.ttl ?? 1}` : ''}`,
    't=0 0',
    `m=video ${o.port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} H264/90000`,
    `a=fmtp:${pt} ${fmtp.join(';')}`,
  ];
  if (o.rtcpPort !== undefined) lines.push(`a=rtcp:${o.rtcpPort}`);
  if (o.framerate !== undefined) lines.push(`a=framerate:${o.framerate}`);
  if (o.ssrc !== undefined) lines.push(`a=ssrc:${o.ssrc >>> 0}${o.cname ? ` cname:${o.cname}` : ''}`);
  lines.push('a=recvonly');
  return lines.join('\r\n') + '\r\n';
}

function parseConnection(value: string): SdpConnection | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN') return undefined;
  const [addr, ttl] = parts[2].split('/');
  if (!addr) return undefined;
  const t = ttl !== undefined && /^\d+$/.test(ttl) ? Number(ttl) : undefined;
  return { addressType: parts[1], address: addr, ttl: t };
}

/** Largest SDP accepted: descriptions are a few hundred bytes; this bounds the work on garbage. */
const MAX_SDP = 64 * 1024;

/** Parses SDP text. Throws SdpError only when it is not SDP at all (no `v=0` first, or too large). */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') throw new SdpError('SDP must be text');
  if (text.length > MAX_SDP) throw new SdpError(`SDP of ${text.length} characters is larger than ${MAX_SDP}`);
  const lines = text.split(/\r?\n/);
  const errors: string[] = [];
  let first = 0;
  while (first < lines.length && lines[first].trim() === '') first++;
  if (first >= lines.length || !/^v=0\s*$/.test(lines[first])) throw new SdpError('not an SDP: the first line must be v=0');
  let origin: string | undefined;
  let sessionName: string | undefined;
  let connection: SdpConnection | undefined;
  interface MutableMedia {
    type: string;
    port: number;
    proto: string;
    formats: number[];
    connection?: SdpConnection;
    rtpmap: Map<number, SdpRtpMap>;
    fmtp: Map<number, Record<string, string>>;
    attributes: { name: string; value?: string }[];
  }
  const media: MutableMedia[] = [];
  for (let i = first + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) {
      errors.push(`line ${i + 1}: not a type=value line`);
      continue;
    }
    const [, type, value] = m;
    const cur = media[media.length - 1];
    switch (type) {
      case 'o':
        origin = value;
        break;
      case 's':
        sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (!c) errors.push(`line ${i + 1}: bad connection '${value}'`);
        else if (cur) cur.connection = c;
        else connection = c;
        break;
      }
      case 'm': {
        const p = value.trim().split(/\s+/);
        const port = Number((p[1] ?? '').split('/')[0]);
        if (p.length < 3 || !Number.isInteger(port) || port < 0 || port > 65535) {
          errors.push(`line ${i + 1}: bad media line '${value}'`);
          // Later attributes must not attach to the previous media section.
          media.push({
            type: p[0] ?? '',
            port: -1,
            proto: '',
            formats: [],
            rtpmap: new Map(),
            fmtp: new Map(),
            attributes: [],
          });
          break;
        }
        const formats = p
          .slice(3)
          .map(Number)
          .filter((f) => Number.isInteger(f) && f >= 0 && f <= 127);
        media.push({
          type: p[0],
          port,
          proto: p[2],
          formats,
          rtpmap: new Map(),
          fmtp: new Map(),
          attributes: [],
        });
        break;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const name = colon < 0 ? value : value.slice(0, colon);
        const val = colon < 0 ? undefined : value.slice(colon + 1);
        if (!cur) break;
        if (name === 'rtpmap' && val !== undefined) {
          const r = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(val);
          if (r)
            cur.rtpmap.set(Number(r[1]), {
              encoding: r[2],
              clockRate: Number(r[3]),
              channels: r[4] ? Number(r[4]) : undefined,
            });
          else errors.push(`line ${i + 1}: bad rtpmap '${val}'`);
        } else if (name === 'fmtp' && val !== undefined) {
          const f = /^(\d+)\s+(.*)$/.exec(val);
          if (!f) {
            errors.push(`line ${i + 1}: bad fmtp '${val}'`);
            break;
          }
          const params: Record<string, string> = Object.create(null);
          for (const kv of f[2].split(';')) {
            const eq = kv.indexOf('=');
            if (eq <= 0) continue;
            params[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim();
          }
          cur.fmtp.set(Number(f[1]), params);
        } else {
          cur.attributes.push({ name, value: val });
        }
        break;
      }
      default:
        break;
    }
  }
  return { version: 0, origin, sessionName, connection, media, errors };
}

export interface SdpStream {
  /** The media section's connection address, or the session's. */
  readonly address: string | undefined;
  readonly port: number;
  readonly rtcpPort: number;
  readonly payloadType: number;
  /** RTP caps, GStreamer's names (what udpsrc caps= or sdpdemux give rtph264depay). */
  readonly caps: Caps;
  readonly parameterSets: readonly Uint8Array[];
  /** An audio stream's depayloading (AAC or Opus) and its frames' caps. */
  readonly audio?: SdpAudioStream;
}

/**
 * Highest RTP clock rate accepted: time conversions (`ticksToNs`) take timescales below 1 GHz; real
 * clock rates are at most a few hundred kHz.
 */
export const MAX_CLOCK_RATE = 999_999_999;

/**
 * The first RTP stream of a kind (default video) of a description as caps (`application/x-rtp, media,
 * clock-rate, encoding-name, payload` and the fmtp parameters). Throws SdpError when it has none; a
 * payload type whose clock rate is unusable (0, or hundreds of digits: Infinity) is skipped for the next,
 * and named in the error when no other will do. Audio streams are those AAC or Opus sdpAudioStream reads.
 */
export function sdpStream(sd: SessionDescription, media: 'video' | 'audio' = 'video'): SdpStream {
  let badRate: SdpError | undefined;
  for (const m of sd.media) {
    if (m.type !== media || !m.proto.startsWith('RTP/') || m.port < 0) continue;
    const audio = media === 'audio' ? sdpAudioStream(m) : undefined;
    if (media === 'audio' && !audio) continue;
    for (const pt of m.formats) {
      if (audio && pt !== audio.payloadType) continue;
      const map = m.rtpmap.get(pt);
      if (!map) continue;
      if (!Number.isInteger(map.clockRate) || map.clockRate < 1 || map.clockRate > MAX_CLOCK_RATE) {
        badRate ??= new SdpError(`payload type ${pt}: RTP clock rate ${map.clockRate} is not an integer from 1 to ${MAX_CLOCK_RATE}`);
        continue;
      }
      const fields: Record<string, FieldValue> = {
        media,
        'clock-rate': map.clockRate,
        'encoding-name': map.encoding.toUpperCase(),
        payload: pt,
      };
      const fmtp = m.fmtp.get(pt) ?? {};
      for (const [k, v] of Object.entries(fmtp)) {
        if (/^[a-z][a-z0-9-]*$/.test(k) && !(k in fields)) fields[k] = v;
      }
      const rtcpAttr = m.attributes.find((a) => a.name === 'rtcp')?.value;
      // An a=rtcp port out of range (a hostile or broken description) is as good as none.
      const rtcpNum = rtcpAttr && /^\d+/.test(rtcpAttr) ? Number(/^\d+/.exec(rtcpAttr)![0]) : undefined;
      const rtcpPort = rtcpNum !== undefined && rtcpNum <= 65535 ? rtcpNum : m.port + 1;
      return {
        address: (m.connection ?? sd.connection)?.address,
        port: m.port,
        rtcpPort,
        payloadType: pt,
        caps: caps('application/x-rtp', fields),
        parameterSets: fmtp['sprop-parameter-sets'] ? parseSpropParameterSets(fmtp['sprop-parameter-sets']) : [],
        audio,
      };
    }
  }
  throw (
    badRate ??
    new SdpError(media === 'video' ? 'the SDP describes no RTP video stream with an rtpmap' : 'the SDP describes no AAC (mpeg4-generic) or Opus audio stream')
  );
}
