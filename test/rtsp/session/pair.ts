/**
 * h11's ConnectionPair for RTSP: the sans-IO RtspClient and RtspServerConnection joined in memory under a
 * virtual `now`, with a supervisor that reconnects by the sans-IO policy. Bytes cross at once (the same
 * instant), so every timing a test sees is a protocol deadline, never scheduling: runs are deterministic
 * and virtual minutes take milliseconds. The network's faults are switches: a frozen server (takes nothing,
 * answers nothing, fires no timer: a hung process), a loss filter on responses, a server that is down, RTP
 * over UDP blocked (datagrams are handed over directly; ports are only numbers here).
 */
import { RtspClient, type RtspClientEvent, type RtspClientOptions } from '../../../src/rtsp/client';
import { RtspServerConnection, type RtspServerConnectionOptions, type RtspServerEvent } from '../../../src/rtsp/server';
import { RtspError } from '../../../src/rtsp/client';
import { afterSession, ReconnectPolicy, type NextStep, type Outcome } from '../../../src/rtsp/session/reconnect';
import { TimerTable } from '../../../src/rtsp/session/timer-table';
import { firstTransport, udpTimeoutFor, type RtspProtocols, type Transport } from '../../../src/rtsp/session/transport-policy';
import { SECOND } from '../../../src/time';

export const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=x', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:stream=0', ''].join('\r\n');

const text = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

/** A minimal RTP packet (RFC 3550 header only): the client passes media on without looking inside. */
function rtp(seq: number): Uint8Array {
  return Uint8Array.of(0x80, 96, (seq >> 8) & 0xff, seq & 0xff, 0, 0, 0, 0, 0, 0, 0, 1);
}

export interface PairOptions {
  readonly client?: Partial<RtspClientOptions>;
  readonly server?: Partial<RtspServerConnectionOptions>;
  /** The server sends one RTP packet this often while playing (ns); 0: none. */
  readonly mediaEvery?: number;
  /** Reconnect by this policy when a session fails; without one, the first failure is the end. */
  readonly policy?: ReconnectPolicy;
  /** 'udp' and 'udp+tcp' start over UDP (ports are only numbers here: datagrams are handed over directly). Default 'tcp'. */
  readonly protocols?: RtspProtocols;
}

type Wake = 'client' | 'server' | 'media' | 'backoff';

export class ConnectionPair {
  now = 0;
  client!: RtspClient;
  server!: RtspServerConnection;
  /** Every client and server event and every request the server got, with its virtual time. */
  readonly clientEvents: { t: number; e: RtspClientEvent }[] = [];
  readonly serverEvents: { t: number; e: RtspServerEvent }[] = [];
  readonly requests: { t: number; method: string; session: string | undefined }[] = [];
  /** Each session's end and what the policy made of it. */
  readonly outcomes: { t: number; outcome: Outcome; step: NextStep }[] = [];
  /** When each connection attempt was made. */
  readonly attempts: number[] = [];
  /** The server process hangs: it takes no bytes, sends none, fires no timer. */
  frozen = false;
  /** The server process is down: a connection is refused. */
  down = false;
  /** RTP datagrams do not get through (a firewall); RTSP on the TCP connection does. */
  udpBlocked = false;
  /** The lower transport of the current session. */
  transport: Transport;
  /** A response (its text) for which this returns true is lost on the way to the client. */
  loseResponse: (response: string) => boolean = () => false;
  /** Server generation (a restart is a new one) and connection count, in session ids. */
  private generation = 1;
  private connections = 0;
  private connected = false;
  private played = false;
  private udpTimedOut = false;
  private ended = false;
  private seq = 0;
  /** When a server that is down comes back. */
  private upAt: number | undefined;
  private readonly timers = new TimerTable<Wake>(['client', 'server', 'media', 'backoff']);

  constructor(readonly o: PairOptions = {}) {
    this.transport = firstTransport(o.protocols ?? 'tcp');
  }

  /** Opens a connection and starts a client session on it (OPTIONS first). */
  connect(): this {
    this.attempts.push(this.now);
    this.played = this.udpTimedOut = false;
    const udp = this.transport === 'udp';
    const timeout = this.o.client?.responseTimeout ?? 10 * SECOND;
    this.client = new RtspClient({
      url: 'rtsp://cam.test/live',
      transport: this.transport,
      clientPorts: udp ? [5000, 5001] : undefined,
      udpTimeout: udpTimeoutFor(this.transport, this.o.protocols ?? 'tcp', this.o.client?.udpTimeout, timeout),
      ...this.o.client,
    });
    const id = `S${this.generation}-${++this.connections}`;
    this.server = new RtspServerConnection({
      path: '/live',
      sdp: () => SDP,
      sessionId: () => id,
      serverPorts: [6000, 6001],
      now: this.now,
      ...this.o.server,
    });
    this.connected = !this.down;
    this.client.start(this.now);
    if (this.down) this.client.connectionClosed(this.now); // refused: the client's error says 'closed'
    this.pump();
    return this;
  }

  /** The server restarts: its connections drop; it is down for `downFor` (ns), then takes new ones. */
  restartServer(downFor = 0): void {
    this.generation++;
    this.drop();
    if (downFor > 0) {
      this.down = true;
      // The test's own event, not a deadline of either machine: kept out of the table.
      this.upAt = this.now + downFor;
    }
  }

  /** Moves virtual time to `to`, firing every deadline on the way in order. */
  advance(to: number): this {
    for (let guard = 0; ; guard++) {
      if (guard > 1_000_000) throw new Error('ConnectionPair: no progress (a deadline that does not move)');
      const n = this.timers.next();
      const up = this.upAt;
      if (up !== undefined && up <= to && (n === undefined || up < n.at)) {
        this.now = up;
        this.down = false;
        this.upAt = undefined;
        continue;
      }
      if (n === undefined || n.at > to) break;
      this.now = n.at;
      for (const w of this.timers.expired(this.now)) this.fire(w);
      this.pump();
    }
    this.now = to;
    return this;
  }

  get errors(): { t: number; error: RtspError }[] {
    return this.clientEvents.flatMap(({ t, e }) => (e.type === 'error' ? [{ t, error: e.error }] : []));
  }

  /** Times of the client's 'playing' events, and its session ids. */
  get plays(): { t: number; session: string }[] {
    return this.clientEvents.flatMap(({ t, e }) => (e.type === 'playing' ? [{ t, session: e.session }] : []));
  }

  private fire(w: Wake): void {
    if (w === 'client') this.client.handleTimeout(this.now);
    else if (w === 'server') this.server.handleTimeout(this.now);
    else if (w === 'backoff') this.connect();
    else if (w === 'media' && this.connected && !this.frozen && this.server.isPlaying) {
      const packet = rtp(this.seq++);
      if (this.server.sessionTransport?.protocol === 'RTP/AVP/TCP') this.client.receive(this.server.interleave('rtp', packet), this.now);
      else if (!this.udpBlocked) this.client.receiveDatagram('rtp', packet, this.now);
    }
  }

  /** The connection drops under the client (RST): the server connection is gone with it. */
  private drop(): void {
    if (!this.connected) return;
    this.connected = false;
    this.client.connectionClosed(this.now);
    this.pump();
  }

  /** Moves bytes both ways and takes events until nothing moves, then re-arms the wake-ups. */
  private pump(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (let b = this.client.pollTransmit(); b; b = this.client.pollTransmit()) {
        moved = true;
        if (!this.connected || this.frozen) continue;
        const line = text(b).split('\r\n');
        const session = line.find((l) => /^session:/i.test(l))?.replace(/^session:\s*/i, '');
        this.requests.push({ t: this.now, method: line[0].split(' ')[0], session });
        this.server.receive(b, this.now);
      }
      if (!this.frozen) {
        for (let b = this.server.pollTransmit(); b; b = this.server.pollTransmit()) {
          moved = true;
          if (this.connected && !this.loseResponse(text(b))) this.client.receive(b, this.now);
        }
        for (let e = this.server.nextEvent(); e; e = this.server.nextEvent()) {
          moved = true;
          this.serverEvents.push({ t: this.now, e });
          if (e.type === 'close') this.drop();
        }
      }
      for (let e = this.client.nextEvent(); e; e = this.client.nextEvent()) {
        moved = true;
        this.clientEvents.push({ t: this.now, e });
        if (e.type === 'playing') this.played = true;
        if (e.type === 'udp-timeout') this.udpTimedOut = true;
        if (e.type === 'error') this.sessionEnded({ kind: 'error', error: e.error, played: this.played });
        // After a udp-timeout the client tears down, and its 'closed' is a hand-over to TCP, not the end.
        if (e.type === 'closed') this.sessionEnded(this.udpTimedOut ? { kind: 'fallback' } : { kind: 'eos' });
      }
    }
    this.rearm();
  }

  /** The supervisor: the sans-IO policy decides, the pair only sets the 'backoff' wake-up. */
  private sessionEnded(outcome: Outcome): void {
    this.connected = false;
    const policy = this.o.policy ?? new ReconnectPolicy(0, SECOND);
    const step = afterSession({ outcome, transport: this.transport, protocols: this.o.protocols ?? 'tcp', policy, now: this.now, stopping: false });
    this.outcomes.push({ t: this.now, outcome, step });
    if (step.action === 'reconnect') this.timers.set('backoff', step.at);
    else if (step.action === 'fallback-tcp') {
      // At once, as rtspSrc does: not a reconnection, so no backoff.
      this.transport = 'tcp';
      this.timers.set('backoff', this.now);
    } else this.ended = true;
  }

  private rearm(): void {
    const c = this.client.pollTimeout();
    if (c === undefined) this.timers.clear('client');
    else this.timers.set('client', c);
    // A hung process fires nothing; a closed connection has no timers left.
    const s = this.connected && !this.frozen ? this.server.pollTimeout() : undefined;
    if (s === undefined) this.timers.clear('server');
    else this.timers.set('server', s);
    const every = this.o.mediaEvery ?? SECOND;
    if (every > 0 && this.connected && !this.frozen && this.server.isPlaying) {
      if (!this.timers.isSet('media')) this.timers.set('media', this.now + every);
    } else this.timers.clear('media');
  }

  /** The stream is over (an end or a failure the policy does not retry). */
  get finished(): boolean {
    return this.ended;
  }
}
