import { readFileSync } from 'node:fs';
import type { ElementEntry } from '../../operators/registry';
import { Caps } from '../../src/caps';
import { EOS, type ElementContext, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import { EMPTY_META, type CpuPacket } from '../../src/packet';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import { looksLikeRtcp, parseRtcp } from '../../src/rtp/rtcp';
import { isMulticast, parseSdp, sdpStream, SdpError, type SdpStream } from '../../src/rtp/sdp';
import { MILLISECOND } from '../../src/time';
import { openUdpReceiver, type UdpReceiver } from '../drivers/udp';

export interface UdpSrcOptions {
  name?: string;
  /** Port to listen on; default: the SDP's, else 5004. 0 picks a free one (see onListening). */
  port?: number;
  /** Local address to bind (default: all interfaces; the SDP's address when it is a loopback one). */
  address?: string;
  /** Multicast group to join; default: the SDP's connection address when it is one. */
  multicastGroup?: string;
  /** Local address of the interface to join the group on. */
  multicastIface?: string;
  /** Read the stream's caps (and port, group) from this SDP file, when the element is made. */
  sdp?: string;
  /** Output caps when there is no SDP; default application/x-rtp (completed by what downstream needs). */
  caps?: string | Caps;
  /** Socket receive buffer (SO_RCVBUF) in bytes; default 2 MiB, room for the packet burst of a 1080p IDR frame. */
  bufferSize?: number;
  /** Datagrams held when the pipeline lags; beyond that the oldest is dropped (counted as 'overflow'). Default 1024. */
  maxPackets?: number;
  /** Listen for RTCP on port + 1; a BYE ends the stream (default true for RTP caps). */
  rtcp?: boolean;
  /** Called once the sockets are bound, with the ports (useful with port 0). */
  onListening?: (info: { port: number; rtcpPort: number | undefined }) => void;
}

export const DEFAULT_UDP_PORT = 5004;
const DEFAULT_RCVBUF = 2 * 1024 * 1024;
/** After a BYE, datagrams still in flight on the RTP socket get this long (clock time) before the stream ends. */
const BYE_GRACE = 100 * MILLISECOND;

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

/**
 * Receives UDP datagrams as packets (GStreamer's udpsrc), one datagram per packet, pts the running time of
 * arrival. The socket pushes; a bounded buffer adapts it to the pull protocol and drops the oldest
 * datagram (counted) when the pipeline falls behind, so a slow consumer never grows memory. With an SDP
 * the caps (sprop-parameter-sets included), port and multicast group come from it. Sockets are closed on
 * every path: end of stream (Ctrl-C, RTCP BYE), error and abort.
 */
export function udpSrc(options: UdpSrcOptions = {}): Source<CpuPacket> {
  const sdp = options.sdp !== undefined ? readSdpFile(options.sdp) : undefined;
  const port = options.port ?? sdp?.port ?? DEFAULT_UDP_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`udpSrc port must be in [0, 65535], got ${port}`);
  const group = options.multicastGroup ?? (sdp?.address && isMulticast(sdp.address) ? sdp.address : undefined);
  if (group !== undefined && !isMulticast(group)) throw new RangeError(`udpSrc multicastGroup '${group}' is not a multicast address`);
  const maxPackets = options.maxPackets ?? 1024;
  if (!Number.isInteger(maxPackets) || maxPackets < 1) throw new RangeError(`udpSrc maxPackets must be ≥ 1, got ${maxPackets}`);
  const bufferSize = options.bufferSize ?? DEFAULT_RCVBUF;
  if (!Number.isInteger(bufferSize) || bufferSize < 0) throw new RangeError(`udpSrc bufferSize must be a byte count, got ${bufferSize}`);
  const template = sdp ? sdp.caps : options.caps === undefined ? Caps.parse('application/x-rtp') : typeof options.caps === 'string' ? Caps.parse(options.caps) : options.caps;
  if (template.isAny || template.isEmpty()) throw new RangeError(`udpSrc caps must name a format, got ${template.toString()}`);
  const rtcp = options.rtcp ?? template.mediaType === 'application/x-rtp';
  // A unicast SDP's address is where the stream is sent, this host: when it is a loopback address, listen there only.
  const address = options.address ?? (sdp?.address && group === undefined && /^(127\.|::1$)/.test(sdp.address) ? sdp.address : undefined);
  const rtcpPort = sdp && sdp.port === port ? sdp.rtcpPort : port + 1;
  if (rtcp && port === 0) throw new RangeError('udpSrc with rtcp needs a fixed port (RTCP listens on port + 1)');
  return defineSource<CpuPacket>({
    factory: 'udpSrc',
    name: options.name,
    props: { port, address, 'multicast-group': group, sdp: options.sdp, caps: options.caps?.toString(), 'buffer-size': bufferSize, rtcp },
    srcCaps: template,
    fixate: (allowed) => allowed.fixate(),
    open: (ctx) => openSrc(ctx, { ...options, address }, port, group, bufferSize, maxPackets, rtcp ? rtcpPort : undefined),
  });
}

function openSrc(ctx: ElementContext, options: UdpSrcOptions, port: number, group: string | undefined, bufferSize: number, maxPackets: number, rtcpPort: number | undefined): Reader<CpuPacket> {
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
      () => undefined,
    );
  };
  const onError = (e: Error): void => buffer.fail(e);

  const opening = (async () => {
    const iface = options.multicastIface;
    const rtp = await openUdpReceiver({ port, address: options.address, multicastGroup: group, multicastIface: iface, bufferSize, onMessage: onRtp, onError });
    sockets.push(rtp);
    if (rtcpPort !== undefined) {
      sockets.push(await openUdpReceiver({ port: rtcpPort, address: options.address, multicastGroup: group, multicastIface: iface, onMessage: onRtcp, onError }));
    }
    if (closed) return;
    options.onListening?.({ port: rtp.port, rtcpPort });
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

export const udpSrcEntry: ElementEntry = {
  name: 'udpSrc',
  kind: 'source',
  description: 'Receives UDP datagrams as packets, caps from an SDP or caps=; drops the oldest when the pipeline lags (GStreamer udpsrc)',
  caps: { src: 'ANY' },
  properties: [
    { name: 'port', type: 'uint', default: DEFAULT_UDP_PORT, description: "Port to listen on (default: the SDP's, else 5004)" },
    { name: 'address', type: 'string', description: 'Local address to bind (default: all interfaces)' },
    { name: 'multicast-group', type: 'string', description: "Multicast group to join (default: the SDP's, if multicast)" },
    { name: 'multicast-iface', type: 'string', description: 'Local address of the interface to join the group on' },
    { name: 'sdp', type: 'string', description: 'Read caps, port and group from this SDP file' },
    { name: 'caps', type: 'caps', default: 'application/x-rtp', description: 'Output caps without an SDP' },
    { name: 'buffer-size', type: 'uint', default: DEFAULT_RCVBUF, description: 'Socket receive buffer (SO_RCVBUF) in bytes' },
    { name: 'max-packets', type: 'uint', default: 1024, description: 'Datagrams held when the pipeline lags (the oldest is dropped beyond)' },
    { name: 'rtcp', type: 'boolean', description: 'Listen for RTCP on port + 1; a BYE ends the stream (default: true for RTP)' },
  ],
  create: (p) =>
    udpSrc({
      name: p.name,
      port: p.port,
      address: p.address,
      multicastGroup: p['multicast-group'],
      multicastIface: p['multicast-iface'],
      sdp: p.sdp,
      caps: p.caps,
      bufferSize: p['buffer-size'],
      maxPackets: p['max-packets'] || undefined,
      rtcp: p.rtcp,
    }),
};
