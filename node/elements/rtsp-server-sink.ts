import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import type { ElementEntry } from '../../operators/registry';
import { Caps } from '../../src/caps';
import { splitAnnexB } from '../../src/codecs/h264/nal';
import type { ElementContext, Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import { PacketFlags, type Packet } from '../../src/packet';
import { H264Payloader } from '../../src/rtp/h264-payloader';
import { RtcpSender } from '../../src/rtp/rtcp-sender';
import { profileLevelId, spropParameterSets } from '../../src/rtp/sdp';
import { RtspServerConnection } from '../../src/rtsp/server';
import type { TransportSpec } from '../../src/rtsp/transport';
import { nsToTicks, SECOND } from '../../src/time';

export interface RtspServerSinkOptions {
  name?: string;
  /** TCP port of the RTSP server (default 8554; 0 picks a free one, see onListening). */
  port?: number;
  /** Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). */
  address?: string;
  /** Mount path (default /stream). */
  mount?: string;
  /** Pace sending by pts on the pipeline clock (default true), as a live server must. */
  sync?: boolean;
  /** Hold the stream until the first client plays (default true): a file is not served to nobody. */
  waitForClient?: boolean;
  /** A session with no request (keep-alive) or RTCP from its client for this long (ns) is closed (default 60 s). */
  sessionTimeout?: number;
  /** RTP packet size (default 1400). */
  mtu?: number;
  onListening?: (info: { port: number; url: string }) => void;
}

const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
/** A TCP client this far behind (bytes queued) misses units until the next keyframe. */
const MAX_QUEUED = 4 * 1024 * 1024;

interface Client {
  readonly socket: Socket;
  readonly conn: RtspServerConnection;
  transport?: TransportSpec;
  /** Starts at a keyframe: nothing before it decodes. */
  waitingKey: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * An RTSP server for the H.264 stream that reaches it (gst-rtsp-server with one shared live mount): any
 * number of clients DESCRIBE, SETUP (TCP interleaved or UDP unicast) and PLAY; each gets RTP (RFC 6184,
 * parameter sets before every IDR) from the next keyframe on, and RTCP sender reports; a client that
 * falls behind skips to the next keyframe. At end-of-stream every client gets an RTCP BYE. The protocol
 * is the sans-IO RtspServerConnection; this file moves bytes.
 */
export function rtspServerSink(options: RtspServerSinkOptions = {}): Sink<Packet> {
  const port = options.port ?? 8554;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`rtspServerSink port must be in [0, 65535], got ${port}`);
  const mount = options.mount ?? '/stream';
  if (!/^\/[\w\-./]*$/.test(mount)) throw new RangeError(`rtspServerSink mount must be a path like /stream, got '${mount}'`);
  const st = options.sessionTimeout;
  if (st !== undefined && !(st >= SECOND && Number.isFinite(st))) throw new RangeError(`rtspServerSink sessionTimeout must be ≥ 1 s, got ${st} ns`);
  return defineSink<Packet>({
    factory: 'rtspServerSink',
    name: options.name,
    props: { port, address: options.address, mount, sync: options.sync, 'wait-for-client': options.waitForClient },
    sinkCaps: SINK_CAPS,
    sync: false,
    dropLate: false,
    open: (ctx) => openServer(ctx, options, port, mount),
  });
}

function openServer(ctx: ElementContext, options: RtspServerSinkOptions, port: number, mount: string): Writer<Packet> {
  const address = options.address ?? '127.0.0.1';
  const sync = options.sync ?? true;
  const waitForClient = options.waitForClient ?? true;
  const clock = ctx.clock;
  const pay = new H264Payloader({ mtu: options.mtu, configInterval: -1 });
  const rtcp = new RtcpSender({ cname: `g2g@${hostname()}`, interval: SECOND, clockRate: 90000 });
  const clients = new Set<Client>();
  let wake: (() => void) | undefined;
  let anchor: { t: number; at: number } | undefined;
  let lastTarget = -Infinity;
  let closed = false;
  /** A client has played: from then on the stream flows with or without clients, as a live one does. */
  let started = false;
  let udp: [UdpSocket, UdpSocket] | undefined;
  let udpPorts: [number, number] | undefined;
  const wallMs = () => performance.timeOrigin + performance.now();
  const mono = () => Math.round(performance.now() * 1e6);

  const sdp = (): string => {
    const fmtp = ['packetization-mode=1'];
    const pli = pay.sps && profileLevelId(pay.sps);
    if (pli) fmtp.push(`profile-level-id=${pli}`);
    const sets = [pay.sps, pay.pps].filter((x): x is Uint8Array => x !== undefined);
    if (sets.length) fmtp.push(`sprop-parameter-sets=${spropParameterSets(sets)}`);
    return ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=glass2glass', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=control:*', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', `a=fmtp:96 ${fmtp.join(';')}`, 'a=control:stream=0', ''].join('\r\n');
  };

  const drop = (c: Client, why: string): void => {
    if (!clients.delete(c)) return;
    if (c.timer) clearTimeout(c.timer);
    ctx.log('debug', `client ${c.socket.remoteAddress}:${c.socket.remotePort} gone: ${why}`);
    c.socket.destroy();
  };

  const flush = (c: Client): void => {
    for (let b = c.conn.pollTransmit(); b; b = c.conn.pollTransmit()) c.socket.write(b);
    for (let e = c.conn.nextEvent(); e; e = c.conn.nextEvent()) {
      if (e.type === 'play') {
        c.transport = e.transport;
        c.waitingKey = true;
        ctx.log('info', `client ${c.socket.remoteAddress} playing over ${e.transport.protocol}`);
        wake?.();
      } else if (e.type === 'teardown') c.transport = undefined;
      else return drop(c, e.reason);
    }
    if (c.timer) clearTimeout(c.timer);
    const t = c.conn.pollTimeout();
    if (t !== undefined) {
      c.timer = setTimeout(() => (c.conn.handleTimeout(mono()), flush(c)), Math.max(0, (t - mono()) / 1e6));
      c.timer.unref?.();
    }
  };

  const bindUdp = async (): Promise<void> => {
    for (let i = 0; i < 20 && !udp; i++) {
      const p = 2 * Math.floor(15000 + Math.random() * 15000);
      const a = createSocket('udp4');
      const b = createSocket('udp4');
      a.on('error', () => undefined);
      b.on('error', () => undefined);
      try {
        await new Promise<void>((res, rej) => (a.once('error', rej), a.bind({ port: p, address, exclusive: true }, () => res())));
        await new Promise<void>((res, rej) => (b.once('error', rej), b.bind({ port: p + 1, address, exclusive: true }, () => res())));
        // Receiver reports keep a UDP client's session alive.
        b.on('message', (_m, r) => {
          for (const c of clients) if (c.socket.remoteAddress === r.address && c.transport?.clientPort?.[1] === r.port) c.conn.noteActivity(mono());
        });
        udp = [a, b];
        udpPorts = [p, p + 1];
      } catch {
        a.close();
        try {
          b.close();
        } catch {
          // Never bound.
        }
      }
    }
  };

  let server: Server | undefined;
  const listening = (async () => {
    await bindUdp();
    server = createServer((socket) => {
      if (closed) return void socket.destroy();
      socket.setNoDelay(true);
      const conn = new RtspServerConnection({ path: mount, sdp, serverPorts: udpPorts, sessionTimeout: options.sessionTimeout });
      const c: Client = { socket, conn, waitingKey: true };
      clients.add(c);
      socket.on('data', (d: Buffer) => {
        conn.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), mono());
        flush(c);
      });
      socket.on('error', () => drop(c, 'socket error'));
      socket.on('close', () => drop(c, 'closed'));
    });
    await new Promise<void>((res, rej) => {
      server!.once('error', rej);
      server!.listen({ port, host: address }, () => res());
    });
    const bound = (server.address() as { port: number }).port;
    const url = `rtsp://${address === '0.0.0.0' ? '127.0.0.1' : address}:${bound}${mount}`;
    ctx.log('info', `serving ${url}`);
    options.onListening?.({ port: bound, url });
  })();
  listening.catch(() => undefined);

  const playing = (): Client[] => [...clients].filter((c) => c.transport && c.conn.isPlaying);

  const sendTo = (c: Client, kind: 'rtp' | 'rtcp', d: Uint8Array): void => {
    const t = c.transport!;
    if (t.interleaved) c.socket.write(c.conn.interleave(kind, d));
    else if (t.clientPort && udp) udp[kind === 'rtp' ? 0 : 1].send(d, t.clientPort[kind === 'rtp' ? 0 : 1], c.socket.remoteAddress);
  };

  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    wake?.();
    await listening.catch(() => undefined);
    for (const c of [...clients]) drop(c, 'server closing');
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (udp) for (const s of udp) await new Promise<void>((r) => s.close(() => r()));
  };

  return {
    async write(p, signal) {
      await listening;
      if (waitForClient && !started) {
        while (playing().length === 0 && !closed) {
          await new Promise<void>((resolve, reject) => {
            wake = resolve;
            signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          });
          wake = undefined;
        }
        started = true;
      }
      const m = p.memory;
      if (m.domain !== 'cpu') throw new TypeError('rtspServerSink takes H.264 in CPU memory');
      const t = p.pts ?? p.dts;
      if (sync && t !== undefined) {
        const now = clock.now();
        if (!anchor || p.flags & PacketFlags.DISCONT) anchor = { t, at: now };
        const target = anchor.at + (t - anchor.t);
        if (target > lastTarget) lastTarget = target;
        if (lastTarget > now) await clock.sleepUntil(lastTarget, signal);
      }
      const out: Uint8Array[] = [];
      pay.push(splitAnnexB(m.data), nsToTicks(t ?? 0, 90000) % 0x1_0000_0000, t, out);
      const key = (p.flags & PacketFlags.KEYFRAME) !== 0;
      const now = clock.now();
      for (const d of out) rtcp.sent(d, now);
      const report = rtcp.due(now) ? rtcp.report(now, wallMs()) : undefined;
      for (const c of playing()) {
        if (c.waitingKey) {
          if (!key) continue;
          c.waitingKey = false;
        }
        if (c.transport!.interleaved && c.socket.writableLength > MAX_QUEUED) {
          // Too slow a reader: skip to the next keyframe rather than queue without bound.
          c.waitingKey = true;
          ctx.report.drop('overflow');
          continue;
        }
        for (const d of out) sendTo(c, 'rtp', d);
        if (report) sendTo(c, 'rtcp', report);
      }
    },
    async end() {
      // Over UDP, RTCP travels apart from RTP: a BYE sent at once can overtake the last datagrams.
      await new Promise((r) => setTimeout(r, 100));
      const bye = rtcp.report(clock.now(), wallMs(), true);
      if (bye) for (const c of playing()) sendTo(c, 'rtcp', bye);
      // Let the BYE leave before the sockets close.
      await new Promise((r) => setTimeout(r, 50));
      await shutdown();
    },
    close: shutdown,
  };
}

export const rtspServerSinkEntry: ElementEntry = {
  name: 'rtspServerSink',
  kind: 'sink',
  description: 'Serves the H.264 stream over RTSP (RTP over TCP or UDP) to any number of clients (gst-rtsp-server, one live mount)',
  caps: { sink: SINK_CAPS.toString() },
  properties: [
    { name: 'port', type: 'uint', default: 8554, description: 'TCP port of the RTSP server' },
    { name: 'address', type: 'string', default: '127.0.0.1', description: 'Address to listen on (0.0.0.0: every interface)' },
    { name: 'mount', type: 'string', default: '/stream', description: 'Mount path' },
    { name: 'sync', type: 'boolean', default: true, description: 'Pace sending by pts' },
    { name: 'wait-for-client', type: 'boolean', default: true, description: 'Hold the stream until the first client plays' },
  ],
  create: (p) => rtspServerSink({ name: p.name, port: p.port, address: p.address, mount: p.mount, sync: p.sync, waitForClient: p['wait-for-client'] }),
};
