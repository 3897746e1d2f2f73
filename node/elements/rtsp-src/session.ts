import type { Socket as UdpSocket } from 'node:dgram';
import type { ElementContext } from '../../../src/element';
import { looksLikeRtcp, parseRtcp } from '../../../src/rtp/rtcp';
import { RtcpReceiver } from '../../../src/rtp/rtcp-receiver';
import { looksLikeRtp, peekSsrc } from '../../../src/rtp/rtp-packet';
import { RtspClient, RtspError, type RtspClientEvent } from '../../../src/rtsp/client';
import type { Outcome } from '../../../src/rtsp/session/reconnect';
import { TimerTable } from '../../../src/rtsp/session/timer-table';
import { parseRtspUrl, redactUrl } from '../../../src/rtsp/url';
import { MILLISECOND, SECOND } from '../../../src/time';
import { connectTcp, type TcpConnection } from '../../drivers/tcp';
import type { UdpReceiver } from '../../drivers/udp';
import type { RtspSrcCounters } from './counters';
import type { RtspOutput } from './output';
import { bindRtpPair, closeDgram, rtpPath, sendRtcp, udpTimeoutFor, type RtpPath, type RtspProtocols, type Transport } from './transport';

export type { Outcome };

export interface SessionOptions {
  readonly location: string;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly transport: Transport;
  readonly protocols: RtspProtocols;
  /** The session's stream to play. */
  readonly media: 'video' | 'audio' | 'all';
  /** Response and no-media timeout, ns. */
  readonly timeout: number;
  readonly udpTimeout: number | undefined;
  /** UDP's reorder budget, ns. */
  readonly latency: number;
  /** Our RTCP CNAME. */
  readonly cname: string;
  readonly ctx: Pick<ElementContext, 'clock' | 'signal' | 'report' | 'log' | 'profile'>;
  readonly counters: RtspSrcCounters;
  /** The first stream's output. */
  readonly output: RtspOutput;
  /** media=all: every stream's output, in the client's order (the first is `output`). */
  readonly outputs?: readonly RtspOutput[];
}

/** Monotonic ns for protocol timers: network deadlines are real time, whatever the pipeline clock. */
function monoNow(): number {
  return Math.round(performance.now() * MILLISECOND);
}

/** setTimeout's longest delay (ms); a longer one fires after 1 ms. A far deadline is waited for in steps. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * One RTSP session, connection to close: the sans-IO RtspClient holds the request sequence (OPTIONS,
 * DESCRIBE, SETUP, PLAY, keep-alives, TEARDOWN); this moves its bytes, feeds its events to the output
 * and arms one timer for the earliest of its deadlines, the jitter buffer's and the next RTCP report's.
 */
export class RtspSession {
  readonly outcome: Promise<Outcome>;
  private resolveOutcome!: (o: Outcome) => void;
  private readonly host: string;
  /** Each stream's way from the socket to its output (TCP: straight; UDP: a jitter buffer). */
  private readonly paths: RtpPath[];
  private readonly outputs: readonly RtspOutput[];
  private client: RtspClient | undefined;
  private conn: TcpConnection | undefined;
  private readonly udp: UdpReceiver[] = [];
  private rtcpSocket: UdpSocket | undefined;
  private rr: RtcpReceiver | undefined;
  /** The machines' deadlines, copied in at each pump: the one host timer waits for the earliest. */
  private readonly deadlines = new TimerTable<'client' | 'jitter' | 'rtcp'>(['client', 'jitter', 'rtcp']);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = 0;
  private udpTimedOut = false;
  private settled = false;
  private played = false;
  /** A polite end (BYE, TEARDOWN) is under way: a second stop ends at once. */
  private leaving = false;
  /** The client's discarded interleaved frames already counted and logged. */
  private strayCounted = 0;
  private notRtpLogged = false;

  constructor(private readonly o: SessionOptions) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
    this.host = parseRtspUrl(o.location).host;
    this.outputs = o.outputs ?? [o.output];
    this.paths = this.outputs.map((out) => rtpPath(o.transport, o.latency, (rtp) => out.push(rtp), o.ctx.report));
    this.outputs.forEach((out, i) => {
      out.timeline.latency = this.paths[i].latency;
      // A profile that drops late frames (live) would rather have them late than dropped.
      out.timeline.stampLate = o.ctx.profile.maxLateness !== undefined;
      out.sender.reset();
      out.shared?.reset();
    });
    o.counters.sessions++;
    this.connect().catch((e: Error) => {
      // Connection refused and the like: nothing of the URL's credentials is in node:net's messages.
      this.finish({
        kind: 'error',
        error: new RtspError('closed', `cannot connect to ${redactUrl(o.location)}: ${e.message}`),
        played: false,
      });
    });
  }

  /** Ends the session: an 'eos' once playing politely (our last report with a BYE, then TEARDOWN), else at once. */
  stop(o: Outcome): void {
    if (this.settled) return;
    const c = this.client;
    if (this.leaving || !c || c.finished || o.kind !== 'eos' || !this.played) return this.finish(o);
    this.leaving = true;
    // RFC 3550 6.3.7: a BYE only after one report, never from a silent member.
    const bye = this.rr !== undefined && this.rr.sent > 0 && c.state === 'playing';
    if (bye) this.sendReport(monoNow(), true);
    const teardown = (): void =>
      this.guard('while tearing down', () => {
        c.teardown(monoNow());
        this.pump();
        if (c.finished) this.finish(o);
        else setTimeout(() => this.finish(o), Math.min(this.o.timeout, SECOND) / MILLISECOND).unref?.();
      });
    // Over UDP the BYE travels apart from the RTSP connection: a TEARDOWN sent at once can reach the
    // server first, and gst-rtsp-server drops the session's RTCP socket with it.
    if (bye && this.o.transport === 'udp') setTimeout(teardown, 20);
    else teardown();
  }

  /** UDP ports first (SETUP names them), then the RTSP connection; the client starts once connected. */
  private async connect(): Promise<void> {
    const { o } = this;
    const url = parseRtspUrl(o.location);
    const arrived = (what: string, feed: () => void): void =>
      this.guard(what, () => {
        const at = o.ctx.clock.now();
        for (const out of this.outputs) out.arrival = at;
        feed();
        this.pump();
      });
    let clientPorts: [number, number] | undefined;
    if (o.transport === 'udp') {
      const pair = await bindRtpPair(this.udp, (kind, data) =>
        arrived(`on a UDP ${kind.toUpperCase()} datagram`, () => this.client?.receiveDatagram(kind, data, monoNow()))
      );
      clientPorts = pair.ports;
      this.rtcpSocket = pair.rtcp;
      // Stopped while binding: finish() has closed what existed then, not these.
      if (this.settled) return void Promise.all([closeDgram(this.rtcpSocket), ...this.udp.map((r) => r.close())]);
    }
    const udpTimeout = udpTimeoutFor(o.transport, o.protocols, o.udpTimeout, o.timeout);
    const client = new RtspClient({
      url: o.location,
      user: o.user,
      password: o.password,
      transport: o.transport,
      media: o.media,
      clientPorts,
      responseTimeout: o.timeout,
      dataTimeout: o.timeout,
      udpTimeout,
    });
    this.client = client;
    this.conn = await connectTcp({
      host: url.host,
      port: url.port,
      timeoutMs: o.timeout / MILLISECOND,
      signal: o.ctx.signal,
      onData: (d) => arrived('on data from the server', () => this.client?.receive(d, monoNow())),
      onClose: () =>
        this.guard('as the connection closed', () => {
          this.client?.connectionClosed(monoNow());
          this.pump();
        }),
    });
    if (this.settled) return void this.conn.close();
    this.guard('starting the session', () => {
      client.start(monoNow());
      this.pump();
    });
  }

  /**
   * Runs the work of a socket, datagram or timer callback. The client turns bad bytes into an 'error'
   * event; anything still thrown (here or in the output) ends this session as a pipeline error naming
   * the element, never as an uncaught exception, which would take the process down.
   */
  private guard(what: string, work: () => void): void {
    if (this.settled) return;
    try {
      work();
    } catch (e) {
      const error =
        e instanceof RtspError
          ? e
          : new RtspError('protocol', `${redactUrl(this.o.location)}: failed ${what}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
      this.finish({ kind: 'error', error, played: this.played });
    }
  }

  /** Writes what the client has to send, handles its events, and re-arms the timer. */
  private pump(): void {
    const client = this.client;
    if (this.settled || !client) return;
    const now = monoNow();
    this.countStray(client);
    for (let b = client.pollTransmit(); b; b = client.pollTransmit()) this.conn?.write(b);
    for (let e: RtspClientEvent | undefined = client.nextEvent(); e; e = client.nextEvent()) {
      if (this.settled) return;
      if (e.type === 'error')
        return this.finish({
          kind: 'error',
          error: e.error,
          played: this.played,
        });
      if (e.type === 'closed') return this.finish(this.udpTimedOut ? { kind: 'fallback' } : { kind: 'eos' });
      this.handle(e, client, now);
      // A unit may have reached num-buffers: stop feeding this session.
      if (this.settled) return;
    }
    for (let b = client.pollTransmit(); b; b = client.pollTransmit()) this.conn?.write(b);
    this.arm(client, now);
  }

  /** Interleaved frames on channels SETUP did not give: counted, logged once per session, discarded. */
  private countStray(client: RtspClient): void {
    const n = client.strayFrames;
    if (n === this.strayCounted) return;
    if (this.strayCounted === 0) {
      const [rtp, rtcp] = client.transport?.interleaved ?? [0, 1];
      this.o.ctx.log('warn', `interleaved data on channel ${client.strayChannels.join(', ')}, which SETUP did not give (${rtp}-${rtcp}): discarded`);
    }
    this.o.counters.discarded += n - this.strayCounted;
    this.strayCounted = n;
  }

  private handle(e: RtspClientEvent, client: RtspClient, now: number): void {
    const { ctx } = this.o;
    const output = this.outputs[e.type === 'rtp' || e.type === 'rtcp' ? e.stream : 0] ?? this.outputs[0];
    switch (e.type) {
      case 'described': {
        // Receiver reports go for the first stream (each stream of a session is an RTP session of its own).
        const rates = e.streams.map((st, i) => this.outputs[i]?.described(st));
        this.rr = new RtcpReceiver({ cname: this.o.cname, clockRate: rates[0] ?? 90000 });
        break;
      }
      case 'playing':
        this.played = true;
        ctx.log('info', `playing ${client.url.uri} over ${this.o.transport.toUpperCase()}`);
        break;
      case 'rtp':
        if (!looksLikeRtp(e.data)) {
          // Not RTP (too short, another version): dropped as corrupt, logged once per session.
          this.o.counters.discarded++;
          ctx.report.drop('corrupt');
          if (!this.notRtpLogged)
            ctx.log('warn', `a packet of ${e.data.length} bytes on the RTP ${this.o.transport === 'tcp' ? 'channel' : 'port'} is not RTP: discarded`);
          this.notRtpLogged = true;
          break;
        }
        // Statistics at arrival, before any reordering: A.8's jitter is about the network.
        if (e.stream === 0) this.rr?.rtp(e.data, now);
        output.sender.rtpFrom(peekSsrc(e.data));
        (this.paths[e.stream] ?? this.paths[0]).rtp(e.data, now);
        break;
      case 'rtcp': {
        if (!looksLikeRtcp(e.data)) break;
        const packets = parseRtcp(e.data).packets;
        if (e.stream === 0) this.rr?.rtcp(packets, e.data.length, now);
        for (const p of packets) {
          if (p.type === 'sr') output.sender.senderReport(p);
          if (p.type === 'bye') {
            // One stream's BYE: the sender is leaving the session (ours sends one per stream at the end).
            for (const out of this.outputs) out.flush();
            client.bye();
          }
        }
        break;
      }
      case 'udp-timeout':
        this.udpTimedOut = true;
        ctx.log('warn', `no RTP over UDP ${Math.round(e.after / MILLISECOND)} ms after PLAY; tearing down to play over TCP`);
        break;
    }
  }

  /** One timer for the earliest deadline: the client's, the jitter buffer's, the next receiver report's. */
  private arm(client: RtspClient, now: number): void {
    const d = this.deadlines;
    d.update('client', client.pollTimeout());
    let jitter: number | undefined;
    for (const path of this.paths) {
      const t = path.pollTimeout();
      if (t !== undefined && (jitter === undefined || t < jitter)) jitter = t;
    }
    d.update('jitter', jitter);
    d.update('rtcp', client.state === 'playing' ? this.rr?.pollTimeout() : undefined);
    const deadline = d.pollTimeout();
    // Every packet moves the no-media deadline on: a timer already armed no later than the new
    // deadline is kept (firing early is harmless, the machines just answer a later deadline), so
    // that packets do not each cost a clearTimeout and a setTimeout.
    if (this.timer && deadline !== undefined && this.timerAt <= deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (deadline === undefined) return;
    this.timerAt = deadline;
    this.timer = setTimeout(
      () =>
        this.guard('on a timer', () => {
          this.timer = undefined;
          const t = monoNow();
          if (this.client?.state === 'playing' && this.rr?.due(t)) this.sendReport(t, false);
          this.client?.handleTimeout(t);
          for (const path of this.paths) path.drain(t);
          this.pump();
        }),
      // Firing early is harmless (the machines answer a later deadline); a far one, clamped, just re-arms.
      Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil((deadline - now) / MILLISECOND)))
    );
  }

  /** An RR (+ BYE when leaving) to the server. */
  private sendReport(now: number, bye: boolean): void {
    if (!this.rr || !this.client) return;
    const data = this.rr.report(now, bye);
    this.o.counters.receiverReports++;
    this.o.counters.rtcpSsrc = this.rr.ssrc;
    sendRtcp(data, this.o.transport, this.client, this.conn, this.rtcpSocket, this.host);
  }

  private finish(o: Outcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    const closing = [this.conn?.close(), ...this.udp.map((s) => s.close()), closeDgram(this.rtcpSocket)];
    Promise.all(closing).then(
      () => this.resolveOutcome(o),
      () => this.resolveOutcome(o)
    );
  }
}
