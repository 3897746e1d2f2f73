import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { ElementReporter } from '../../../src/element';
import { JitterBuffer } from '../../../src/rtp/jitter-buffer';
import { looksLikeRtp, parseRtp, peekSeq, RtpError } from '../../../src/rtp/rtp-packet';
import type { RtspClient } from '../../../src/rtsp/client';
import type { TcpConnection } from '../../drivers/tcp';
import { openUdpReceiver, type UdpReceiver } from '../../drivers/udp';

/**
 * The lower transports: RTP interleaved on the RTSP connection (TCP) or on a UDP port pair, and when
 * 'udp+tcp' gives UDP up for TCP. Everything that differs between the two lives here, so that the
 * session's request sequence reads the same for both.
 */

// The transport decisions are sans-IO (src/rtsp/session/transport-policy.ts); re-exported for the driver.
import type { Transport } from '../../../src/rtsp/session/transport-policy';
export { firstTransport, udpFailureFallsBack, udpTimeoutFor, type RtspProtocols, type Transport } from '../../../src/rtsp/session/transport-policy';

/** How RTP reaches the depayloader: reordered over UDP, as it comes over TCP (the connection keeps order). */
export interface RtpPath {
  /** The reorder budget (ns) a unit may be held for: UDP's `latency`, 0 over TCP. */
  readonly latency: number;
  rtp(data: Uint8Array, now: number): void;
  /** Releases what the jitter buffer has held long enough. */
  drain(now: number): void;
  /** When `drain` next has work. */
  pollTimeout(): number | undefined;
}

export function rtpPath(transport: Transport, latency: number, push: (rtp: Uint8Array) => void, report: ElementReporter): RtpPath {
  if (transport === 'tcp')
    return {
      latency: 0,
      rtp: (data) => push(data),
      drain: () => undefined,
      pollTimeout: () => undefined,
    };
  const jb = new JitterBuffer<Uint8Array>({ latency });
  const drain = (now: number): void => {
    for (let o = jb.nextOutput(now); o; o = jb.nextOutput(now)) push(o.item);
  };
  return {
    latency,
    rtp(data, now) {
      if (looksLikeRtp(data)) {
        const first = jb.counters.received === 0;
        const r = jb.insert(peekSeq(data), data, now);
        if (r === 'late' || r === 'duplicate') report.drop('late');
        // The jitter buffer holds its first packet for `latency`, in case an earlier one was overtaken.
        // When that packet starts a keyframe, nothing earlier is of use (the depayloader starts at an
        // IDR): release it at once, or the first units are late by up to `latency` (what SR-derived
        // capture times showed for UDP).
        if (first && startsKeyframe(data)) for (const o of jb.drain()) push(o.item);
      }
      drain(now);
    },
    drain,
    pollTimeout: () => jb.pollTimeout(),
  };
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

/** Our RTCP to the server: over UDP from our RTCP port (the one SETUP named) to its, else interleaved on the connection. */
export function sendRtcp(
  data: Uint8Array,
  transport: Transport,
  client: RtspClient,
  conn: TcpConnection | undefined,
  rtcpSocket: UdpSocket | undefined,
  host: string
): void {
  const t = client.transport;
  if (transport === 'udp') {
    const port = t?.serverPort?.[1];
    // The port and source are the server's word (Transport): port 0 would throw in send(), and a report
    // is best effort, so one that cannot go is not sent (a bad address fails in the callback, ignored).
    if (!rtcpSocket || port === undefined || port < 1 || port > 65535) return;
    try {
      rtcpSocket.send(data, port, t?.source ?? host, () => undefined);
    } catch {
      // A closed socket or an address node:dgram refuses outright: the report is lost, the session goes on.
    }
  } else {
    const framed = client.interleavedRtcp(data);
    if (framed) conn?.write(framed);
  }
}

/**
 * Binds RTP on an even port and RTCP on the next one (RFC 3550 11), trying a few random pairs. The RTCP
 * socket also sends our receiver reports, so that they come from the port the server was told about.
 */
export async function bindRtpPair(
  into: UdpReceiver[],
  onMessage: (kind: 'rtp' | 'rtcp', data: Uint8Array) => void
): Promise<{ ports: [number, number]; rtcp: UdpSocket }> {
  let lastError: unknown;
  for (let i = 0; i < 20; i++) {
    const port = 2 * Math.floor(10000 + Math.random() * 20000);
    let rtp: UdpReceiver | undefined;
    try {
      rtp = await openUdpReceiver({
        port,
        address: '0.0.0.0',
        bufferSize: 2 * 1024 * 1024,
        onMessage: (d) => onMessage('rtp', d),
      });
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

export function closeDgram(s: UdpSocket | undefined): Promise<void> {
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
