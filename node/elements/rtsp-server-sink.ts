import type { ElementEntry } from '../../operators/registry';
import { Caps } from '../../src/caps';
import type { ElementContext, Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import { PacketFlags, type Packet } from '../../src/packet';
import { RtspServerAuth, type RtspServerAuthOptions } from '../../src/rtsp/server-auth';
import { checkMountPath, RtspServer, type RtspMount } from './rtsp-server';

// The shared server comes with the sink (node/index.ts exports this module).
export { RtspMount, RtspServer, rtspServer, type RtspMountOptions, type RtspServerOptions } from './rtsp-server';

export interface RtspServerSinkOptions {
  name?: string;
  /** Mount on this shared server (several sinks, several paths, one port); port/address/sessionTimeout are its. */
  server?: RtspServer;
  /** TCP port of the sink's own server (default 8554; 0 picks a free one, see onListening). */
  port?: number;
  /** Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). */
  address?: string;
  /** Mount path (default /stream). */
  path?: string;
  /** Same as `path` (the older name). */
  mount?: string;
  /** Users allowed to play: the sink's own server's, or this mount's on a shared server. */
  auth?: RtspServerAuthOptions | RtspServerAuth;
  /** Pace sending by pts on the pipeline clock (default true), as a live server must. */
  sync?: boolean;
  /** Hold the stream until the first client plays (default true): a file is not served to nobody. */
  waitForClient?: boolean;
  /** A session with no request (keep-alive) or RTCP from its client for this long (ns) is closed (default 60 s). */
  sessionTimeout?: number;
  /** RTP packet size (default 1400). */
  mtu?: number;
  /** Called once the mount is served, with its URL. */
  onListening?: (info: { port: number; url: string }) => void;
  /**
   * Called after each unit went out to every player, with its pts and the clock times its sending (RTP
   * payloading, RTCP, socket writes) started and ended: latency attribution for benches and traces.
   */
  onSent?: (info: { pts: number | undefined; start: number; end: number }) => void;
}

const SINK_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');

/**
 * Serves the H.264 stream that reaches it over RTSP (gst-rtsp-server with a shared live mount): any number
 * of clients DESCRIBE, SETUP (TCP interleaved or UDP unicast) and PLAY; each gets RTP (RFC 6184, parameter
 * sets before every IDR) from the next keyframe on, and RTCP sender reports; a client that falls behind
 * skips to the next keyframe. At end-of-stream every client gets an RTCP BYE. Alone it runs its own server
 * (one port, one mount); with `server` it is one mount among several of an rtspServer.
 */
export function rtspServerSink(options: RtspServerSinkOptions = {}): Sink<Packet> {
  const port = options.port ?? 8554;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`rtspServerSink port must be in [0, 65535], got ${port}`);
  if (options.path !== undefined && options.mount !== undefined && options.path !== options.mount) throw new RangeError('rtspServerSink: give path or mount, not both');
  const mount = checkMountPath(options.path ?? options.mount ?? '/stream', 'rtspServerSink path');
  const st = options.sessionTimeout;
  if (st !== undefined && !(st >= 1e9 && Number.isFinite(st))) throw new RangeError(`rtspServerSink sessionTimeout must be ≥ 1 s, got ${st} ns`);
  if (options.server !== undefined && !(options.server instanceof RtspServer)) throw new TypeError('rtspServerSink server must come from rtspServer()');
  // Built here so that bad users fail when the pipeline is built, not when it starts.
  const auth = options.auth === undefined || options.auth instanceof RtspServerAuth ? options.auth : new RtspServerAuth(options.auth);
  const users = auth?.userNames.join(',');
  return defineSink<Packet>({
    factory: 'rtspServerSink',
    name: options.name,
    // Never the passwords: props are printed by toString() and stats.
    props: options.server ? { path: mount, sync: options.sync, 'wait-for-client': options.waitForClient, 'user-id': users } : { port, address: options.address, path: mount, sync: options.sync, 'wait-for-client': options.waitForClient, 'user-id': users },
    sinkCaps: SINK_CAPS,
    sync: false,
    dropLate: false,
    open: (ctx) => openSink(ctx, { ...options, auth }, port, mount),
  });
}

function openSink(ctx: ElementContext, options: RtspServerSinkOptions, port: number, path: string): Writer<Packet> {
  const sync = options.sync ?? true;
  const waitForClient = options.waitForClient ?? true;
  const clock = ctx.clock;
  const log = (level: 'debug' | 'info' | 'warn', m: string) => ctx.log(level, m);
  const own = options.server === undefined;
  const server = options.server ?? new RtspServer({ port, address: options.address, auth: options.auth, sessionTimeout: options.sessionTimeout, log });
  let served: RtspMount;
  try {
    served = server.mount(path, { mtu: options.mtu, auth: own ? undefined : options.auth, log, onDrop: () => ctx.report.drop('overflow') });
  } catch (e) {
    if (own) void server.close();
    throw e;
  }
  let anchor: { t: number; at: number } | undefined;
  let lastTarget = -Infinity;
  let closed = false;
  /** A client has played: from then on the stream flows with or without clients, as a live one does. */
  let started = false;
  const listening = server.listen().then((info) => {
    const url = server.urlOf(path);
    ctx.log('info', `serving ${url}`);
    options.onListening?.({ port: info.port, url });
  });
  listening.catch(() => undefined);

  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    served.detach('server closing');
    if (own) await server.close();
  };

  return {
    async write(p, signal) {
      await listening;
      if (waitForClient && !started) {
        await served.waitForPlayer(signal);
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
      // When the unit was captured, for the sender reports: a live source's stamp; else the clock time its
      // pts stands for (the pacing anchor, or running time since the pipeline's base time).
      const capture = p.meta.captureTime ?? (t === undefined ? undefined : anchor ? anchor.at + (t - anchor.t) : ctx.baseTime + t);
      const start = clock.now();
      served.send(m.data, t, (p.flags & PacketFlags.KEYFRAME) !== 0, start, capture);
      options.onSent?.({ pts: t, start, end: clock.now() });
    },
    async end() {
      await listening.catch(() => undefined);
      await served.end(clock.now());
      await shutdown();
    },
    close: shutdown,
  };
}

export const rtspServerSinkEntry: ElementEntry = {
  name: 'rtspServerSink',
  kind: 'sink',
  description: 'Serves the H.264 stream over RTSP (RTP over TCP or UDP) to any number of clients, optionally with Basic/Digest auth (gst-rtsp-server, one live mount)',
  caps: { sink: SINK_CAPS.toString() },
  properties: [
    { name: 'port', type: 'uint', default: 8554, description: 'TCP port of the RTSP server' },
    { name: 'address', type: 'string', default: '127.0.0.1', description: 'Address to listen on (0.0.0.0: every interface)' },
    { name: 'path', type: 'string', default: '/stream', description: 'Mount path' },
    { name: 'mount', type: 'string', default: '/stream', description: 'Mount path (the older name of path)' },
    { name: 'user-id', type: 'string', description: 'User name clients must authenticate as (with user-pw)' },
    { name: 'user-pw', type: 'string', description: 'Password of user-id (never printed)' },
    { name: 'sync', type: 'boolean', default: true, description: 'Pace sending by pts' },
    { name: 'wait-for-client', type: 'boolean', default: true, description: 'Hold the stream until the first client plays' },
  ],
  create: (p) => {
    if ((p['user-id'] === undefined) !== (p['user-pw'] === undefined)) throw new RangeError('rtspServerSink: user-id and user-pw go together');
    const auth = p['user-id'] !== undefined ? { users: { user: p['user-id'] as string, password: p['user-pw'] as string } } : undefined;
    return rtspServerSink({ name: p.name, port: p.port, address: p.address, path: p.path, mount: p.mount, auth, sync: p.sync, waitForClient: p['wait-for-client'] });
  },
};
