import { Caps } from '../../src/caps';
import { defineElement, MissingPropertyError, prop, type SettingsOf } from '../../src/descriptor';
import type { ElementContext, Writer } from '../../src/element';
import { defineSink, type Sink } from '../../src/operator';
import { PacketFlags, type Packet } from '../../src/packet';
import { MIN_MTU } from '../../src/rtp/h264-payloader';
import { MAX_RTP_PACKET } from '../../src/rtp/rtp-packet';
import { RtspServerAuth, type RtspServerAuthOptions } from '../../src/rtsp/server-auth';
import { RtspServerError } from '../../src/rtsp/server';
import { SECOND } from '../../src/time';
import { isAudioCaps } from '../../operators/mp4-mux-audio';
import { TRACK_WAIT, trackKey } from '../../operators/track-key';
import {
  checkMountPath,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_SESSION_TIMEOUT,
  RtspServer,
  type RtspMount,
} from './rtsp-server';

// The shared server comes with the sink (node/index.ts exports this module).
export { RtspMount, RtspServer, rtspServer, type RtspMountOptions, type RtspServerLog, type RtspServerOptions } from './rtsp-server';
export { RtspServerError } from '../../src/rtsp/server';

/** Options that are not properties (never in launch syntax). */
export interface RtspServerSinkExtras {
  /** Mount on this shared server (several sinks, several paths, one port); port, address, timeouts and max-connections are its. */
  server?: RtspServer;
  /** Users allowed to play: the sink's own server's, or this mount's on a shared server (instead of user-id/user-pw). */
  auth?: RtspServerAuthOptions | RtspServerAuth;
  /** Called once the mount is served, with its URL. */
  onListening?: (info: { port: number; url: string }) => void;
  /**
   * Called after each unit went out to every player, with its pts and the clock times its sending (RTP
   * payloading, RTCP, socket writes) started and ended: latency attribution for benches and traces.
   */
  onSent?: (info: { pts: number | undefined; start: number; end: number }) => void;
}

const SINK_CAPS = Caps.parse(
  'video/x-h264, stream-format=(string){ byte-stream, avc, avc3 }, alignment=(string)au; audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus'
);
/** An input that cannot be any of these is one H.264 stream, described from the start. */
const AUDIO_CAPS = Caps.parse('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw; audio/x-opus');
const DEFAULT_MOUNT = '/stream';
/** What checkMountPath accepts. */
const MOUNT_PATH = {
  pattern: /^\/[\w\-./]*$/,
  accepts: 'a path like /stream (letters, digits, _ - . /)',
} as const;

export const RTSP_SERVER_SINK = defineElement({
  name: 'rtspServerSink',
  kind: 'sink',
  description:
    'Serves H.264 (and AAC or Opus audio, one session stream per track) over RTSP (RTP over TCP or UDP) to any number of clients, optionally with Basic/Digest auth (gst-rtsp-server, one live mount)',
  caps: { sink: SINK_CAPS },
  notes:
    'A multi-track input (mp4Demux track=all, merge) is one session with a stream per track (video first), described once its tracks have appeared (tracks=, else those seen in its first second). Each client gets RTP (RFC 6184, parameter sets before every IDR; RFC 3640 AAC-hbr; RFC 7587 Opus) from the next keyframe, and RTCP sender reports; a client that falls behind skips to the next keyframe (counted as overflow). Every client gets an RTCP BYE at end of stream. Alone it runs its own server; with `server`, it is one mount of a shared rtspServer.',
  properties: {
    port: prop.uint({
      default: 8554,
      max: 65535,
      doc: "TCP port of the sink's own server (0 picks a free one); not used with a shared server",
    }),
    address: prop.string({
      default: '127.0.0.1',
      doc: "Address the sink's own server listens on (0.0.0.0: every interface)",
    }),
    path: prop.string({
      ...MOUNT_PATH,
      defaultDoc: DEFAULT_MOUNT,
      doc: 'Mount path',
    }),
    mount: prop.string({
      ...MOUNT_PATH,
      defaultDoc: DEFAULT_MOUNT,
      doc: 'Mount path (the older name of path)',
    }),
    userId: prop.string({
      doc: 'User name clients must authenticate as (with user-pw; printed, so a printed pipeline asks for user-pw again)',
    }),
    userPw: prop.string({
      secret: true,
      doc: 'Password of user-id (never printed)',
    }),
    sync: prop.boolean({
      default: true,
      doc: 'Pace sending by pts on the pipeline clock, as a live server must',
    }),
    waitForClient: prop.boolean({
      default: true,
      doc: 'Hold the stream until the first client plays (a file is not served to nobody)',
    }),
    sessionTimeout: prop.duration({
      unit: 's',
      min: SECOND,
      default: DEFAULT_SESSION_TIMEOUT,
      doc: "Close a session with no request (keep-alive) or RTCP from its client for this long (gst-rtsp-server's default); not used with a shared server (the server's)",
    }),
    requestTimeout: prop.duration({
      unit: 's',
      default: DEFAULT_REQUEST_TIMEOUT,
      doc: "A request must arrive whole this long after its first byte (a new connection's first request, after it connected), else 408 and the connection closes: slow or stalled senders (slowloris) hold no socket longer. Apache's header default; nginx's client_header_timeout is 60 s. 0: no limit; not used with a shared server (the server's)",
    }),
    idleTimeout: prop.duration({
      unit: 's',
      default: DEFAULT_IDLE_TIMEOUT,
      doc: "Close a connection with no session after this long without a request (a session has session-timeout instead). 0: never; not used with a shared server (the server's)",
    }),
    maxConnections: prop.uint({
      default: DEFAULT_MAX_CONNECTIONS,
      doc: "Open client connections at most; one more is answered 503 Service Unavailable and closed (nginx's worker_connections default). 0: no limit; not used with a shared server (the server's)",
    }),
    tracks: prop.uint({
      min: 1,
      max: 16,
      defaultDoc: 'one if the input can only be H.264, else the tracks seen in its first second',
      doc: 'Tracks to expect in a multi-track input (mp4Demux track=all, merge): the mount is described once this many have appeared',
    }),
    mtu: prop.uint({
      default: 1400,
      min: MIN_MTU,
      max: MAX_RTP_PACKET,
      doc: 'Largest RTP packet in bytes, header included',
    }),
  },
});

/**
 * user-id without user-pw, as in a printed pipeline. Its message never writes `user-pw=` before text:
 * launch errors hide whatever follows that.
 */
export class MissingPasswordError extends MissingPropertyError {
  constructor(userId: string) {
    super(RTSP_SERVER_SINK.name, 'user-pw', 'the password of user-id');
    this.message = `rtspServerSink needs user-pw, the password of user-id=${userId}: a secret, never printed, so a printed pipeline leaves it out; give it again (user-id and user-pw go together)`;
  }
}

export type RtspServerSinkOptions = NonNullable<Parameters<typeof rtspServerSink>[0]>;
/** The sink, with the server it serves on while open (its own or the shared one): counters, connections. */
export type RtspServerSink = Sink<Packet> & {
  readonly server: RtspServer | undefined;
};
type RtspServerSinkSettings = SettingsOf<typeof RTSP_SERVER_SINK.properties>;

/**
 * Serves the H.264 stream that reaches it over RTSP (gst-rtsp-server with a shared live mount): any number
 * of clients DESCRIBE, SETUP (TCP interleaved or UDP unicast) and PLAY; each gets RTP (RFC 6184, parameter
 * sets before every IDR) from the next keyframe on, and RTCP sender reports; a client that falls behind
 * skips to the next keyframe. At end-of-stream every client gets an RTCP BYE. Alone it runs its own server
 * (one port, one mount); with `server` it is one mount among several of an rtspServer.
 */
export const rtspServerSink = RTSP_SERVER_SINK.implement((s, x: RtspServerSinkExtras): RtspServerSink => {
  if (s.path !== undefined && s.mount !== undefined && s.path !== s.mount) throw new RtspServerError('rtspServerSink: give path or mount, not both');
  const mount = checkMountPath(s.path ?? s.mount ?? DEFAULT_MOUNT, 'rtspServerSink path');
  // A printed pipeline keeps user-id (a name, not a secret) and never user-pw, so its text fails here, naming
  // the password to give again. Leaving user-id out of the print instead would make that text parse into a
  // server that lets anyone play: failing open. The user name stays, and the print says auth is on.
  if (s.userId !== undefined && s.userPw === undefined) throw new MissingPasswordError(s.userId);
  if (s.userPw !== undefined && s.userId === undefined)
    throw new MissingPropertyError(RTSP_SERVER_SINK.name, 'user-id', 'the user name whose password user-pw is; user-id and user-pw go together');
  if (s.userId !== undefined && x.auth !== undefined) throw new RtspServerError('rtspServerSink: give auth or user-id/user-pw, not both');
  if (x.server !== undefined && !(x.server instanceof RtspServer)) throw new TypeError('rtspServerSink server must come from rtspServer()');
  // Built here so that bad users fail when the pipeline is built, not when it starts.
  const given = s.userId !== undefined ? { users: { user: s.userId, password: s.userPw! } } : x.auth;
  const auth = given === undefined || given instanceof RtspServerAuth ? given : new RtspServerAuth(given);
  let server: RtspServer | undefined;
  const sink = defineSink<Packet>({
    sinkCaps: SINK_CAPS,
    sync: false,
    dropLate: false,
    open: (ctx) => openSink(ctx, s, { ...x, auth }, mount, (it) => (server = it)),
  });
  return Object.defineProperty(sink, 'server', {
    get: () => server ?? x.server,
    enumerable: true,
  }) as RtspServerSink;
});

function openSink(
  ctx: ElementContext,
  options: RtspServerSinkSettings,
  x: RtspServerSinkExtras & { auth: RtspServerAuth | undefined },
  path: string,
  opened: (server: RtspServer) => void
): Writer<Packet> {
  const { port, sync, waitForClient } = options;
  const clock = ctx.clock;
  const log = (level: 'debug' | 'info' | 'warn', m: string) => ctx.log(level, m);
  const own = x.server === undefined;
  const server =
    x.server ??
    new RtspServer({
      port,
      address: options.address,
      auth: x.auth,
      sessionTimeout: options.sessionTimeout,
      requestTimeout: options.requestTimeout,
      idleTimeout: options.idleTimeout,
      maxConnections: options.maxConnections,
      log,
    });
  opened(server);
  let served: RtspMount;
  try {
    served = server.mount(path, {
      mtu: options.mtu,
      auth: own ? undefined : x.auth,
      log,
      onDrop: () => ctx.report.drop('overflow'),
    });
  } catch (e) {
    if (own) void server.close();
    throw e;
  }
  let anchor: { t: number; at: number } | undefined;
  let lastTarget = -Infinity;
  let closed = false;
  /** A client has played: from then on the stream flows with or without clients, as a live one does. */
  let started = false;
  // A stream that may hold several tracks is held until they have all appeared: clients must be told
  // every stream when they DESCRIBE. One that can only be H.264 is one stream from the start.
  const expect = options.tracks;
  const multi = expect !== undefined ? expect > 1 : !ctx.inputCaps || !ctx.inputCaps.intersect(AUDIO_CAPS).isEmpty();
  const seen = new Map<string, Caps>();
  const held: Packet[] = [];
  let settled = !multi;
  let announce!: () => void;
  const described = new Promise<void>((r) => (announce = r));
  if (settled) announce();
  const listening = server.listen().then(async (info) => {
    await described;
    const url = server.urlOf(path);
    ctx.log('info', `serving ${url}`);
    x.onListening?.({ port: info.port, url });
  });
  listening.catch(() => undefined);
  /** The held packets' tracks become the mount's streams, video first. */
  const settle = (): void => {
    settled = true;
    const list = [...seen.values()];
    const ordered = [...list.filter((c) => !isAudioCaps(c)), ...list.filter(isAudioCaps)];
    served.setTracks(ordered);
    if (ordered.length > 1) ctx.log('info', `${ordered.length} streams: ${ordered.map((c) => c.structures[0]?.name).join(', ')}`);
    announce();
  };
  /** A track's first packet (DISCONT from mp4Demux on each track) starts that track, not a new timeline. */
  const tracksStarted = new Set<string>();
  const capsSeen = new WeakSet<Caps>();
  const firstOfTrack = (p: Packet): boolean => {
    // Only a Caps object not met before can start a track: the key is built once per object, not per packet.
    if (!multi || capsSeen.has(p.caps)) return false;
    capsSeen.add(p.caps);
    const k = trackKey(p.caps);
    if (tracksStarted.has(k)) return false;
    tracksStarted.add(k);
    return true;
  };

  const send = async (p: Packet, signal: AbortSignal): Promise<void> => {
    if (waitForClient && !started) {
      await served.waitForPlayer(signal);
      started = true;
    }
    const m = p.memory;
    if (m.domain !== 'cpu') throw new TypeError('rtspServerSink takes H.264, AAC or Opus in CPU memory');
    const t = p.pts ?? p.dts;
    if (sync && t !== undefined) {
      const now = clock.now();
      const first = firstOfTrack(p);
      if (!anchor || (p.flags & PacketFlags.DISCONT && !first)) anchor = { t, at: now };
      const target = anchor.at + (t - anchor.t);
      if (target > lastTarget) lastTarget = target;
      if (lastTarget > now) await clock.sleepUntil(lastTarget, signal);
    }
    // When the unit was captured, for the sender reports: a live source's stamp; else the clock time its
    // pts stands for (the pacing anchor, or running time since the pipeline's base time).
    const capture = p.meta.captureTime ?? (t === undefined ? undefined : anchor ? anchor.at + (t - anchor.t) : ctx.baseTime + t);
    const start = clock.now();
    served.send(m.data, t, (p.flags & PacketFlags.KEYFRAME) !== 0, start, capture, p.caps);
    x.onSent?.({ pts: t, start, end: clock.now() });
  };

  const shutdown = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    served.detach('server closing');
    if (!own) return;
    await server.close();
    // The abuse the server turned away, once, where g2g serve's user sees it.
    const n = server.counters;
    const turned = [
      [n.refused, 'refused at the connection limit'],
      [n.requestTimeouts, 'closed by request-timeout'],
      [n.idleTimeouts, 'closed by idle-timeout'],
      [n.sessionTimeouts, 'closed by session-timeout'],
    ].filter(([k]) => (k as number) > 0);
    if (turned.length) ctx.log('info', `connections: ${n.accepted} accepted, ${turned.map(([k, what]) => `${k} ${what}`).join(', ')}`);
  };

  return {
    async write(p, signal) {
      if (!settled) {
        const k = trackKey(p.caps);
        if (!seen.has(k)) seen.set(k, p.caps);
        held.push(p);
        const t0 = held[0].dts ?? held[0].pts ?? 0;
        const span = (p.dts ?? p.pts ?? t0) - t0;
        if ((expect === undefined || seen.size < expect) && (expect !== undefined || span < TRACK_WAIT)) return;
        settle();
        await listening;
        for (const h of held.splice(0)) await send(h, signal);
        return;
      }
      await listening;
      await send(p, signal);
    },
    async end(signal) {
      if (!settled && seen.size) settle();
      await listening.catch(() => undefined);
      for (const h of held.splice(0)) await send(h, signal);
      await served.end(clock.now());
      await shutdown();
    },
    close: shutdown,
  };
}
