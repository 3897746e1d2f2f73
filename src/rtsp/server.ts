/**
 * One RTSP server connection (RFC 2326), sans-IO: requests in as bytes, responses out through
 * `pollTransmit`, decisions out through `nextEvent` (a client asks to play: the driver starts sending it
 * media). One mount, one H.264 stream, sessions over TCP interleaved or UDP unicast. The media itself is
 * the driver's: `interleave` frames RTP and RTCP for the connection.
 */
import { randomUint32 } from '../rtp/random';
import { SECOND } from '../time';
import { RtspParseError, RtspParser, serializeInterleaved, serializeResponse, type RtspParserLimits, type RtspRequest } from './message';
import { formatTransport, parseTransport, type TransportSpec } from './transport';

export type RtspServerEvent =
  | { readonly type: 'play'; readonly session: string; readonly transport: TransportSpec }
  | { readonly type: 'teardown'; readonly session: string }
  /** The connection must close: a framing error or the session timed out. */
  | { readonly type: 'close'; readonly reason: string };

export interface RtspServerConnectionOptions {
  /** The mount path, e.g. '/stream'. */
  readonly path: string;
  /** The SDP of the mount (called per DESCRIBE: parameter sets may arrive late). */
  readonly sdp: () => string;
  /** Session id (default: random hex). */
  readonly sessionId?: () => string;
  /** The server's RTP and RTCP ports, for UDP transports. */
  readonly serverPorts?: readonly [number, number];
  /** Session timeout announced and enforced (ns, default 60 s). */
  readonly sessionTimeout?: number;
  readonly limits?: RtspParserLimits;
}

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

function pathOf(uri: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/[^?#]*)?/i.exec(uri);
  if (m) return m[1] ?? '/';
  return uri.startsWith('/') ? uri.split('?')[0] : '';
}

export class RtspServerConnection {
  private readonly parser: RtspParser;
  private readonly out: Uint8Array[] = [];
  private readonly events: RtspServerEvent[] = [];
  private readonly timeout: number;
  private session: string | undefined;
  private transport: TransportSpec | undefined;
  private playing = false;
  private closed = false;
  private lastSeen = 0;

  constructor(readonly options: RtspServerConnectionOptions) {
    this.parser = new RtspParser(options.limits);
    this.timeout = options.sessionTimeout ?? 60 * SECOND;
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  get sessionTransport(): TransportSpec | undefined {
    return this.transport;
  }

  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  nextEvent(): RtspServerEvent | undefined {
    return this.events.shift();
  }

  /** When the session times out without a request or RTCP from the client. */
  pollTimeout(): number | undefined {
    return this.session !== undefined && !this.closed ? this.lastSeen + this.timeout : undefined;
  }

  handleTimeout(now: number): void {
    if (this.session !== undefined && !this.closed && now >= this.lastSeen + this.timeout) this.close(`session ${this.session} timed out`);
  }

  /** RTP or RTCP for the connection, framed for the session's interleaved channels (0/1 by default). */
  interleave(kind: 'rtp' | 'rtcp', data: Uint8Array): Uint8Array {
    const ch = this.transport?.interleaved ?? [0, 1];
    return serializeInterleaved(kind === 'rtp' ? ch[0] : ch[1], data);
  }

  /** A datagram from the client's RTCP port (receiver reports) keeps the session alive. */
  noteActivity(now: number): void {
    this.lastSeen = now;
  }

  receive(bytes: Uint8Array, now: number): void {
    if (this.closed) return;
    this.lastSeen = now;
    this.parser.push(bytes);
    for (let m = this.parser.next(); m && !this.closed; m = this.parser.next()) {
      if (m instanceof RtspParseError) {
        this.out.push(serializeResponse(400, 'Bad Request', [['Connection', 'close']]));
        return this.close(`bad request: ${m.message}`);
      }
      if (m.kind === 'request') this.request(m);
      // Interleaved frames from the client are its RTCP receiver reports: liveness only.
    }
  }

  private close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.playing = false;
    this.events.push({ type: 'close', reason });
  }

  private reply(req: RtspRequest, status: number, reason: string, headers: (readonly [string, string])[] = [], body?: string): void {
    const cseq = req.headers.get('cseq') ?? '0';
    const h: (readonly [string, string])[] = [['CSeq', /^\d{1,10}$/.test(cseq) ? cseq : '0'], ['Server', 'glass2glass']];
    if (this.session !== undefined && status < 300 && req.method !== 'OPTIONS' && req.method !== 'DESCRIBE') h.push(['Session', `${this.session};timeout=${Math.round(this.timeout / SECOND)}`]);
    this.out.push(serializeResponse(status, reason, [...h, ...headers], body));
  }

  private request(req: RtspRequest): void {
    if (req.headers.get('cseq') === undefined) return this.reply(req, 400, 'Bad Request');
    if (req.version !== 'RTSP/1.0') return this.reply(req, 505, 'RTSP Version Not Supported');
    const method = req.method.toUpperCase();
    if (method === 'OPTIONS') return this.reply(req, 200, 'OK', [['Public', PUBLIC]]);
    const path = pathOf(req.uri).replace(/\/$/, '');
    const mount = this.options.path.replace(/\/$/, '');
    // The aggregate URL or a stream's control URL below it.
    if (path !== mount && path !== `${mount}/stream=0`) return this.reply(req, 404, 'Not Found');
    if (method !== 'DESCRIBE' && method !== 'SETUP') {
      const s = req.headers.get('session')?.split(';')[0].trim();
      if (this.session === undefined || s !== this.session) return this.reply(req, 454, 'Session Not Found');
    }
    switch (method) {
      case 'DESCRIBE': {
        const base = req.uri.replace(/\/$/, '') + '/';
        return this.reply(req, 200, 'OK', [['Content-Type', 'application/sdp'], ['Content-Base', base]], this.options.sdp());
      }
      case 'SETUP': {
        const s = req.headers.get('session')?.split(';')[0].trim();
        if (this.session !== undefined && s !== this.session) return this.reply(req, 459, 'Aggregate Operation Not Allowed');
        const t = parseTransport(req.headers.get('transport') ?? '');
        if (!t || !t.unicast) return this.reply(req, 461, 'Unsupported Transport');
        let chosen: TransportSpec;
        if (t.protocol === 'RTP/AVP/TCP') chosen = { protocol: t.protocol, unicast: true, interleaved: t.interleaved ?? [0, 1] };
        else if (t.clientPort && this.options.serverPorts) chosen = { protocol: 'RTP/AVP', unicast: true, clientPort: t.clientPort, serverPort: this.options.serverPorts };
        else return this.reply(req, 461, 'Unsupported Transport');
        this.session ??= this.options.sessionId?.() ?? randomId();
        this.transport = chosen;
        return this.reply(req, 200, 'OK', [['Transport', formatTransport(chosen)]]);
      }
      case 'PLAY':
        if (!this.transport) return this.reply(req, 455, 'Method Not Valid in This State');
        this.reply(req, 200, 'OK', [['Range', 'npt=now-']]);
        if (!this.playing) {
          this.playing = true;
          this.events.push({ type: 'play', session: this.session!, transport: this.transport });
        }
        return;
      case 'TEARDOWN':
        this.reply(req, 200, 'OK');
        this.playing = false;
        this.events.push({ type: 'teardown', session: this.session! });
        this.session = undefined;
        this.transport = undefined;
        return;
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.reply(req, 200, 'OK');
      default:
        return this.reply(req, 405, 'Method Not Allowed', [['Allow', PUBLIC]]);
    }
  }
}

/** 64 random bits: a session id must not be guessable (RFC 2326 12.37). */
function randomId(): string {
  return randomUint32().toString(16).padStart(8, '0') + randomUint32().toString(16).padStart(8, '0');
}
