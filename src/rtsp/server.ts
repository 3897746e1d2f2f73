/**
 * One RTSP server connection (RFC 2326), sans-IO: requests in as bytes, responses out through
 * `pollTransmit`, decisions out through `nextEvent` (a client asks to play: the driver starts sending it
 * media). Mounts are looked up by path (each with one or more streams, `stream=N` in the SDP: video and
 * audio), a session sets up any of them, each over TCP interleaved or UDP unicast, requests other than OPTIONS may need authentication (RtspServerAuth). The media itself is the
 * driver's: `interleave` frames RTP and RTCP for the connection.
 *
 * Abuse: a request must arrive whole within `requestTimeout` (the first one counted from `now`, the
 * accept), a connection with no session is closed after `idleTimeout` without a request, and an HTTP
 * request line (RTSP-over-HTTP tunnelling, a browser, a scanner) is answered in HTTP, then closed.
 */
import { randomUint32 } from '../rtp/random';
import { G2gError } from '../errors';
import { SECOND } from '../time';
import { utf8Encode } from '../util/utf8';
import { RtspParseError, RtspParser, serializeInterleaved, serializeResponse, type RtspParserLimits, type RtspRequest } from './message';
import type { AuthFailure, AuthMethod, RtspServerAuth } from './server-auth';
import { formatTransport, parseTransport, type TransportSpec } from './transport';

export type RtspServerEvent =
  | {
      readonly type: 'play';
      readonly session: string;
      /** The transport of the first stream set up. */
      readonly transport: TransportSpec;
      /** Every stream set up (index of `stream=N`) and its transport. */
      readonly transports: ReadonlyMap<number, TransportSpec>;
      /** The mount played. */ readonly path: string;
    }
  | {
      readonly type: 'teardown';
      readonly session: string;
      readonly path: string;
    }
  /** A request was authenticated (first time on the connection) or refused (each time); never a password. */
  | {
      readonly type: 'auth';
      readonly ok: boolean;
      readonly method?: AuthMethod;
      readonly user?: string;
      readonly reason?: AuthFailure;
    }
  /** The connection must close: a framing error, an HTTP request, or a timeout (which one in `timeout`). */
  | {
      readonly type: 'close';
      readonly reason: string;
      readonly timeout?: RtspServerTimeout;
    };

/** Which limit closed a connection: a request too slow to arrive, no request without a session, a silent session. */
export type RtspServerTimeout = 'request' | 'idle' | 'session';

/** A bad server option. */
export class RtspServerError extends G2gError {
  constructor(message: string) {
    super('RTSP_SERVER', message);
  }
  override readonly name = 'RtspServerError';
}

/**
 * A whole request within 20 s: Apache's mod_reqtimeout default for headers (nginx's client_header_timeout
 * is 60 s). Real clients send a request in one segment; only a broken or hostile one needs seconds.
 */
export const DEFAULT_REQUEST_TIMEOUT = 20 * SECOND;
/** A connection with no session gets as long without a request as a session gets without a keep-alive. */
export const DEFAULT_IDLE_TIMEOUT = 60 * SECOND;
/** gst-rtsp-server's session timeout. */
export const DEFAULT_SESSION_TIMEOUT = 60 * SECOND;

/** What a connection needs of a mount. */
export interface RtspServerMount {
  /** The SDP of the mount (called per DESCRIBE: parameter sets may arrive late). */
  readonly sdp: () => string;
  /** The mount's own authentication, instead of the connection's. */
  readonly auth?: RtspServerAuth;
  /** Streams of the mount (`a=control:stream=0`, `stream=1`…; default 1). */
  readonly streams?: () => number;
}

export interface RtspServerConnectionOptions {
  /** One mount: its path, e.g. '/stream' (with `sdp`); or give `mounts`. */
  readonly path?: string;
  /** The SDP of the one mount at `path`. */
  readonly sdp?: () => string;
  /** The mount at a path (no trailing slash), undefined for none: 404. */
  readonly mounts?: (path: string) => RtspServerMount | undefined;
  /** Authentication of every request but OPTIONS (mounts may have their own). */
  readonly auth?: RtspServerAuth;
  /** Session id (default: random hex). */
  readonly sessionId?: () => string;
  /** The server's RTP and RTCP ports, for UDP transports. */
  readonly serverPorts?: readonly [number, number];
  /** Session timeout announced and enforced (ns, default 60 s). */
  readonly sessionTimeout?: number;
  /** A request must be whole this long (ns) after its first byte, the first one this long after `now` (default 20 s; 0: no limit). */
  readonly requestTimeout?: number;
  /** With no session and no request under way, close this long (ns) after the last request (default 60 s; 0: never). */
  readonly idleTimeout?: number;
  /** When the connection was accepted: the first request's timeout runs from here (default 0). */
  readonly now?: number;
  readonly limits?: RtspParserLimits;
}

const PUBLIC = 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER';
const IMPLEMENTED = new Set(PUBLIC.split(', '));
/** RFC 2326's methods: those not implemented are 405 with Allow (10, 11.3.6); any other is 501 (11.3.14). */
const RTSP_METHODS = new Set([...IMPLEMENTED, 'ANNOUNCE', 'PAUSE', 'RECORD', 'REDIRECT']);
/** `GET /x HTTP/1.1`: the request line of HTTP (any method, any version). */
const HTTP_REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP\/\d\.\d\r?$/;
/** How much of the first line is looked at to tell HTTP from RTSP. */
const SNIFF_BYTES = 4096;
const HTTP_BODY = 'This is an RTSP server (rtsp://); RTSP over HTTP is not supported.\r\n';

function pathOf(uri: string): string {
  const m = /^rtsps?:\/\/[^/]*(\/[^?#]*)?/i.exec(uri);
  if (m) return m[1] ?? '/';
  return uri.startsWith('/') ? uri.split('?')[0] : '';
}

/** The mount a request path names: the aggregate URL or a stream's control URL below it. */
function mountOf(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/stream=\d+$/, '');
}

/** The stream a SETUP path names (`…/stream=N`); undefined for the aggregate URL. */
function streamOf(path: string): number | undefined {
  const m = /\/stream=(\d{1,3})\/*$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

export class RtspServerConnection {
  private readonly parser: RtspParser;
  private readonly out: Uint8Array[] = [];
  private readonly events: RtspServerEvent[] = [];
  private readonly timeout: number;
  private readonly requestTimeout: number;
  private readonly idleTimeout: number;
  /** When the request under way began (its first byte, or the accept for the first); undefined between requests. */
  private requestStart: number | undefined;
  /** When the last whole request arrived (or the accept). */
  private lastRequest: number;
  /** The start of the connection's first line while it is not yet known to be RTSP or HTTP; then undefined. */
  private firstLine: string | undefined = '';
  private session: string | undefined;
  /** Each stream set up, by index. */
  private readonly transports = new Map<number, TransportSpec>();
  private playing = false;
  private closed = false;
  private lastSeen = 0;
  /** The mount the session was set up on. */
  private sessionPath: string | undefined;
  /** The Digest nonce this connection authenticated with: it stays good for the connection's life. */
  private authNonce: string | undefined;
  private authenticated = false;
  private readonly resolve: (path: string) => RtspServerMount | undefined;

  constructor(readonly options: RtspServerConnectionOptions) {
    this.parser = new RtspParser(options.limits);
    this.timeout = options.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT;
    this.requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
    this.idleTimeout = options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    this.requestStart = this.lastRequest = this.lastSeen = options.now ?? 0;
    if (options.mounts) this.resolve = options.mounts;
    else if (options.path !== undefined && options.sdp) {
      const one = mountOf(options.path);
      const mount = { sdp: options.sdp };
      this.resolve = (p) => (p === one ? mount : undefined);
    } else throw new TypeError('RtspServerConnection needs `mounts`, or `path` and `sdp`');
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  /** The first stream's transport (undefined before SETUP). */
  get sessionTransport(): TransportSpec | undefined {
    return this.firstTransport();
  }

  /** Every stream set up, by index. */
  get sessionTransports(): ReadonlyMap<number, TransportSpec> {
    return this.transports;
  }

  private firstTransport(): TransportSpec | undefined {
    const first = Math.min(...this.transports.keys());
    return this.transports.get(first);
  }

  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  nextEvent(): RtspServerEvent | undefined {
    return this.events.shift();
  }

  /** The next deadline: the request under way, else the idle connection's; and the session's (no request or RTCP from the client). */
  pollTimeout(): number | undefined {
    if (this.closed) return undefined;
    const request = this.requestDeadline();
    const other = this.session !== undefined ? this.lastSeen + this.timeout : this.idleDeadline();
    return request === undefined ? other : other === undefined ? request : Math.min(request, other);
  }

  handleTimeout(now: number): void {
    if (this.closed) return;
    const request = this.requestDeadline();
    const idle = this.idleDeadline();
    if (request !== undefined && now >= request) {
      // No CSeq to echo: the request never arrived whole.
      this.out.push(serializeResponse(408, 'Request Timeout', [['Connection', 'close']]));
      this.close('request timed out', 'request');
    } else if (this.session !== undefined && now >= this.lastSeen + this.timeout) this.close(`session ${this.session} timed out`, 'session');
    else if (idle !== undefined && now >= idle) this.close('idle', 'idle');
  }

  private requestDeadline(): number | undefined {
    return this.requestStart !== undefined && this.requestTimeout > 0 ? this.requestStart + this.requestTimeout : undefined;
  }

  /** Only between requests and without a session: a session has its own timeout. */
  private idleDeadline(): number | undefined {
    return this.session === undefined && this.requestStart === undefined && this.idleTimeout > 0 ? this.lastRequest + this.idleTimeout : undefined;
  }

  /** The first stream's interleaved channels: RTP, RTCP (0/1 by default). */
  get interleavedChannels(): readonly [number, number] {
    return this.firstTransport()?.interleaved ?? [0, 1];
  }

  /** RTP or RTCP of a stream (default the first set up) for the connection, framed for its interleaved channels. */
  interleave(kind: 'rtp' | 'rtcp', data: Uint8Array, stream?: number): Uint8Array {
    const t = stream === undefined ? this.firstTransport() : this.transports.get(stream);
    const ch = t?.interleaved ?? [0, 1];
    return serializeInterleaved(kind === 'rtp' ? ch[0] : ch[1], data);
  }

  /** A datagram from the client's RTCP port (receiver reports) keeps the session alive. */
  noteActivity(now: number): void {
    this.lastSeen = now;
  }

  receive(bytes: Uint8Array, now: number): void {
    if (this.closed || bytes.length === 0) return;
    this.lastSeen = now;
    if (this.firstLine !== undefined && this.sniff(bytes)) return;
    this.parser.push(bytes);
    let start = this.requestStart ?? now;
    for (let m = this.parser.next(); m && !this.closed; m = this.parser.next()) {
      if (m instanceof RtspParseError) {
        this.out.push(serializeResponse(400, 'Bad Request', [['Connection', 'close']]));
        // Not the message: it quotes the request, which may carry credentials.
        return this.close('bad request');
      }
      // Whatever follows in these bytes is a new request, begun now.
      start = now;
      if (m.kind === 'request') {
        this.lastRequest = now;
        this.request(m);
      }
      // Interleaved frames from the client are its RTCP receiver reports: liveness only.
    }
    this.requestStart = this.parser.buffered > 0 ? start : undefined;
  }

  /**
   * Looks at the connection's first line until it is whole: an HTTP request line gets an HTTP answer (an
   * RTSP status line means nothing to an HTTP client) and the connection closes. True when it did.
   */
  private sniff(bytes: Uint8Array): boolean {
    let line = this.firstLine!;
    for (let i = 0; i < bytes.length && line.length < SNIFF_BYTES; i++) line += String.fromCharCode(bytes[i]);
    line = line.replace(/^[\r\n]+/, ''); // empty lines before a message are allowed (RFC 2616 4.1)
    const lf = line.indexOf('\n');
    if (lf < 0 && line.length < SNIFF_BYTES && !line.startsWith('$')) {
      this.firstLine = line;
      return false;
    }
    this.firstLine = undefined;
    if (lf < 0 || !HTTP_REQUEST_LINE.test(line.slice(0, lf))) return false;
    const head = `HTTP/1.1 501 Not Implemented\r\nServer: glass2glass\r\nContent-Type: text/plain\r\nContent-Length: ${HTTP_BODY.length}\r\nConnection: close\r\n\r\n`;
    this.out.push(utf8Encode(head + HTTP_BODY));
    this.close('HTTP request');
    return true;
  }

  private close(reason: string, timeout?: RtspServerTimeout): void {
    if (this.closed) return;
    this.closed = true;
    this.playing = false;
    this.events.push(timeout ? { type: 'close', reason, timeout } : { type: 'close', reason });
  }

  private reply(req: RtspRequest, status: number, reason: string, headers: (readonly [string, string])[] = [], body?: string): void {
    const cseq = req.headers.get('cseq') ?? '0';
    const h: (readonly [string, string])[] = [
      ['CSeq', /^\d{1,10}$/.test(cseq) ? cseq : '0'],
      ['Server', 'glass2glass'],
    ];
    if (this.session !== undefined && status < 300 && req.method !== 'OPTIONS' && req.method !== 'DESCRIBE')
      h.push(['Session', `${this.session};timeout=${Math.round(this.timeout / SECOND)}`]);
    this.out.push(serializeResponse(status, reason, [...h, ...headers], body));
  }

  private request(req: RtspRequest): void {
    if (req.headers.get('cseq') === undefined) return this.reply(req, 400, 'Bad Request');
    if (req.version !== 'RTSP/1.0') return this.reply(req, 505, 'RTSP Version Not Supported');
    const method = req.method.toUpperCase();
    if (method === 'OPTIONS') return this.reply(req, 200, 'OK', [['Public', PUBLIC]]);
    // Before mounts and authentication: the answer is the same for every path, so it tells nobody anything.
    if (!IMPLEMENTED.has(method))
      return RTSP_METHODS.has(method) ? this.reply(req, 405, 'Method Not Allowed', [['Allow', PUBLIC]]) : this.reply(req, 501, 'Not Implemented');
    const path = mountOf(pathOf(req.uri));
    const mount = this.resolve(path);
    // Authenticate first: an unknown path answers 404 only to those allowed to know which paths exist.
    const auth = mount?.auth ?? this.options.auth;
    if (auth) {
      const r = auth.verify(method, req.uri, req.headers.get('authorization'), this.lastSeen);
      const ok = r.ok || (r.reason === 'stale' && r.nonce !== undefined && r.nonce === this.authNonce);
      if (!ok) {
        if (!r.ok && r.reason !== 'missing' && r.reason !== 'stale') this.events.push({ type: 'auth', ok: false, reason: r.reason });
        return this.reply(
          req,
          401,
          'Unauthorized',
          auth.challenges(this.lastSeen, !r.ok && r.reason === 'stale').map((c) => ['WWW-Authenticate', c] as const)
        );
      }
      if (r.ok && !this.authenticated) {
        this.authenticated = true;
        this.events.push({
          type: 'auth',
          ok: true,
          method: r.method,
          user: r.user,
        });
      }
      if (r.ok && r.nonce) this.authNonce = r.nonce;
    }
    if (!mount) return this.reply(req, 404, 'Not Found');
    if (method !== 'DESCRIBE' && method !== 'SETUP') {
      const s = req.headers.get('session')?.split(';')[0].trim();
      if (this.session === undefined || s !== this.session) return this.reply(req, 454, 'Session Not Found');
      if (path !== this.sessionPath) return this.reply(req, 455, 'Method Not Valid in This State');
    }
    switch (method) {
      case 'DESCRIBE': {
        // Without userinfo: credentials in a URI are never echoed.
        const base = req.uri.replace(/^(rtsps?:\/\/)[^@/]*@/i, '$1').replace(/\/$/, '') + '/';
        return this.reply(
          req,
          200,
          'OK',
          [
            ['Content-Type', 'application/sdp'],
            ['Content-Base', base],
          ],
          mount.sdp()
        );
      }
      case 'SETUP': {
        const s = req.headers.get('session')?.split(';')[0].trim();
        if (this.session !== undefined && (s !== this.session || path !== this.sessionPath)) return this.reply(req, 459, 'Aggregate Operation Not Allowed');
        const stream = streamOf(pathOf(req.uri)) ?? 0;
        if (stream >= (mount.streams?.() ?? 1)) return this.reply(req, 404, 'Not Found');
        const t = parseTransport(req.headers.get('transport') ?? '');
        if (!t || !t.unicast) return this.reply(req, 461, 'Unsupported Transport');
        let chosen: TransportSpec;
        if (t.protocol === 'RTP/AVP/TCP') {
          const interleaved = t.interleaved ?? ([2 * stream, 2 * stream + 1] as const);
          // Two streams on one channel could not be told apart.
          for (const [i, o] of this.transports)
            if (i !== stream && o.interleaved?.some((ch) => interleaved.includes(ch))) return this.reply(req, 461, 'Unsupported Transport');
          chosen = { protocol: t.protocol, unicast: true, interleaved };
        } else if (t.clientPort && this.options.serverPorts)
          chosen = {
            protocol: 'RTP/AVP',
            unicast: true,
            clientPort: t.clientPort,
            serverPort: this.options.serverPorts,
          };
        else return this.reply(req, 461, 'Unsupported Transport');
        this.session ??= this.options.sessionId?.() ?? randomId();
        this.sessionPath = path;
        this.transports.set(stream, chosen);
        return this.reply(req, 200, 'OK', [['Transport', formatTransport(chosen)]]);
      }
      case 'PLAY':
        if (this.transports.size === 0) return this.reply(req, 455, 'Method Not Valid in This State');
        this.reply(req, 200, 'OK', [['Range', 'npt=now-']]);
        if (!this.playing) {
          this.playing = true;
          this.events.push({
            type: 'play',
            session: this.session!,
            transport: this.firstTransport()!,
            transports: new Map(this.transports),
            path,
          });
        }
        return;
      case 'TEARDOWN':
        this.reply(req, 200, 'OK');
        this.playing = false;
        this.events.push({ type: 'teardown', session: this.session!, path });
        this.session = undefined;
        this.sessionPath = undefined;
        this.transports.clear();
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
