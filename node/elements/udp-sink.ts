import { rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { rtpH264Pay } from '../../operators/rtp-h264-pay';
import { Caps } from '../../src/caps';
import { defineElement, prop, type SettingsOf } from '../../src/descriptor';
import type { ElementContext, Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import { PacketFlags, type Packet } from '../../src/packet';
import { pipe } from '../../src/pipeline';
import { RtcpSender } from '../../src/rtp/rtcp-sender';
import { looksLikeRtp, peekTimestamp } from '../../src/rtp/rtp-packet';
import { h264Sdp, parseSpropParameterSets } from '../../src/rtp/sdp';
import { MILLISECOND, SECOND } from '../../src/time';
import { openUdpSender, type UdpSender } from '../drivers/udp';

/** Options that are not properties (never in launch syntax). */
export interface UdpSinkExtras {
  /**
   * Payload H.264 access units here rather than taking RTP packets (the seed's UdpSink::with_rtp):
   * the sink becomes rtpH264Pay ! udpSink.
   */
  rtp?: { pt?: number; ssrc?: number; mtu?: number };
}

/** RFC 3550 6.2 allows a reduced minimum interval of 360 s / session kbps: below 1 s for any video stream. */
const DEFAULT_RTCP_INTERVAL = SECOND;
/** Between the last RTP datagram and the BYE. */
const BYE_DELAY = 100 * MILLISECOND;

export const UDP_SINK = defineElement({
  name: 'udpSink',
  kind: 'sink',
  description: 'Sends packets as UDP datagrams, paced in real time; RTCP sender reports and an SDP for RTP (GStreamer udpsink)',
  caps: { sink: Caps.any() },
  notes:
    'One datagram per packet. Paces by dts (send order), else pts, on the pipeline clock, never backwards; a late datagram is sent late, never dropped. For RTP: sender reports to port + 1 and a BYE at the end. The socket is closed on every path.',
  properties: {
    host: prop.string({ default: '127.0.0.1', doc: 'Destination host or multicast group' }),
    port: prop.uint({ required: true, min: 1, max: 65535, doc: 'Destination port (RTCP goes to port + 1)' }),
    ttl: prop.uint({ max: 255, defaultDoc: "the system's (1 for multicast)", doc: 'TTL of unicast datagrams, or multicast TTL for a group' }),
    multicastIface: prop.string({ defaultDoc: "the system's choice", doc: 'Local address of the interface to send multicast from' }),
    bindPort: prop.uint({ max: 65535, defaultDoc: 'any free one', doc: 'Local port to send from' }),
    sync: prop.boolean({
      default: true,
      doc: 'Pace datagrams in real time by their timestamps on the pipeline clock, as a live sender (dts, else pts, never backwards); false sends as fast as they come',
    }),
    rtcp: prop.boolean({ default: true, doc: 'Send RTCP sender reports to port + 1 while streaming and a BYE at the end (RTP input only)' }),
    rtcpInterval: prop.duration({ unit: 'ms', min: 1, default: DEFAULT_RTCP_INTERVAL, doc: 'Interval between RTCP sender reports' }),
    sdp: prop.string({
      pattern: /./,
      accepts: 'a file path',
      doc: 'Write an SDP describing the RTP stream to this file (before the first datagram leaves; rewritten if the caps change)',
    }),
    bufferSize: prop.uint({ defaultDoc: "the system's", doc: 'Socket send buffer (SO_SNDBUF) in bytes' }),
  },
});

export type UdpSinkOptions = NonNullable<Parameters<typeof udpSink>[0]>;
type UdpSinkSettings = SettingsOf<typeof UDP_SINK.properties>;

/**
 * Sends each packet's bytes as one UDP datagram (GStreamer's udpsink), typically RTP from rtpH264Pay.
 * For RTP it can send RTCP sender reports and a closing BYE to port + 1, and write an SDP for receivers
 * (`ffmpeg -protocol_whitelist file,udp,rtp -i out.sdp`, `udpSrc sdp=out.sdp`). The socket is closed on
 * every path (end of stream, error, abort).
 */
export const udpSink = UDP_SINK.implement((s, x: UdpSinkExtras): Sink<Packet> => {
  const sink = defineSink<Packet>({
    sinkCaps: Caps.any(),
    // Pacing is done here, not by the runtime: a late datagram is sent late, never dropped (dropping one
    // fragment would cost the whole access unit downstream).
    sync: false,
    dropLate: false,
    open: (ctx) => openSink(ctx, s),
  });
  if (!x.rtp) return sink;
  return pipe(rtpH264Pay({ pt: x.rtp.pt, ssrc: x.rtp.ssrc, mtu: x.rtp.mtu }), sink) as Sink<Packet>;
});

function openSink(ctx: ElementContext, options: UdpSinkSettings): Writer<Packet> {
  const { host, port, sync, rtcpInterval } = options;
  const clock = ctx.clock;
  let sender: UdpSender | undefined;
  let opening: Promise<UdpSender> | undefined;
  let closed = false;
  let rtcp: RtcpSender | undefined;
  let sdpCaps: Caps | undefined;
  let sdpText: string | undefined;
  // Pacing anchor: clock time `at` corresponds to stream time `t`.
  let anchor: { t: number; at: number } | undefined;
  let lastTarget = -Infinity;
  const wallMs = () => performance.timeOrigin + performance.now();

  const open = (): Promise<UdpSender> =>
    (opening ??= openUdpSender({
      host,
      ttl: options.ttl,
      multicastIface: options.multicastIface,
      bindPort: options.bindPort,
      bufferSize: options.bufferSize,
    }).then(async (s) => {
      // Closed while opening (abort): the socket must not outlive the pipeline.
      if (closed) {
        await s.close();
        throw new Error('udpSink closed while opening');
      }
      return (sender = s);
    }));

  const writeSdp = async (c: Caps): Promise<void> => {
    sdpCaps = c;
    const sprop = c.get('sprop-parameter-sets');
    const sets = typeof sprop === 'string' ? parseSpropParameterSets(sprop) : [];
    const pt = c.get('payload');
    const text = h264Sdp({
      address: sender!.address,
      port,
      payloadType: typeof pt === 'number' ? pt : 96,
      sps: sets.find((s) => (s[0] & 0x1f) === 7),
      pps: sets.find((s) => (s[0] & 0x1f) === 8),
      ttl: options.ttl,
    });
    if (text === sdpText) return;
    sdpText = text;
    // Written beside and renamed, so that a reader never sees half a file.
    const tmp = `${options.sdp}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, options.sdp!);
  };

  const sendRtcp = (data: Uint8Array | undefined): void | Promise<void> => {
    if (data && sender) return sender.send(data, port + 1);
  };

  /** Clock time at which `p` is due (never earlier than the previous one's), or undefined for now. */
  const dueAt = (p: Packet): number | undefined => {
    const t = p.dts ?? p.pts;
    if (t === undefined) return undefined;
    const now = clock.now();
    if (!anchor || p.flags & PacketFlags.DISCONT) anchor = { t, at: now };
    const target = anchor.at + (t - anchor.t);
    // Never backwards: B-frames' pts go back in send order, and a late packet goes out at once.
    if (target > lastTarget) lastTarget = target;
    return lastTarget > now ? lastTarget : undefined;
  };

  const afterSend = (p: Packet, data: Uint8Array): void | Promise<void> => {
    if (!options.rtcp || p.caps.mediaType !== 'application/x-rtp' || !looksLikeRtp(data)) return;
    const now = clock.now();
    if (!rtcp) {
      const rate = p.caps.get('clock-rate');
      rtcp = new RtcpSender({ cname: `g2g@${hostname()}`, interval: rtcpInterval, clockRate: typeof rate === 'number' && rate > 0 ? rate : 90000 });
    }
    rtcp.sent(data, now);
    // SRs map RTP time to when the content was captured — its capture stamp, else the clock time its pts
    // is paced to, else when its pts falls on the clock — not to when it left: once per access unit.
    if (data[1] & 0x80 && p.pts !== undefined) {
      const at = p.meta.captureTime ?? (anchor ? anchor.at + (p.pts - anchor.t) : ctx.baseTime + p.pts);
      rtcp.captured(peekTimestamp(data), at);
    }
    if (rtcp.due(now)) return sendRtcp(rtcp.report(now, wallMs()));
  };

  const send = (s: UdpSender, p: Packet, data: Uint8Array): void | Promise<void> => {
    const w = s.send(data, port);
    return w ? w.then(() => afterSend(p, data)) : afterSend(p, data);
  };

  /** Opening the socket, writing the SDP, waiting for the packet's time: then sending. */
  const slow = async (p: Packet, data: Uint8Array, signal: AbortSignal): Promise<void> => {
    const s = sender ?? (await open());
    if (options.sdp !== undefined && p.caps !== sdpCaps && p.caps.mediaType === 'application/x-rtp') await writeSdp(p.caps);
    if (sync) {
      const due = dueAt(p);
      if (due !== undefined) await clock.sleepUntil(due, signal);
    }
    await send(s, p, data);
  };

  return {
    write(p, signal) {
      const m = p.memory;
      if (m.domain === 'none') return;
      if (m.domain !== 'cpu') throw new TypeError(`${ctx.name} sends CPU memory; got ${m.domain} memory`);
      // Fast path without a promise: socket open, no SDP to write, nothing to wait for.
      const s = sender;
      if (!s || (options.sdp !== undefined && p.caps !== sdpCaps && p.caps.mediaType === 'application/x-rtp')) return slow(p, m.data, signal);
      if (sync) {
        const due = dueAt(p);
        if (due !== undefined) return clock.sleepUntil(due, signal).then(() => send(s, p, m.data));
      }
      return send(s, p, m.data);
    },
    async end(signal) {
      if (!sender) return;
      if (rtcp) {
        await sender.flush();
        // Receivers that read RTCP before RTP (ffmpeg) would end before the last datagrams: leave them time.
        await clock.sleepUntil(clock.now() + BYE_DELAY, signal);
        const r = sendRtcp(rtcp.report(clock.now(), wallMs(), true));
        if (r) await r;
      }
      await sender.flush();
    },
    async close() {
      closed = true;
      // A socket still opening closes itself when it is done (see open).
      const s = sender;
      if (s) await s.close();
      else await opening?.catch(() => undefined);
    },
  };
}
