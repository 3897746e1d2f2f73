import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { hostname } from 'node:os';
import type { ElementEntry } from '../../operators/registry';
import { Caps } from '../../src/caps';
import { EOS, type ElementContext, type Reader } from '../../src/element';
import { cpuMemory } from '../../src/memory/memory';
import { defineSource, type Source } from '../../src/operator';
import { PacketFlags, type CpuPacket, type PacketMeta } from '../../src/packet';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import { H264Depayloader, newDepayCounters, type DepayCounters, type DepayedAccessUnit } from '../../src/rtp/h264-depayloader';
import { JitterBuffer } from '../../src/rtp/jitter-buffer';
import { looksLikeRtcp, NTP_UNIX_OFFSET, parseRtcp } from '../../src/rtp/rtcp';
import { RtcpReceiver } from '../../src/rtp/rtcp-receiver';
import { looksLikeRtp, parseRtp, peekSeq, peekSsrc, RtpError } from '../../src/rtp/rtp-packet';
import { tsDiff } from '../../src/rtp/seq';
import { RtspClient, RtspError, type RtspClientEvent } from '../../src/rtsp/client';
import { parseRtspUrl, redactUrl } from '../../src/rtsp/url';
import { MILLISECOND, nsToTicks, SECOND, ticksToNs } from '../../src/time';
import { connectTcp, type TcpConnection } from '../drivers/tcp';
import { openUdpReceiver, type UdpReceiver } from '../drivers/udp';

export type RtspProtocols = 'tcp' | 'udp' | 'udp+tcp';

export interface RtspSrcOptions {
  name?: string;
  /** rtsp://[user:password@]host[:port]/path */
  location: string;
  /**
   * Lower transports to try: 'udp+tcp' tries UDP, then TCP when UDP SETUP fails or no RTP arrives within
   * `udpTimeout` of PLAY (default 'tcp').
   */
  protocols?: RtspProtocols;
  /** Reorder budget for UDP (ns, default 200 ms); TCP delivers in order and needs none. */
  latency?: number;
  userId?: string;
  userPw?: string;
  /** Response and no-media timeout (ns, default 5 s). */
  timeout?: number;
  /** With 'udp+tcp': no RTP this long (ns) after PLAY tears UDP down and plays over TCP (default `timeout`). */
  udpTimeout?: number;
  /** Reconnection attempts after the connection fails while or before playing (default 0). */
  retry?: number;
  /** First wait before reconnecting (ns, default 250 ms), doubled per failed attempt up to 8× that. */
  backoff?: number;
  /** Access units before end-of-stream (-1 = until the server ends it). */
  numBuffers?: number;
  /** Access units held when the pipeline lags (the oldest is dropped beyond; default 256). */
  maxBuffers?: number;
}

/** Counters of a run, for tests and stats. */
export interface RtspSrcCounters {
  sessions: number;
  reconnects: number;
  units: number;
  /** UDP sessions given up for TCP because no RTP came (udp+tcp). */
  fallbacks: number;
  /** RTCP receiver reports sent (RR + SDES, the last with BYE), and our SSRC in them. */
  receiverReports: number;
  rtcpSsrc: number | undefined;
  depay: DepayCounters;
}

export type RtspSrc = Source<CpuPacket> & { readonly counters: Readonly<RtspSrcCounters> };

const SRC_CAPS = Caps.parse('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au');
const NS_PER_MS = 1e6;

/** Monotonic ns for protocol timers: network deadlines are real time, whatever the pipeline clock. */
function monoNow(): number {
  return Math.round(performance.now() * NS_PER_MS);
}

/**
 * An RTSP client source (GStreamer's rtspsrc ! rtph264depay): plays one H.264 stream over RTP interleaved
 * on the RTSP connection (TCP) or over UDP, with Basic/Digest authentication and keep-alives, and outputs
 * access units (Annex B, alignment=au) with pts from the RTP timestamps and `meta.captureTime` from the
 * sender's RTCP SR clock when it sent one (else the arrival time), and `meta.receiveTime`, the clock time
 * the bytes completing the unit reached us (network vs pipeline latency). With `retry`, a lost session is
 * set up again after a backoff: the stream resumes at the next keyframe, its first unit DISCONT, and pts
 * go on.
 * The protocol is the sans-IO RtspClient; this file only moves bytes and arms timers.
 */
export function rtspSrc(options: RtspSrcOptions): RtspSrc {
  const url = parseRtspUrl(options.location);
  const protocols = options.protocols ?? 'tcp';
  if (!['tcp', 'udp', 'udp+tcp'].includes(protocols)) throw new RangeError(`rtspSrc protocols must be tcp, udp or udp+tcp, got '${protocols}'`);
  const numBuffers = options.numBuffers ?? -1;
  if (!Number.isSafeInteger(numBuffers) || numBuffers < -1) throw new RangeError(`rtspSrc numBuffers must be -1 or a count, got ${numBuffers}`);
  const retry = options.retry ?? 0;
  if (!Number.isSafeInteger(retry) || retry < 0) throw new RangeError(`rtspSrc retry must be ≥ 0, got ${retry}`);
  for (const [k, v] of [['latency', options.latency], ['timeout', options.timeout], ['udpTimeout', options.udpTimeout], ['backoff', options.backoff]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new RangeError(`rtspSrc ${k} must be ≥ 0 ns, got ${v}`);
  }
  const counters: RtspSrcCounters = { sessions: 0, reconnects: 0, units: 0, fallbacks: 0, receiverReports: 0, rtcpSsrc: undefined, depay: newDepayCounters() };
  const src = defineSource<CpuPacket>({
    factory: 'rtspSrc',
    name: options.name,
    // Never the credentials: props are printed by toString() and stats.
    props: { location: url.uri, protocols, 'num-buffers': numBuffers, retry, 'user-id': options.userId ?? url.user },
    srcCaps: SRC_CAPS,
    fixate: (allowed) => allowed.fixate(),
    open: (ctx) => openRtspSrc(ctx, options, protocols, numBuffers, retry, counters),
  });
  return Object.assign(src, { counters });
}

type Outcome = { kind: 'eos' } | { kind: 'stopped' } | { kind: 'fallback' } | { kind: 'error'; error: Error; played: boolean };

function openRtspSrc(ctx: ElementContext, options: RtspSrcOptions, protocols: RtspProtocols, numBuffers: number, retry: number, counters: RtspSrcCounters): Reader<CpuPacket> {
  const buffer = new BoundedBuffer<CpuPacket>(options.maxBuffers ?? 256, 'drop-oldest', ctx.report, 'overflow');
  const clock = ctx.clock;
  const caps = ctx.outputCaps.isFixed() ? ctx.outputCaps : SRC_CAPS;
  const timeout = options.timeout ?? 5 * SECOND;
  const backoff = options.backoff ?? 250 * MILLISECOND;
  const latency = options.latency ?? 200 * MILLISECOND;
  const depay = new H264Depayloader({ onLoss: 'drop-until-idr', counters: counters.depay });
  Object.assign(counters, { sessions: 0, reconnects: 0, units: 0, fallbacks: 0, receiverReports: 0, rtcpSsrc: undefined });
  const cname = `glass2glass@${hostname()}`;
  const units: DepayedAccessUnit[] = [];
  // pts = ticks since `base`, rebased at each new session (a new SSRC) so that time goes on.
  let base: number | undefined;
  let epoch = -1;
  let lastPts = 0;
  let clockRate = 90000;
  let discontNext = false;
  let stopping = false;
  /** The live session's stop: set while one runs. */
  let stopSession: ((o: Outcome) => void) | undefined;
  let wakeBackoff: (() => void) | undefined;
  /** The current session's reorder budget (UDP), undefined over TCP. */
  let jitterLatency: number | undefined;
  /** The last sender report of the source now playing: maps its RTP timestamps to its wall clock. */
  let sr: { ssrc: number; wallMs: number; rtp: number } | undefined;
  /** SSRC of the RTP now arriving: an SR of another source (a previous session's) must not map it. */
  let rtpSsrc: number | undefined;

  /** Clock time the bytes now being handled were handed to us by the socket (network arrival). */
  let arrival = 0;
  const emit = (): void => {
    for (const u of units) {
      if (numBuffers >= 0 && counters.units >= numBuffers) break;
      if (base === undefined || u.epoch !== epoch) {
        // As rtspsrc: the first unit of a session is stamped with its arrival running time, so that sinks
        // syncing on the clock see it on time, and a reconnection's gap shows in pts; never backwards.
        // Over UDP the jitter buffer may hold a unit up to `latency`: that is added, as GStreamer's
        // pipeline latency, so that the units it held are not late for the sink.
        const arrival = clock.now() - ctx.baseTime + (jitterLatency ?? 0);
        const start = base === undefined ? Math.max(0, arrival) : Math.max(arrival, lastPts + MILLISECOND);
        base = u.timestamp - nsToTicks(start, clockRate);
        epoch = u.epoch;
      }
      const pts = ticksToNs(u.timestamp - base, clockRate);
      lastPts = Math.max(lastPts, pts);
      let flags = 0;
      if (u.keyframe) flags |= PacketFlags.KEYFRAME;
      if (u.discont || discontNext) flags |= PacketFlags.DISCONT;
      if (u.corrupt) flags |= PacketFlags.CORRUPT;
      discontNext = false;
      let captureTime = clock.now();
      if (sr && sr.ssrc === rtpSsrc) {
        // The sender's wall clock at capture, moved onto the pipeline clock (same host or NTP-synced hosts).
        const wallMs = sr.wallMs + (tsDiff(sr.rtp, u.timestamp % 0x1_0000_0000) * 1000) / clockRate;
        captureTime = clock.now() - Math.round((performance.timeOrigin + performance.now() - wallMs) * NS_PER_MS);
      }
      // receiveTime: when the bytes completing the unit arrived, to tell network from pipeline latency.
      const meta: PacketMeta = { captureTime, receiveTime: arrival };
      buffer.push({ caps, pts, dts: undefined, duration: undefined, flags, memory: cpuMemory(u.data), meta });
      counters.units++;
    }
    units.length = 0;
    if (numBuffers >= 0 && counters.units >= numBuffers) stopSession?.({ kind: 'eos' });
  };
  const depayPush = (data: Uint8Array): void => {
    const c = depay.counters;
    // Two sums, not a copy of the counters per packet.
    const corruptBefore = c.lost + c.invalid;
    const policyBefore = c.dropped + c.ignored;
    depay.push(data, units);
    const corrupt = c.lost + c.invalid - corruptBefore;
    if (corrupt > 0) ctx.report.drop('corrupt', corrupt);
    const policy = c.dropped + c.ignored - policyBefore;
    if (policy > 0) ctx.report.drop('policy', policy);
    if (units.length) emit();
  };
  const onRtcp = (data: Uint8Array, client: RtspClient, rr: RtcpReceiver | undefined, now: number): void => {
    if (!looksLikeRtcp(data)) return;
    const packets = parseRtcp(data).packets;
    rr?.rtcp(packets, data.length, now);
    for (const p of packets) {
      if (p.type === 'sr') sr = { ssrc: p.ssrc, wallMs: (p.ntpSeconds - NTP_UNIX_OFFSET) * 1000 + (p.ntpFraction / 0x1_0000_0000) * 1000, rtp: p.rtpTimestamp };
      if (p.type === 'bye') {
        depay.flush(units);
        if (units.length) emit();
        client.bye();
      }
    }
  };

  const runSession = (transport: 'tcp' | 'udp'): Promise<Outcome> =>
    new Promise<Outcome>((resolveOutcome) => {
      let conn: TcpConnection | undefined;
      const udp: UdpReceiver[] = [];
      let rtcpSocket: UdpSocket | undefined;
      let rr: RtcpReceiver | undefined;
      let udpTimedOut = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let timerAt = 0;
      let settled = false;
      let played = false;
      let client: RtspClient | undefined;
      const jb = transport === 'udp' ? new JitterBuffer<Uint8Array>({ latency }) : undefined;
      jitterLatency = jb ? latency : undefined;
      counters.sessions++;
      sr = undefined;
      rtpSsrc = undefined;

      /** An RR (+ BYE when leaving) to the server: over UDP from our RTCP port to its, else interleaved. */
      const sendReport = (now: number, bye: boolean): void => {
        if (!rr || !client) return;
        const data = rr.report(now, bye);
        counters.receiverReports++;
        counters.rtcpSsrc = rr.ssrc;
        const t = client.transport;
        if (transport === 'udp') {
          const port = t?.serverPort?.[1];
          if (rtcpSocket && port !== undefined) rtcpSocket.send(data, port, t?.source ?? parseRtspUrl(options.location).host, () => undefined);
        } else {
          const framed = client.interleavedRtcp(data);
          if (framed) conn?.write(framed);
        }
      };
      const finish = (o: Outcome): void => {
        if (settled) return;
        settled = true;
        stopSession = undefined;
        if (timer) clearTimeout(timer);
        const closing = [conn?.close(), ...udp.map((s) => s.close()), closeDgram(rtcpSocket)];
        Promise.all(closing).then(
          () => resolveOutcome(o),
          () => resolveOutcome(o),
        );
      };
      const drainJitter = (now: number): void => {
        if (!jb) return;
        for (let o = jb.nextOutput(now); o; o = jb.nextOutput(now)) depayPush(o.item);
      };
      const pump = (): void => {
        if (settled || !client) return;
        const now = monoNow();
        for (let b = client.pollTransmit(); b; b = client.pollTransmit()) conn?.write(b);
        for (let e: RtspClientEvent | undefined = client.nextEvent(); e; e = client.nextEvent()) {
          if (settled) return;
          switch (e.type) {
            case 'described': {
              const pt = e.stream.payloadType;
              depay.setPayloadType(pt);
              if (e.stream.parameterSets.length) depay.setParameterSets(e.stream.parameterSets);
              const r = e.stream.caps.get('clock-rate');
              clockRate = typeof r === 'number' && r > 0 ? r : 90000;
              rr = new RtcpReceiver({ cname, clockRate });
              break;
            }
            case 'playing':
              played = true;
              ctx.log('info', `playing ${client.url.uri} over ${transport.toUpperCase()}`);
              break;
            case 'rtp':
              if (looksLikeRtp(e.data)) {
                // Statistics at arrival, before any reordering: A.8's jitter is about the network.
                rr?.rtp(e.data, now);
                rtpSsrc = peekSsrc(e.data);
              }
              if (jb) {
                if (looksLikeRtp(e.data)) {
                  const first = jb.counters.received === 0;
                  const r = jb.insert(peekSeq(e.data), e.data, now);
                  if (r === 'late' || r === 'duplicate') ctx.report.drop('late');
                  // The jitter buffer holds its first packet for `latency`, in case an earlier one was
                  // overtaken. When that packet starts a keyframe, nothing earlier is of use (the
                  // depayloader starts at an IDR): release it at once, or the first units are late by up
                  // to `latency` (what SR-derived capture times showed for UDP).
                  if (first && startsKeyframe(e.data)) for (const o of jb.drain()) depayPush(o.item);
                }
                drainJitter(now);
              } else depayPush(e.data);
              break;
            case 'rtcp':
              onRtcp(e.data, client, rr, now);
              break;
            case 'udp-timeout':
              udpTimedOut = true;
              ctx.log('warn', `no RTP over UDP ${Math.round(e.after / MILLISECOND)} ms after PLAY; tearing down to play over TCP`);
              break;
            case 'error':
              return finish({ kind: 'error', error: e.error, played });
            case 'closed':
              return finish(udpTimedOut ? { kind: 'fallback' } : { kind: 'eos' });
          }
          // A unit may have reached num-buffers: stop feeding this session.
          if (settled) return;
        }
        for (let b = client.pollTransmit(); b; b = client.pollTransmit()) conn?.write(b);
        let deadline = client.pollTimeout();
        const jt = jb?.pollTimeout();
        if (jt !== undefined && (deadline === undefined || jt < deadline)) deadline = jt;
        const rt = client.state === 'playing' ? rr?.pollTimeout() : undefined;
        if (rt !== undefined && (deadline === undefined || rt < deadline)) deadline = rt;
        // Every packet moves the no-media deadline on: a timer already armed no later than the new
        // deadline is kept (firing early is harmless, the machines just answer a later deadline), so
        // that packets do not each cost a clearTimeout and a setTimeout.
        if (timer && deadline !== undefined && timerAt <= deadline) return;
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (deadline !== undefined) {
          timerAt = deadline;
          timer = setTimeout(
            () => {
              timer = undefined;
              const t = monoNow();
              if (client?.state === 'playing' && rr?.due(t)) sendReport(t, false);
              client?.handleTimeout(t);
              drainJitter(t);
              pump();
            },
            Math.max(0, Math.ceil((deadline - now) / NS_PER_MS)),
          );
        }
      };
      stopSession = (o) => {
        if (settled) return;
        if (!client || client.finished || o.kind !== 'eos' || !played) return finish(o);
        // A polite end: our last report with a BYE (6.3.7: only after one report, never from a silent
        // member), then TEARDOWN; close when answered (or after the response timeout).
        const c = client;
        stopSession = finish;
        const bye = rr !== undefined && rr.sent > 0 && c.state === 'playing';
        if (bye) sendReport(monoNow(), true);
        const teardown = (): void => {
          if (settled) return;
          c.teardown(monoNow());
          pump();
          if (c.finished) finish(o);
          else setTimeout(() => finish(o), Math.min(timeout, SECOND) / NS_PER_MS).unref?.();
        };
        // Over UDP the BYE travels apart from the RTSP connection: a TEARDOWN sent at once can reach the
        // server first, and gst-rtsp-server drops the session's RTCP socket with it.
        if (bye && transport === 'udp') setTimeout(teardown, 20);
        else teardown();
      };

      (async () => {
        const url = parseRtspUrl(options.location);
        let clientPorts: [number, number] | undefined;
        if (transport === 'udp') {
          const pair = await bindRtpPair(udp, (kind, data) => {
            arrival = clock.now();
            client?.receiveDatagram(kind, data, monoNow());
            pump();
          });
          clientPorts = pair.ports;
          rtcpSocket = pair.rtcp;
          // Stopped while binding: finish() has closed what existed then, not these.
          if (settled) return void Promise.all([closeDgram(rtcpSocket), ...udp.map((r) => r.close())]);
        }
        const udpTimeout = transport === 'udp' && protocols === 'udp+tcp' ? (options.udpTimeout ?? timeout) : undefined;
        client = new RtspClient({ url: options.location, user: options.userId, password: options.userPw, transport, clientPorts, responseTimeout: timeout, dataTimeout: timeout, udpTimeout });
        conn = await connectTcp({
          host: url.host,
          port: url.port,
          timeoutMs: timeout / NS_PER_MS,
          signal: ctx.signal,
          onData: (d) => {
            arrival = clock.now();
            client?.receive(d, monoNow());
            pump();
          },
          onClose: () => {
            client?.connectionClosed(monoNow());
            pump();
          },
        });
        if (settled) return void conn.close();
        client.start(monoNow());
        pump();
      })().catch((e: Error) => {
        // Connection refused and the like: nothing of the URL's credentials is in node:net's messages.
        finish({ kind: 'error', error: new RtspError('closed', `cannot connect to ${redactUrl(options.location)}: ${e.message}`), played: false });
      });
    });

  const loop = async (): Promise<void> => {
    let attempt = 0;
    let transport: 'tcp' | 'udp' = protocols === 'tcp' ? 'tcp' : 'udp';
    for (;;) {
      if (stopping) return buffer.end();
      const o = await runSession(transport);
      if (o.kind === 'fallback' && !stopping) {
        counters.fallbacks++;
        transport = 'tcp';
        continue;
      }
      if (o.kind !== 'error') return buffer.end();
      if (stopping) return buffer.end();
      const err = o.error;
      if (protocols === 'udp+tcp' && transport === 'udp' && !o.played && err instanceof RtspError && (err.kind === 'unsupported' || err.kind === 'status' || err.kind === 'timeout')) {
        ctx.log('info', `UDP failed (${err.message}); trying TCP`);
        transport = 'tcp';
        continue;
      }
      const fatal = err instanceof RtspError && (err.kind === 'auth' || err.kind === 'unsupported');
      if (o.played) attempt = 0;
      if (fatal || attempt >= retry) return buffer.fail(err);
      attempt++;
      counters.reconnects++;
      // What was lost in between is unknown: the next unit out is DISCONT and the depayloader waits for an IDR.
      discontNext = true;
      const wait = Math.min(backoff * 2 ** (attempt - 1), backoff * 8);
      ctx.log('warn', `${err.message}; reconnecting in ${Math.round(wait / MILLISECOND)} ms (attempt ${attempt} of ${retry})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, wait / NS_PER_MS);
        // Closing or aborting cuts the wait short.
        wakeBackoff = () => (clearTimeout(t), r());
        ctx.signal.addEventListener('abort', wakeBackoff, { once: true });
      });
      wakeBackoff = undefined;
    }
  };
  const running = loop().catch((e) => buffer.fail(e));

  return {
    pull: (signal) => {
      if (ctx.eosRequested && !stopping) {
        stopping = true;
        stopSession?.({ kind: 'eos' });
      }
      return buffer.pull(signal);
    },
    async close() {
      stopping = true;
      stopSession?.({ kind: 'stopped' });
      wakeBackoff?.();
      buffer.end();
      await running;
    },
  };
}

/**
 * Binds RTP on an even port and RTCP on the next one (RFC 3550 11), trying a few random pairs. The RTCP
 * socket also sends our receiver reports, so that they come from the port the server was told about.
 */
async function bindRtpPair(into: UdpReceiver[], onMessage: (kind: 'rtp' | 'rtcp', data: Uint8Array) => void): Promise<{ ports: [number, number]; rtcp: UdpSocket }> {
  let lastError: unknown;
  for (let i = 0; i < 20; i++) {
    const port = 2 * Math.floor(10000 + Math.random() * 20000);
    let rtp: UdpReceiver | undefined;
    try {
      rtp = await openUdpReceiver({ port, address: '0.0.0.0', bufferSize: 2 * 1024 * 1024, onMessage: (d) => onMessage('rtp', d) });
      const rtcp = await bindDgram(port + 1, (d) => onMessage('rtcp', d));
      into.push(rtp);
      return { ports: [port, port + 1], rtcp };
    } catch (e) {
      lastError = e;
      await rtp?.close();
    }
  }
  throw lastError instanceof Error ? lastError : new Error('no free UDP port pair');
}

function bindDgram(port: number, onMessage: (d: Uint8Array) => void): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4' });
    s.once('error', (e) => {
      s.close();
      reject(e);
    });
    s.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
      s.removeAllListeners('error');
      // A send error (ICMP unreachable) must not crash the process: reports are best effort.
      s.on('error', () => undefined);
      s.on('message', (m: Buffer) => onMessage(new Uint8Array(m.buffer, m.byteOffset, m.byteLength)));
      resolve(s);
    });
  });
}

function closeDgram(s: UdpSocket | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!s) return resolve();
    try {
      s.close(() => resolve());
    } catch {
      // Already closed.
      resolve();
    }
  });
}

/** Whether an H.264 RTP packet (RFC 6184) begins a keyframe: SPS or IDR, alone, first in a STAP-A, or an FU-A start. */
function startsKeyframe(data: Uint8Array): boolean {
  const p = parseRtp(data);
  if (p instanceof RtpError || p.payload.length < 2) return false;
  const b = p.payload;
  const type = b[0] & 0x1f;
  if (type === 7 || type === 5) return true;
  if (type === 24) return b.length >= 4 && ((b[3] & 0x1f) === 7 || (b[3] & 0x1f) === 5);
  if (type === 28) return (b[1] & 0x80) !== 0 && (b[1] & 0x1f) === 5;
  return false;
}

const ms = (v: number | undefined): number | undefined => (v === undefined ? undefined : v * MILLISECOND);

/** Launch-syntax entry. user-pw is never printed; prefer it (or an environment-built line) to user:pass@ URLs. */
export const rtspSrcEntry: ElementEntry = {
  name: 'rtspSrc',
  kind: 'source',
  description: 'Plays an H.264 stream from an RTSP server (RTP over TCP or UDP, Basic/Digest auth, reconnection) as access units (GStreamer rtspsrc ! rtph264depay)',
  caps: { src: SRC_CAPS.toString() },
  properties: [
    { name: 'location', type: 'string', description: 'rtsp://[user:password@]host[:port]/path' },
    { name: 'protocols', type: 'enum', values: ['tcp', 'udp', 'udp+tcp'], default: 'tcp', description: 'Lower transport: RTP interleaved on the RTSP connection, UDP, or UDP then TCP' },
    { name: 'latency', type: 'uint', default: 200, description: 'Milliseconds to wait for reordered UDP packets' },
    { name: 'user-id', type: 'string', description: 'User name for authentication' },
    { name: 'user-pw', type: 'string', description: 'Password for authentication (never printed)' },
    { name: 'timeout', type: 'uint', default: 5000, description: 'Milliseconds without a response or media before the session fails' },
    { name: 'udp-timeout', type: 'uint', default: 5000, description: 'With udp+tcp: milliseconds without RTP after PLAY before playing over TCP instead (default: timeout)' },
    { name: 'retry', type: 'uint', default: 0, description: 'Reconnection attempts after a failure' },
    { name: 'backoff', type: 'uint', default: 250, description: 'Milliseconds before the first reconnection, doubled per attempt (up to 8×)' },
    { name: 'num-buffers', type: 'int', default: -1, description: 'Access units before end-of-stream (-1 = until the server ends)' },
  ],
  create: (p) => {
    if (p.location === undefined) throw new RangeError('rtspSrc needs location=rtsp://…');
    return rtspSrc({
      name: p.name,
      location: p.location,
      protocols: p.protocols,
      latency: ms(p.latency),
      userId: p['user-id'],
      userPw: p['user-pw'],
      timeout: ms(p.timeout || undefined),
      udpTimeout: ms(p['udp-timeout'] || undefined),
      retry: p.retry,
      backoff: ms(p.backoff),
      numBuffers: p['num-buffers'],
    });
  },
};
