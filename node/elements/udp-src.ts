import { readFileSync } from 'node:fs';
import { limitSource, NUM_BUFFERS } from '../../operators/num-buffers';
import { Caps } from '../../src/caps';
import { defineElement, prop } from '../../src/descriptor';
import { EOS, type ElementContext, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import { EMPTY_META, type CpuPacket } from '../../src/packet';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import { looksLikeRtcp, parseRtcp } from '../../src/rtp/rtcp';
import { isMulticast, parseSdp, sdpStream, SdpError, type SdpStream } from '../../src/rtp/sdp';
import { MILLISECOND } from '../../src/time';
import { openUdpReceiver, type UdpReceiver } from '../drivers/udp';

export const DEFAULT_UDP_PORT = 5004;
const DEFAULT_RCVBUF = 2 * 1024 * 1024;
/** After a BYE, datagrams still in flight on the RTP socket get this long (clock time) before the stream ends. */
const BYE_GRACE = 100 * MILLISECOND;
/** What isMulticast accepts: IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
const MULTICAST = /^(?:2(?:2[4-9]|3\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}|ff[0-9a-f]{2}:.*)$/i;

/** Options that are not properties (never in launch syntax). */
export interface UdpSrcExtras {
  /** Called once the sockets are bound, with the ports (useful with port 0). */
  onListening?: (info: { port: number; rtcpPort: number | undefined }) => void;
}

export const UDP_SRC = defineElement({
  name: 'udpSrc',
  kind: 'source',
  description: 'Receives UDP datagrams as packets, caps from an SDP or caps=; drops the oldest when the pipeline lags (GStreamer udpsrc)',
  caps: { src: Caps.any() },
  notes:
    'One datagram per packet, pts the running time of arrival. The socket pushes; a bounded buffer (max-packets) adapts it to pulls and drops the oldest datagram (counted as overflow) when the pipeline falls behind. With RTCP, a BYE ends the stream. Sockets are closed on every path.',
  properties: {
    port: prop.uint({ max: 65535, defaultDoc: `the SDP's, else ${DEFAULT_UDP_PORT}`, doc: 'Port to listen on (0 picks a free one, without rtcp)' }),
    address: prop.string({ defaultDoc: "all interfaces; the SDP's address when it is a loopback one", doc: 'Local address to bind' }),
    multicastGroup: prop.string({
      pattern: MULTICAST,
      accepts: 'an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address',
      defaultDoc: "the SDP's connection address when it is a multicast one",
      doc: 'Multicast group to join',
    }),
    multicastIface: prop.string({ defaultDoc: "the system's choice", doc: 'Local address of the interface to join the group on' }),
    sdp: prop.string({ pattern: /./, accepts: 'a file path', doc: 'Read the caps, port and group from this SDP file (when the element is made)' }),
    caps: prop.caps({ default: 'application/x-rtp', doc: "Output caps without an SDP (completed by what downstream needs); an SDP's caps take their place" }),
    bufferSize: prop.uint({
      default: DEFAULT_RCVBUF,
      doc: 'Socket receive buffer (SO_RCVBUF) in bytes; the default holds the packet burst of a 1080p IDR frame',
    }),
    maxPackets: prop.uint({ default: 1024, min: 1, doc: "Datagrams held when the pipeline lags; beyond that the oldest is dropped (counted as 'overflow')" }),
    rtcp: prop.boolean({ defaultDoc: 'true for RTP caps', doc: "Listen for RTCP on port + 1 (or the SDP's RTCP port); a BYE ends the stream" }),
    numBuffers: NUM_BUFFERS,
  },
});

export type UdpSrcOptions = NonNullable<Parameters<typeof udpSrc>[0]>;

/**
 * Receives UDP datagrams as packets (GStreamer's udpsrc), one datagram per packet, pts the running time of
 * arrival. The socket pushes; a bounded buffer adapts it to the pull protocol and drops the oldest
 * datagram (counted) when the pipeline falls behind, so a slow consumer never grows memory. With an SDP
 * the caps (sprop-parameter-sets included), port and multicast group come from it. Sockets are closed on
 * every path: end of stream (Ctrl-C, RTCP BYE), error and abort.
 */
export const udpSrc = UDP_SRC.implement((s, x: UdpSrcExtras): Source<CpuPacket> => {
  const sdp = s.sdp !== undefined ? readSdpFile(s.sdp) : undefined;
  const port = s.port ?? sdp?.port ?? DEFAULT_UDP_PORT;
  const group = s.multicastGroup ?? (sdp?.address && isMulticast(sdp.address) ? sdp.address : undefined);
  const template = sdp ? sdp.caps : s.caps;
  if (template.isAny || template.isEmpty()) throw new RangeError(`udpSrc caps must name a format, got ${template.toString()}`);
  const rtcp = s.rtcp ?? template.mediaType === 'application/x-rtp';
  // A unicast SDP's address is where the stream is sent, this host: when it is a loopback address, listen there only.
  const address = s.address ?? (sdp?.address && group === undefined && /^(127\.|::1$)/.test(sdp.address) ? sdp.address : undefined);
  const rtcpPort = sdp && sdp.port === port ? sdp.rtcpPort : port + 1;
  if (rtcp && port === 0) throw new RangeError('udpSrc with rtcp needs a fixed port (RTCP listens on port + 1)');
  const net: SocketSettings = {
    port,
    address,
    group,
    iface: s.multicastIface,
    bufferSize: s.bufferSize,
    maxPackets: s.maxPackets,
    rtcpPort: rtcp ? rtcpPort : undefined,
    onListening: x.onListening,
  };
  const op = defineSource<CpuPacket>({
    srcCaps: template,
    fixate: (allowed) => allowed.fixate(),
    open: (ctx) => openSrc(ctx, net),
  });
  return limitSource(op, s.numBuffers);
});

/** What the sockets are opened with, resolved from the settings and the SDP. */
interface SocketSettings {
  readonly port: number;
  readonly address: string | undefined;
  readonly group: string | undefined;
  readonly iface: string | undefined;
  readonly bufferSize: number;
  readonly maxPackets: number;
  readonly rtcpPort: number | undefined;
  readonly onListening: UdpSrcExtras['onListening'];
}

function readSdpFile(path: string): SdpStream {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SdpError(`cannot read SDP '${path}': ${(e as Error).message}`, { cause: e });
  }
  try {
    return sdpStream(parseSdp(text));
  } catch (e) {
    if (e instanceof SdpError) throw new SdpError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

function openSrc(ctx: ElementContext, o: SocketSettings): Reader<CpuPacket> {
  const { port, group, bufferSize, maxPackets, rtcpPort } = o;
  const buffer = new BoundedBuffer<CpuPacket>(maxPackets, 'drop-oldest', ctx.report, 'overflow');
  const clock = ctx.clock;
  const caps = ctx.outputCaps;
  let closed = false;
  let ending = false;
  const sockets: UdpReceiver[] = [];

  const onRtp = (data: Uint8Array): void => {
    buffer.push({ caps, pts: clock.now() - ctx.baseTime, dts: undefined, duration: undefined, flags: 0, memory: cpuMemory(data), meta: EMPTY_META });
  };
  const onRtcp = (data: Uint8Array): void => {
    if (ending || !looksLikeRtcp(data)) return;
    const { packets } = parseRtcp(data);
    if (!packets.some((p) => p.type === 'bye')) return;
    ending = true;
    ctx.log('info', 'RTCP BYE: the sender left, ending the stream');
    clock.sleepUntil(clock.now() + BYE_GRACE, ctx.signal).then(
      () => buffer.end(),
      () => undefined
    );
  };
  const onError = (e: Error): void => buffer.fail(e);

  const opening = (async () => {
    const iface = o.iface;
    const rtp = await openUdpReceiver({ port, address: o.address, multicastGroup: group, multicastIface: iface, bufferSize, onMessage: onRtp, onError });
    sockets.push(rtp);
    if (rtcpPort !== undefined) {
      sockets.push(await openUdpReceiver({ port: rtcpPort, address: o.address, multicastGroup: group, multicastIface: iface, onMessage: onRtcp, onError }));
    }
    if (closed) return;
    o.onListening?.({ port: rtp.port, rtcpPort });
    ctx.log('debug', `listening on port ${rtp.port}${rtcpPort !== undefined ? ` (RTCP ${rtcpPort})` : ''}`);
  })();
  opening.catch((e) => buffer.fail(e));

  return {
    pull: (signal) => (ctx.eosRequested ? EOS : buffer.pull(signal)),
    async close() {
      closed = true;
      buffer.end();
      await opening.catch(() => undefined);
      await Promise.all(sockets.map((s) => s.close()));
    },
  };
}
