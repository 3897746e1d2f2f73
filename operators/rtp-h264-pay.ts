import { queuedReader } from '../src/reader';
import { defineElement, prop, type ElementOptions, type SettingsOf } from '../src/descriptor';
import { Caps, caps, type FieldValue } from '../src/caps';
import { fromHex, parseAvcC, splitAvc, H264Error } from '../src/codecs/h264';
import { EOS, type ElementContext, type Pulled, type Reader } from '../src/element';
import { cpuMemory } from '../src/memory/memory';
import { defineTransform, type Transform } from '../src/operator';
import { PacketFlags, type CpuPacket, type Packet } from '../src/packet';
import { splitAnnexBInto } from '../src/codecs/h264/nal';
import { H264Payloader, MIN_MTU } from '../src/rtp/h264-payloader';
import { MAX_RTP_PACKET } from '../src/rtp/rtp-packet';
import { profileLevelId, spropParameterSets } from '../src/rtp/sdp';
import { tsAdd } from '../src/rtp/seq';
import { nsToTicks } from '../src/time';

export const RTP_CLOCK_RATE = 90000;

const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string){ byte-stream, avc }, alignment=(string)au');

/** Caps of H.264 RTP, as GStreamer's rtph264pay gives them (udpsrc caps= and sdpdemux use the same names). */
export function rtpH264Caps(pt: number, extra: Readonly<Record<string, FieldValue>> = {}): Caps {
  return caps('application/x-rtp', {
    media: 'video',
    'clock-rate': RTP_CLOCK_RATE,
    'encoding-name': 'H264',
    payload: pt,
    'packetization-mode': '1',
    ...extra,
  });
}

export const RTP_H264_PAY = defineElement({
  name: 'rtpH264Pay',
  kind: 'transform',
  description: 'Packetises H.264 access units into RTP (RFC 6184: single NAL, STAP-A, FU-A) (GStreamer rtph264pay)',
  caps: { sink: SINK_CAPS, src: rtpH264Caps(96) },
  notes:
    'One RTP packet per output packet (CPU memory, serialised). Marker on the last packet of each access unit; RTP timestamp = pts at 90 kHz + an offset, wrapping at 2^32. Caps gain sprop-parameter-sets and profile-level-id once SPS/PPS are seen, so a sink can write the SDP from the first packet.',
  properties: {
    mtu: prop.uint({
      default: 1400,
      min: MIN_MTU,
      max: MAX_RTP_PACKET,
      doc: 'Largest RTP packet in bytes, header included (1400 fits a 1500-byte Ethernet MTU with IP/UDP and tunnel headroom)',
    }),
    pt: prop.uint({ default: 96, max: 127, doc: 'Payload type (dynamic: 96-127)' }),
    ssrc: prop.uint({ max: 0xffffffff, defaultDoc: 'random at each start', doc: 'SSRC' }),
    seqStart: prop.uint({ max: 0xffff, defaultDoc: 'random at each start', doc: "First sequence number (GStreamer's seqnum-offset)" }),
    timestampOffset: prop.uint({ max: 0xffffffff, defaultDoc: 'random at each start', doc: 'RTP timestamp of pts 0, in 90 kHz ticks' }),
    aggregate: prop.enum(['stap-a', 'none'], {
      default: 'stap-a',
      doc: 'Aggregate small NAL units of an access unit (SPS, PPS, SEI, small slices) into STAP-A packets, or send each alone',
    }),
    configInterval: prop.int({ default: -1, min: -1, doc: 'SPS/PPS in band: -1 before every IDR lacking them, 0 never, N at most every N seconds' }),
  },
});

export type RtpH264PayOptions = ElementOptions<typeof RTP_H264_PAY>;
type RtpH264PaySettings = SettingsOf<typeof RTP_H264_PAY.properties>;

/**
 * GStreamer's rtph264pay: H.264 access units (byte-stream or avc, alignment=au) in, RTP packets out, one
 * packet per datagram (CPU memory holding the serialised RTP packet). The marker bit is set on the last
 * packet of each access unit; the RTP timestamp is the pts at 90 kHz plus a random offset, wrapping at 2^32.
 * Caps carry sprop-parameter-sets and profile-level-id once the stream's SPS/PPS are seen (a new Caps
 * object when they change), so a sink can write the SDP from the first packet.
 */
export const rtpH264Pay = RTP_H264_PAY.implement((options): Transform<Packet, CpuPacket> => {
  const { pt } = options;
  const base = rtpH264Caps(pt);
  return defineTransform<Packet, CpuPacket>({
    sinkCaps: SINK_CAPS,
    srcCaps: base,
    acceptCaps: () => SINK_CAPS,
    outputCaps: (_input, allowed) => base.intersect(allowed),
    open: (ctx, up) => openPayloader(ctx, up, options, pt),
  });
});

function openPayloader(ctx: ElementContext, up: Reader<Packet>, options: RtpH264PaySettings, pt: number): Reader<CpuPacket> {
  const pay = new H264Payloader(options);
  let avc = false;
  let lengthSize: 1 | 2 | 4 = 4;
  let modeCaps: Caps | undefined;
  let outCaps = ctx.outputCaps.isFixed() ? ctx.outputCaps : rtpH264Caps(pt);
  let capsVersion = 0;
  let lastTs: number | undefined;
  let ended = false;
  const datagrams: Uint8Array[] = [];
  const annexbNals: Uint8Array[] = [];
  const queue: CpuPacket[] = [];

  const setMode = (c: Caps): void => {
    modeCaps = c;
    avc = c.get('stream-format') === 'avc';
    lengthSize = 4;
    const cd = c.get('codec_data');
    if (avc && typeof cd === 'string') {
      try {
        const rec = parseAvcC(fromHex(cd));
        lengthSize = rec.lengthSize;
        for (const n of [...rec.sps, ...rec.pps]) pay.learn(n);
      } catch (e) {
        if (!(e instanceof H264Error)) throw e;
        ctx.log('error', `codec_data: ${e.message}`);
      }
    }
  };

  const currentCaps = (): Caps => {
    if (pay.paramsVersion === capsVersion) return outCaps;
    capsVersion = pay.paramsVersion;
    const extra: Record<string, FieldValue> = {};
    const sets = [pay.sps, pay.pps].filter((x): x is Uint8Array => x !== undefined);
    if (sets.length) extra['sprop-parameter-sets'] = spropParameterSets(sets);
    const pli = pay.sps && profileLevelId(pay.sps);
    if (pli) extra['profile-level-id'] = pli;
    outCaps = rtpH264Caps(pt, extra);
    return outCaps;
  };

  const handle = (item: Pulled<Packet>): void => {
    if (item === EOS) {
      ended = true;
      return;
    }
    const mem = item.memory;
    if (mem.domain === 'none') return;
    if (mem.domain !== 'cpu') throw new TypeError(`${ctx.name} needs CPU memory, got ${mem.domain}`);
    if (item.caps !== modeCaps) setMode(item.caps);
    let nals = annexbNals;
    nals.length = 0;
    try {
      if (avc) nals = splitAvc(mem.data, lengthSize);
      else splitAnnexBInto(mem.data, nals);
    } catch (e) {
      if (!(e instanceof H264Error)) throw e;
      ctx.report.drop('corrupt');
      ctx.log('warn', `dropped an access unit: ${e.message}`);
      return;
    }
    const time = item.pts ?? item.dts;
    const ts = time !== undefined ? tsAdd(pay.timestampOffset, nsToTicks(time, RTP_CLOCK_RATE)) : lastTs ?? pay.timestampOffset;
    lastTs = ts;
    datagrams.length = 0;
    const n = pay.push(nals, ts, time, datagrams);
    if (n === 0) return;
    const c = currentCaps();
    const base = item.flags & PacketFlags.KEYFRAME;
    for (let i = 0; i < n; i++) {
      let flags = base;
      if (i === 0) flags |= item.flags & PacketFlags.DISCONT;
      if (i === n - 1) flags |= PacketFlags.MARKER;
      queue.push({ caps: c, pts: item.pts, dts: item.dts, duration: undefined, flags, memory: cpuMemory(datagrams[i]), meta: item.meta });
    }
  };

  return queuedReader(up, queue, handle, () => ended);
}
