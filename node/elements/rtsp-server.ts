import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Caps } from '../../src/caps';
import { serializeResponse } from '../../src/rtsp/message';
import {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_SESSION_TIMEOUT,
  RtspServerConnection,
  RtspServerError,
  type RtspServerTimeout,
} from '../../src/rtsp/server';
import { RtspServerAuth, type RtspServerAuthOptions } from '../../src/rtsp/server-auth';
import type { TransportSpec } from '../../src/rtsp/transport';
import { MILLISECOND, SECOND } from '../../src/time';
import { AudioTrack, mountSdp, VideoTrack, type MountTrack } from './rtsp-server/tracks';
import { trackKey } from '../../operators/track-key';

/** Where an RtspServer and its mounts report connections, sessions and problems. */
export type RtspServerLog = (level: 'debug' | 'info' | 'warn', message: string) => void;

export interface RtspServerOptions {
  /** TCP port (default 8554; 0 picks a free one, see `listen()`). */
  port?: number;
  /** Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface). */
  address?: string;
  /** Users allowed on every mount (a mount may have its own); none: anyone may play. */
  auth?: RtspServerAuthOptions | RtspServerAuth;
  /** A session with no request (keep-alive) or RTCP from its client for this long (ns) is closed (default 60 s). */
  sessionTimeout?: number;
  /**
   * A request must arrive whole this long (ns) after its first byte, a new connection's first request this
   * long after it connected; else 408 and the connection closes (default 20 s; 0: no limit): slowloris holds no socket.
   */
  requestTimeout?: number;
  /** A connection with no session and no request for this long (ns) is closed (default 60 s; 0: never). */
  idleTimeout?: number;
  /** Open client connections at most; a connection beyond is answered 503 and closed (default 512; 0: no limit). */
  maxConnections?: number;
  /** Called once listening, with the server's base URL (`rtsp://127.0.0.1:8554`). */
  onListening?: (info: { port: number; url: string }) => void;
  log?: RtspServerLog;
}

export interface RtspMountOptions {
  /** RTP packet size (default 1400). */
  mtu?: number;
  /** This mount's users instead of the server's. */
  auth?: RtspServerAuthOptions | RtspServerAuth;
  log?: RtspServerLog;
  /** A slow TCP client skipped units (it resumes at the next keyframe). */
  onDrop?: () => void;
}

/** nginx's worker_connections default: plenty for one process's fan-out, far below common fd limits. */
export const DEFAULT_MAX_CONNECTIONS = 512;
export { DEFAULT_IDLE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SESSION_TIMEOUT };
/** Refused connections waiting for the client to read its 503 at most; beyond, they are closed at once. */
export const MAX_REFUSING = 64;
/** How long a refused connection waits for the client to close after its 503. */
const REFUSE_LINGER_MS = 1000;
/** setTimeout's longest delay: a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A TCP client this far behind (bytes queued) misses units until the next keyframe. */
const MAX_QUEUED = 4 * 1024 * 1024;
const PATH = /^\/[\w\-./]*$/;

/** A client connection of an RtspServer. */
export interface RtspServerClient {
  readonly socket: Socket;
  readonly conn: RtspServerConnection;
  /** Each stream the client set up (index of `stream=N`) and its transport. */
  transports?: ReadonlyMap<number, TransportSpec>;
  mount?: RtspMount;
  /** Video starts at a keyframe: nothing before it decodes. */
  waitingKey: boolean;
  /** Audio streams that have sent the client their first packet (with a sender report). */
  started?: Set<number>;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Client addresses are IP literals (the RTSP connection's peer): answered at once, not through
 * dns.lookup's next tick and async bookkeeping per datagram, so that each send goes out synchronously.
 */
const ipLookup = (host: string, family: unknown, cb: (e: NodeJS.ErrnoException | null, address: string, family: number) => void): void => {
  const f = isIP(host);
  if (f) cb(null, host, f);
  else dnsLookup(host, family as never, cb as never);
};

const mono = (): number => Math.round(performance.now() * 1e6);
const wallMs = (): number => performance.timeOrigin + performance.now();
const toAuth = (a: RtspServerAuthOptions | RtspServerAuth | undefined): RtspServerAuth | undefined =>
  a === undefined || a instanceof RtspServerAuth ? a : new RtspServerAuth(a);

/** An SR (if any) and the unit's RTP packets framed for a stream's interleaved channels, in one buffer. */
function interleaveAll(channels: readonly [number, number], rtcp: Uint8Array | undefined, rtp: readonly Uint8Array[]): Uint8Array {
  const [rtpCh, rtcpCh] = channels;
  let size = rtcp ? 4 + rtcp.length : 0;
  for (const d of rtp) size += 4 + d.length;
  const buf = Buffer.allocUnsafe(size);
  let o = 0;
  const put = (ch: number, d: Uint8Array): void => {
    buf[o] = 0x24;
    buf[o + 1] = ch;
    buf[o + 2] = d.length >>> 8;
    buf[o + 3] = d.length & 0xff;
    buf.set(d, o + 4);
    o += 4 + d.length;
  };
  if (rtcp) put(rtcpCh, rtcp);
  for (const d of rtp) put(rtpCh, d);
  return buf;
}

/** Whether `port` is the client's RTCP port of one of its streams. */
function fromClientRtcp(c: RtspServerClient, port: number): boolean {
  if (c.transports) for (const t of c.transports.values()) if (t.clientPort?.[1] === port) return true;
  return false;
}

/** Validates a mount path: `/live`, `/cams/1`. */
export function checkMountPath(path: string, what = 'mount path'): string {
  if (typeof path !== 'string' || !PATH.test(path) || /\/stream=\d+$/.test(path))
    throw new RtspServerError(`${what} must be a path like /stream, got '${String(path)}'`);
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/**
 * One served stream at a path of an RtspServer: H.264 access units (and AAC or Opus frames, each track a
 * stream of the session) in, RTP (RFC 6184, parameter sets before every IDR; RFC 3640, RFC 7587) out to
 * every client playing it, video from its next keyframe, with RTCP sender reports per stream.
 */
export class RtspMount {
  /** @internal Clients playing this mount (the server adds and drops them). */
  readonly players = new Set<RtspServerClient>();
  readonly auth: RtspServerAuth | undefined;
  /** The mount's streams in SDP order: one H.264 stream until `setTracks` says otherwise. */
  private tracks: MountTrack[];
  /** The track of each Caps object seen (a multi-track stream reuses one object per track). */
  private readonly trackByCaps = new Map<Caps, number>();
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(private readonly server: RtspServer, readonly path: string, private readonly options: RtspMountOptions) {
    this.tracks = [new VideoTrack(options.mtu)];
    this.auth = toAuth(options.auth);
  }

  /**
   * The mount's streams, from each one's caps (H.264, AAC, Opus), before clients describe it: a client
   * that played before keeps the streams it set up. Throws RtspServerError for a format it cannot send.
   */
  setTracks(list: readonly Caps[]): void {
    this.tracks = list.map((c) => {
      if (c.structures[0]?.name === 'video/x-h264') {
        const v = new VideoTrack(this.options.mtu, list.length > 1 ? trackKey(c) : undefined);
        v.configure(c);
        return v;
      }
      const a = AudioTrack.from(c, this.options.mtu);
      if (!a) throw new RtspServerError(`rtspServerSink cannot send ${c.toString()} over RTP (H.264, AAC with codec_data, or Opus)`);
      return a;
    });
    this.trackByCaps.clear();
  }

  /** The mount's SDP; H.264 parameter sets once the stream has shown them. */
  readonly sdp = (): string => mountSdp(this.tracks);

  /** How many streams the session offers. */
  readonly streams = (): number => this.tracks.length;

  /** The track packets with these caps go to (the first track when none is given). */
  private trackOf(c: Caps | undefined): number {
    if (c === undefined || this.tracks.length === 1) return 0;
    const known = this.trackByCaps.get(c);
    if (known !== undefined) return known;
    const i = this.tracks.findIndex((t) => t.matches(c));
    if (i < 0) throw new RtspServerError(`rtspServerSink: ${c.toString()} is none of the mount's streams (a new track after clients described it)`);
    // Bounded: a stream that made a new Caps object per packet would only refill it.
    if (this.trackByCaps.size >= 64) this.trackByCaps.clear();
    this.trackByCaps.set(c, i);
    return i;
  }

  get url(): string {
    return this.server.urlOf(this.path);
  }

  log(level: 'debug' | 'info' | 'warn', message: string): void {
    (this.options.log ?? this.server.log)(level, message);
  }

  /** @internal A client started playing. */
  added(c: RtspServerClient): void {
    c.waitingKey = true;
    this.players.add(c);
    this.wake?.();
  }

  /** Resolves once a client plays this mount (or the mount ends). */
  async waitForPlayer(signal: AbortSignal): Promise<void> {
    while (this.players.size === 0 && !this.ended) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(signal.reason);
        this.wake = () => (signal.removeEventListener('abort', abort), resolve());
        signal.addEventListener('abort', abort, { once: true });
      });
      this.wake = undefined;
    }
  }

  /**
   * Sends one Annex B access unit (pts in ns) to every player, at clock time `now`. `capture` is the clock
   * time the unit's content was captured at (its meta.captureTime, else when its pts falls on the clock):
   * sender reports map RTP time to it, so that clients derive capture times, not send times.
   */
  send(data: Uint8Array, pts: number | undefined, keyframe: boolean, now: number, capture?: number, caps?: Caps): void {
    if (this.ended) return;
    const index = this.trackOf(caps);
    const track = this.tracks[index];
    const rtcp = track.rtcp;
    // Length-prefixed H.264 is split by its avcC's length size, its parameter sets sent before IDRs.
    if (caps) track.configure?.(caps);
    const out: Uint8Array[] = [];
    const ts = track.packetize(data, pts, out);
    for (const d of out) rtcp.sent(d, now);
    if (capture !== undefined) rtcp.captured(ts, capture);
    // The SR goes before the unit's RTP, and to each client as it starts: its first unit is then mapped.
    let report = rtcp.due(now) ? rtcp.report(now, wallMs()) : undefined;
    const video = track.kind === 'video';
    for (const c of this.players) {
      const t = c.transports?.get(index);
      if (!t || !c.conn.isPlaying) continue;
      let sr = report;
      if (video ? c.waitingKey : !(c.started ??= new Set()).has(index)) {
        if (video && !keyframe) continue;
        if (video) c.waitingKey = false;
        else c.started!.add(index);
        sr = report ??= rtcp.report(now, wallMs());
      }
      if (t.interleaved) {
        if (c.socket.writableLength > MAX_QUEUED) {
          // Too slow a reader: skip to the next keyframe rather than queue without bound.
          if (video) c.waitingKey = true;
          this.options.onDrop?.();
          continue;
        }
        // One write (one syscall) for the whole unit, not one per packet.
        c.socket.write(interleaveAll(t.interleaved, sr, out));
      } else {
        if (sr) this.server.sendTo(c, 'rtcp', sr, index);
        for (const d of out) this.server.sendTo(c, 'rtp', d, index);
      }
    }
  }

  /** End of stream: an RTCP BYE to every player, their connections closed, the path free again. */
  async end(now: number): Promise<void> {
    if (this.ended) return;
    // Over UDP, RTCP travels apart from RTP: a BYE sent at once can overtake the last datagrams.
    await new Promise((r) => setTimeout(r, 100));
    this.tracks.forEach((track, index) => {
      const bye = track.rtcp.report(now, wallMs(), true);
      if (bye) for (const c of this.players) if (c.conn.isPlaying) this.server.sendTo(c, 'rtcp', bye, index);
    });
    // Let the BYE leave before the sockets close.
    await new Promise((r) => setTimeout(r, 50));
    this.detach('stream ended');
  }

  /** Leaves the server at once (abort): players are disconnected. */
  detach(why = 'mount removed'): void {
    if (this.ended) return;
    this.ended = true;
    this.wake?.();
    this.server.unmount(this, why);
  }
}

/**
 * An RTSP server (gst-rtsp-server's role): one TCP port, any number of mounts (`mount(path)`, usually by
 * rtspServerSink({server, path})), each played by any number of clients over TCP interleaved or UDP
 * unicast, optionally behind Basic/Digest authentication, per server or per mount. Unknown paths answer
 * 404. The protocol is the sans-IO RtspServerConnection; this class moves bytes.
 */
export class RtspServer {
  readonly port: number;
  readonly address: string;
  readonly auth: RtspServerAuth | undefined;
  readonly log: RtspServerLog;
  private readonly mounts = new Map<string, RtspMount>();
  private readonly clients = new Set<RtspServerClient>();
  /** Refused sockets, closing once the client has read its 503. */
  private readonly refusing = new Set<Socket>();
  private readonly requestTimeout: number;
  private readonly idleTimeout: number;
  private readonly maxConnections: number;
  /** Refusing since the last warning: one warning per flood, until the connections fall to half the limit. */
  private full = false;
  private server: Server | undefined;
  private udp: [UdpSocket, UdpSocket] | undefined;
  private udpPorts: [number, number] | undefined;
  private listening: Promise<{ port: number; url: string }> | undefined;
  private bound: number | undefined;
  private closed = false;
  /**
   * Clients authenticated per scheme, requests refused for wrong credentials (not for none); connections
   * accepted, refused at the connection limit, closed by each timeout; the most sockets open at once
   * (refused ones still closing included).
   */
  readonly counters = {
    basic: 0,
    digest: 0,
    denied: 0,
    accepted: 0,
    refused: 0,
    requestTimeouts: 0,
    idleTimeouts: 0,
    sessionTimeouts: 0,
    peakSockets: 0,
  };

  constructor(private readonly options: RtspServerOptions = {}) {
    const port = options.port ?? 8554;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RtspServerError(`rtspServer port must be in [0, 65535], got ${port}`);
    this.port = port;
    this.address = options.address ?? '127.0.0.1';
    const st = options.sessionTimeout;
    if (st !== undefined && !(st >= SECOND && Number.isFinite(st))) throw new RtspServerError(`rtspServer sessionTimeout must be ≥ 1 s, got ${st} ns`);
    const timeout = (name: string, v: number | undefined, def: number): number => {
      if (v === undefined) return def;
      if (!(v >= 0 && Number.isFinite(v))) throw new RtspServerError(`rtspServer ${name} must be ≥ 0 ns (0: none), got ${v}`);
      return v;
    };
    this.requestTimeout = timeout('requestTimeout', options.requestTimeout, DEFAULT_REQUEST_TIMEOUT);
    this.idleTimeout = timeout('idleTimeout', options.idleTimeout, DEFAULT_IDLE_TIMEOUT);
    const max = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isSafeInteger(max) || max < 0) throw new RtspServerError(`rtspServer maxConnections must be an integer ≥ 0 (0: no limit), got ${max}`);
    this.maxConnections = max;
    this.auth = toAuth(options.auth);
    this.log = options.log ?? (() => undefined);
  }

  /** The base URL, once listening (`rtsp://127.0.0.1:8554`). */
  get url(): string | undefined {
    return this.bound === undefined ? undefined : `rtsp://${this.address === '0.0.0.0' ? '127.0.0.1' : this.address}:${this.bound}`;
  }

  urlOf(path: string): string {
    if (this.url === undefined) throw new RtspServerError('rtspServer is not listening yet');
    return this.url + path;
  }

  /** Client connections open now (refused ones still closing not included). */
  get connections(): number {
    return this.clients.size;
  }

  /** Every socket the server holds open for clients: connections, and refused ones still closing. */
  get openSockets(): number {
    return this.clients.size + this.refusing.size;
  }

  /** Paths mounted now. */
  get paths(): string[] {
    return [...this.mounts.keys()];
  }

  /** Serves a stream at `path`; the path must be free. */
  mount(path: string, options: RtspMountOptions = {}): RtspMount {
    if (this.closed) throw new RtspServerError('rtspServer is closed');
    const p = checkMountPath(path);
    if (this.mounts.has(p)) throw new RtspServerError(`rtspServer already serves ${p}`);
    const m = new RtspMount(this, p, options);
    this.mounts.set(p, m);
    return m;
  }

  /** @internal */
  unmount(m: RtspMount, why: string): void {
    if (this.mounts.get(m.path) === m) this.mounts.delete(m.path);
    for (const c of [...m.players]) this.drop(c, why);
  }

  /** Binds the ports (once; later calls return the same). */
  listen(): Promise<{ port: number; url: string }> {
    this.listening ??= this.start();
    return this.listening;
  }

  private async start(): Promise<{ port: number; url: string }> {
    await this.bindUdp();
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen({ port: this.port, host: this.address }, () => res());
    });
    this.bound = (server.address() as { port: number }).port;
    const info = { port: this.bound, url: this.url! };
    this.log('info', `RTSP server on ${info.url}`);
    this.options.onListening?.(info);
    return info;
  }

  private accept(socket: Socket): void {
    if (this.closed) return void socket.destroy();
    if (this.maxConnections > 0 && this.clients.size >= this.maxConnections) return this.refuse(socket);
    socket.setNoDelay(true);
    const conn = new RtspServerConnection({
      mounts: (p) => this.mounts.get(p === '' ? '/' : p),
      auth: this.auth,
      serverPorts: this.udpPorts,
      sessionTimeout: this.options.sessionTimeout,
      requestTimeout: this.requestTimeout,
      idleTimeout: this.idleTimeout,
      now: mono(),
    });
    const c: RtspServerClient = { socket, conn, waitingKey: true };
    this.clients.add(c);
    this.counters.accepted++;
    this.counters.peakSockets = Math.max(this.counters.peakSockets, this.openSockets);
    socket.on('data', (d: Buffer) => {
      conn.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), mono());
      this.flush(c);
    });
    socket.on('error', () => this.drop(c, 'socket error'));
    socket.on('close', () => this.drop(c, 'closed'));
    // Arms the first request's timeout.
    this.flush(c);
  }

  /**
   * Over the connection limit: 503 (no request read yet, so no CSeq to echo), then FIN. What the client sends
   * meanwhile is read and dropped, so that closing sends no RST that could discard the answer; the socket
   * closes when the client does, or after REFUSE_LINGER_MS. Beyond MAX_REFUSING such sockets, at once.
   */
  private refuse(socket: Socket): void {
    this.counters.refused++;
    if (!this.full) {
      this.full = true;
      this.log('warn', `connection limit (${this.maxConnections}) reached: refusing new connections`);
    }
    this.log('debug', `client ${socket.remoteAddress}:${socket.remotePort} refused: connection limit`);
    socket.on('error', () => undefined);
    if (this.refusing.size >= MAX_REFUSING) return void socket.destroy();
    this.refusing.add(socket);
    this.counters.peakSockets = Math.max(this.counters.peakSockets, this.openSockets);
    const linger = setTimeout(() => socket.destroy(), REFUSE_LINGER_MS);
    linger.unref?.();
    socket.once('close', () => (clearTimeout(linger), this.refusing.delete(socket)));
    socket.end(
      serializeResponse(503, 'Service Unavailable', [
        ['Server', 'glass2glass'],
        ['Connection', 'close'],
      ])
    );
    socket.resume();
  }

  private flush(c: RtspServerClient): void {
    for (let b = c.conn.pollTransmit(); b; b = c.conn.pollTransmit()) c.socket.write(b);
    for (let e = c.conn.nextEvent(); e; e = c.conn.nextEvent()) {
      if (e.type === 'play') {
        const m = this.mounts.get(e.path === '' ? '/' : e.path);
        if (!m) return this.drop(c, `mount ${e.path} went away`);
        c.mount?.players.delete(c);
        c.transports = e.transports;
        c.started = undefined;
        c.mount = m;
        m.added(c);
        m.log('info', `client ${c.socket.remoteAddress} playing ${m.path} over ${e.transport.protocol}`);
      } else if (e.type === 'auth') {
        if (e.ok) this.counters[e.method!]++;
        else this.counters.denied++;
        this.log(
          e.ok ? 'debug' : 'info',
          e.ok ? `client ${c.socket.remoteAddress} authenticated as ${e.user} (${e.method})` : `client ${c.socket.remoteAddress} refused: ${e.reason}`
        );
      } else if (e.type === 'teardown') {
        c.mount?.players.delete(c);
        c.mount = undefined;
        c.transports = undefined;
      } else {
        if (e.timeout) this.counted(e.timeout);
        return this.drop(c, e.reason);
      }
    }
    if (c.timer) clearTimeout(c.timer);
    const t = c.conn.pollTimeout();
    if (t !== undefined) {
      c.timer = setTimeout(() => (c.conn.handleTimeout(mono()), this.flush(c)), Math.min(MAX_TIMER_MS, Math.max(0, (t - mono()) / MILLISECOND)));
      c.timer.unref?.();
    }
  }

  private counted(timeout: RtspServerTimeout): void {
    if (timeout === 'request') this.counters.requestTimeouts++;
    else if (timeout === 'idle') this.counters.idleTimeouts++;
    else this.counters.sessionTimeouts++;
  }

  private drop(c: RtspServerClient, why: string): void {
    if (!this.clients.delete(c)) return;
    if (this.clients.size <= this.maxConnections / 2) this.full = false;
    c.mount?.players.delete(c);
    if (c.timer) clearTimeout(c.timer);
    this.log('debug', `client ${c.socket.remoteAddress}:${c.socket.remotePort} gone: ${why}`);
    c.socket.destroy();
  }

  /** @internal RTP or RTCP of a stream (default the first) to a playing client, on that stream's transport. */
  sendTo(c: RtspServerClient, kind: 'rtp' | 'rtcp', d: Uint8Array, stream = 0): void {
    const t = c.transports?.get(stream);
    if (!t) return;
    if (t.interleaved) c.socket.write(c.conn.interleave(kind, d, stream));
    else if (t.clientPort && this.udp) this.udp[kind === 'rtp' ? 0 : 1].send(d, t.clientPort[kind === 'rtp' ? 0 : 1], c.socket.remoteAddress);
  }

  private async bindUdp(): Promise<void> {
    for (let i = 0; i < 20 && !this.udp; i++) {
      const p = 2 * Math.floor(15000 + Math.random() * 15000);
      const a = createSocket({ type: 'udp4', lookup: ipLookup as never });
      const b = createSocket({ type: 'udp4', lookup: ipLookup as never });
      a.on('error', () => undefined);
      b.on('error', () => undefined);
      try {
        await new Promise<void>((res, rej) => (a.once('error', rej), a.bind({ port: p, address: this.address, exclusive: true }, () => res())));
        await new Promise<void>((res, rej) => (b.once('error', rej), b.bind({ port: p + 1, address: this.address, exclusive: true }, () => res())));
        // Receiver reports keep a UDP client's session alive.
        b.on('message', (_m, r) => {
          for (const c of this.clients) if (c.socket.remoteAddress === r.address && fromClientRtcp(c, r.port)) c.conn.noteActivity(mono());
        });
        this.udp = [a, b];
        this.udpPorts = [p, p + 1];
      } catch {
        a.close();
        try {
          b.close();
        } catch {
          // Never bound.
        }
      }
    }
  }

  /** Disconnects every client and frees the ports; mounts are gone with it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const m of [...this.mounts.values()]) m.detach('server closing');
    await this.listening?.catch(() => undefined);
    for (const c of [...this.clients]) this.drop(c, 'server closing');
    for (const s of [...this.refusing]) s.destroy();
    const server = this.server;
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (this.udp) for (const s of this.udp) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** An RTSP server that rtspServerSink({server, path}) elements mount their streams on. */
export function rtspServer(options: RtspServerOptions = {}): RtspServer {
  return new RtspServer(options);
}
