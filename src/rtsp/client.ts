import { G2gError } from '../errors';
/**
 * RTSP client (RFC 2326) as a sans-IO state machine, in the style of h11 and quinn-proto: the driver
 * feeds it bytes and the time (`receive`, `receiveDatagram`, `handleTimeout`), sends what `pollTransmit`
 * gives, sleeps until `pollTimeout`, and acts on `nextEvent`. It never touches a socket or a timer, so it
 * runs anywhere and tests drive it byte by byte with a fake clock. One H.264 video stream per session.
 * Credentials never leave it except inside Authorization headers: URLs in events and errors are redacted.
 */
import { utf8Decode } from '../util/utf8';
import { randomUint32 } from '../rtp/random';
import { parseSdp, sdpStream, SdpError, type SdpStream, type SessionDescription } from '../rtp/sdp';
import { MILLISECOND, SECOND } from '../time';
import { authorization, chooseChallenge, parseChallenges, RtspAuthError, type AuthChallenge, type Credentials, type DigestState } from './auth';
import {
  RtspHeaders,
  RtspParseError,
  RtspParser,
  serializeInterleaved,
  serializeRequest,
  serializeResponse,
  type RtspParserLimits,
  type RtspResponse,
} from './message';
import { formatTransport, parseTransport, type TransportSpec } from './transport';
import { parseRtspUrl, type RtspUrl } from './url';

export type RtspErrorKind = 'auth' | 'status' | 'timeout' | 'protocol' | 'closed' | 'unsupported';

export class RtspError extends G2gError {
  override readonly name = 'RtspError';
  constructor(readonly kind: RtspErrorKind, message: string, readonly status?: number, options?: { cause?: unknown }) {
    super('RTSP', message, options);
  }
}

/** What cannot be in a request line or header value: a space would split it, CR/LF/NUL end or forge it. */
const NOT_IN_URI = /[\s\x00-\x1f\x7f]/;

/** A server's value as an error message shows it: at most 80 characters, control characters escaped. */
function show(s: string): string {
  const cut = s.length > 80 ? `${s.slice(0, 80)}…` : s;
  return cut.replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export type RtspClientState = 'init' | 'options' | 'describe' | 'setup' | 'play' | 'playing' | 'teardown' | 'closed' | 'failed';
/** What moves the client's state machine: the caller starting, a reply succeeding, teardown, the server's BYE, a failure. */
export type RtspClientInput = 'start' | 'ok' | 'teardown' | 'bye' | 'fail';

/** Every legal transition; anything else is a bug in the machine (it throws). */
export const TRANSITIONS: Readonly<Record<RtspClientState, Readonly<Partial<Record<RtspClientInput, RtspClientState>>>>> = {
  init: { start: 'options', teardown: 'closed', fail: 'failed' },
  options: { ok: 'describe', teardown: 'closed', fail: 'failed' },
  describe: { ok: 'setup', teardown: 'closed', fail: 'failed' },
  setup: { ok: 'play', teardown: 'teardown', fail: 'failed' },
  play: { ok: 'playing', teardown: 'teardown', fail: 'failed' },
  playing: { teardown: 'teardown', bye: 'closed', fail: 'failed' },
  teardown: { ok: 'closed', fail: 'closed', teardown: 'teardown' },
  closed: { teardown: 'closed', fail: 'closed', bye: 'closed' },
  failed: { teardown: 'failed', fail: 'failed', bye: 'failed' },
};

export type RtspClientEvent =
  | {
      readonly type: 'described';
      readonly sdp: SessionDescription;
      /** The first stream set up. */
      readonly stream: SdpStream;
      /** Every stream set up, in order (media=all: video, then audio); their index is the `stream` of 'rtp' and 'rtcp' events. */
      readonly streams: readonly SdpStream[];
      readonly control: string;
    }
  | {
      readonly type: 'playing';
      readonly transport: TransportSpec;
      readonly session: string;
    }
  | { readonly type: 'rtp'; readonly data: Uint8Array; readonly stream: number }
  | { readonly type: 'rtcp'; readonly data: Uint8Array; readonly stream: number }
  | { readonly type: 'error'; readonly error: RtspError }
  /** UDP was set up and played but no RTP came within `udpTimeout`: a TEARDOWN is on its way ('closed' follows); set up again over TCP. */
  | { readonly type: 'udp-timeout'; readonly after: number }
  | { readonly type: 'closed' };

export interface RtspClientOptions {
  /** rtsp://[user[:password]@]host[:port]/path */
  readonly url: string;
  /** Override the URL's credentials. */
  readonly user?: string;
  readonly password?: string;
  /** 'tcp': RTP interleaved on the RTSP connection; 'udp': to `clientPorts`. */
  readonly transport?: 'tcp' | 'udp';
  /** Which streams of the session to play: the H.264 video (default), the AAC/Opus audio, or all (video then audio; those there are). */
  readonly media?: 'video' | 'audio' | 'all';
  /** RTP and RTCP ports bound by the driver, for 'udp'. */
  readonly clientPorts?: readonly [number, number];
  /** media=all over 'udp': a port pair per stream (the first is `clientPorts`'s). */
  readonly streamPorts?: readonly (readonly [number, number])[];
  /** A response later than this (ns) fails the session (default 10 s). */
  readonly responseTimeout?: number;
  /** No RTP or RTCP for this long (ns) while playing fails the session (default 5 s; 0 = never). */
  readonly dataTimeout?: number;
  /**
   * Transport 'udp': no RTP this long (ns) after PLAY means UDP does not get through (a firewall, a NAT):
   * the session is torn down with a 'udp-timeout' event, for the driver to retry over TCP. 0 or absent: never.
   */
  readonly udpTimeout?: number;
  /** Keep-alive period (ns); default half the session timeout the server announces (60 s if none). */
  readonly keepAlive?: number;
  readonly userAgent?: string;
  readonly limits?: RtspParserLimits;
  /** Client nonce for Digest (default random). */
  readonly cnonce?: () => string;
}

interface Pending {
  readonly method: string;
  readonly uri: string;
  readonly extra: readonly (readonly [string, string])[];
  cseq: number;
  sentAt: number;
  /** Sent with an Authorization header. */
  authorized: boolean;
  /** Already resent once for a stale nonce. */
  staleRetried: boolean;
}

const DEFAULT_SESSION_TIMEOUT = 60 * SECOND;

/** Resolves a media control attribute against the base URL (RFC 2326 C.1.1). */
export function resolveControl(base: string, control: string | undefined): string {
  if (control === undefined || control === '*' || control === '') return base;
  if (/^rtsps?:\/\//i.test(control)) return control;
  return base.endsWith('/') ? base + control : `${base}/${control}`;
}

export class RtspClient {
  readonly url: RtspUrl;
  private st: RtspClientState = 'init';
  private readonly parser: RtspParser;
  private readonly out: Uint8Array[] = [];
  private readonly events: RtspClientEvent[] = [];
  private readonly cred: Credentials | undefined;
  private readonly transportKind: 'tcp' | 'udp';
  private readonly responseTimeout: number;
  private readonly dataTimeout: number;
  private readonly cnonce: () => string;
  private cseq = 0;
  private inFlight: Pending | undefined;
  private readonly queue: Pending[] = [];
  private challenge: AuthChallenge | undefined;
  private readonly digest: DigestState = { count: 0 };
  private session: string | undefined;
  private sessionTimeout = DEFAULT_SESSION_TIMEOUT;
  private keepAlive: number | undefined;
  private nextKeepAlive: number | undefined;
  private lastData = 0;
  private playedAt = 0;
  private gotRtp = false;
  private readonly udpTimeout: number;
  private publicMethods: string[] = [];
  private base = '';
  private control = '';
  private channels: readonly [number, number] = [0, 1];
  /** The streams to set up (their controls), the next one's index, and each interleaved channel's stream. */
  private streams: { stream: SdpStream; control: string }[] = [];
  private setupIndex = 0;
  private readonly channelMap = new Map<number, { stream: number; kind: 'rtp' | 'rtcp' }>();
  private chosen: TransportSpec | undefined;
  private now = 0;
  /** Interleaved frames on channels SETUP did not give (discarded), and the first few such channels. */
  private stray = 0;
  private readonly strayChans: number[] = [];

  constructor(readonly options: RtspClientOptions) {
    this.url = parseRtspUrl(options.url);
    const user = options.user ?? this.url.user;
    const password = options.password ?? this.url.password;
    this.cred = user !== undefined ? { user, password: password ?? '' } : undefined;
    this.transportKind = options.transport ?? 'tcp';
    if (this.transportKind !== 'tcp' && this.transportKind !== 'udp')
      throw new RtspError('unsupported', `transport must be 'tcp' or 'udp', got '${String(this.transportKind)}'`);
    if (this.transportKind === 'udp' && !options.clientPorts) throw new RtspError('unsupported', "transport 'udp' needs clientPorts");
    this.responseTimeout = options.responseTimeout ?? 10 * SECOND;
    this.dataTimeout = options.dataTimeout ?? 5 * SECOND;
    this.udpTimeout = this.transportKind === 'udp' ? options.udpTimeout ?? 0 : 0;
    this.keepAlive = options.keepAlive;
    this.cnonce = options.cnonce ?? (() => randomUint32().toString(16).padStart(8, '0') + randomUint32().toString(16).padStart(8, '0'));
    this.parser = new RtspParser(options.limits);
    this.base = this.url.uri;
  }

  get state(): RtspClientState {
    return this.st;
  }

  /** The transport the server chose (after SETUP). */
  get transport(): TransportSpec | undefined {
    return this.chosen;
  }

  private go(input: RtspClientInput): void {
    const next = TRANSITIONS[this.st][input];
    if (next === undefined) throw new Error(`RtspClient: no transition from '${this.st}' on '${input}'`);
    this.st = next;
  }

  /** Begins the session: OPTIONS, DESCRIBE, SETUP, PLAY follow as responses arrive. */
  start(now: number): void {
    this.now = now;
    this.go('start');
    this.request('OPTIONS', this.url.uri);
  }

  /** Bytes to write to the RTSP connection, in order; undefined when none. */
  pollTransmit(): Uint8Array | undefined {
    return this.out.shift();
  }

  nextEvent(): RtspClientEvent | undefined {
    return this.events.shift();
  }

  /** When `handleTimeout` must next be called (ns), or undefined. */
  pollTimeout(): number | undefined {
    if (this.st === 'closed' || this.st === 'failed') return undefined;
    let t: number | undefined;
    const min = (v: number | undefined) => {
      if (v !== undefined && (t === undefined || v < t)) t = v;
    };
    if (this.inFlight) min(this.inFlight.sentAt + this.responseTimeout);
    if (this.st === 'playing') {
      min(this.nextKeepAlive);
      if (this.dataTimeout > 0) min(this.lastData + this.dataTimeout);
      if (this.udpTimeout > 0 && !this.gotRtp) min(this.playedAt + this.udpTimeout);
    }
    return t;
  }

  handleTimeout(now: number): void {
    this.now = now;
    if (this.st === 'closed' || this.st === 'failed') return;
    try {
      this.timeouts(now);
    } catch (e) {
      this.crashed(e, `handling a timeout of ${this.url.uri}`);
    }
  }

  private timeouts(now: number): void {
    if (this.inFlight && now >= this.inFlight.sentAt + this.responseTimeout) {
      const m = this.inFlight.method;
      if (this.st === 'teardown') {
        this.go('ok');
        this.events.push({ type: 'closed' });
        return;
      }
      this.fail(
        new RtspError('timeout', `no response to ${m} within ${Math.round(this.responseTimeout / MILLISECOND)} ms from ${this.url.uri}${this.strayNote()}`)
      );
      return;
    }
    if (this.st !== 'playing') return;
    // Before the data timeout: RTCP alone (which may get through where RTP does not) is no proof of UDP.
    if (this.udpTimeout > 0 && !this.gotRtp && now >= this.playedAt + this.udpTimeout) {
      this.events.push({ type: 'udp-timeout', after: now - this.playedAt });
      this.teardown(now);
      return;
    }
    if (this.dataTimeout > 0 && now >= this.lastData + this.dataTimeout) {
      this.fail(new RtspError('timeout', `no media from ${this.url.uri} for ${Math.round(this.dataTimeout / MILLISECOND)} ms${this.strayNote()}`));
      return;
    }
    if (this.nextKeepAlive !== undefined && now >= this.nextKeepAlive) {
      this.nextKeepAlive = now + this.keepAlivePeriod();
      // GET_PARAMETER is the keep-alive RFC 2326 suggests; OPTIONS for servers that do not list it.
      const method = this.publicMethods.includes('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
      this.request(method, method === 'OPTIONS' ? this.url.uri : this.base);
    }
  }

  /**
   * Bytes from the RTSP connection (responses and interleaved frames, any chunking). Never throws: whatever
   * the server sends, the worst is an 'error' event (a driver calls this from a socket callback, where a
   * throw would take the process down).
   */
  receive(bytes: Uint8Array, now: number): void {
    this.now = now;
    if (this.st === 'closed' || this.st === 'failed') return;
    try {
      this.parser.push(bytes);
      this.messages(now);
    } catch (e) {
      this.crashed(e, `bad data from ${this.url.uri}`);
    }
  }

  /** Interleaved frames discarded so far: on channels SETUP did not give. */
  get strayFrames(): number {
    return this.stray;
  }

  /** The first few channels of those frames. */
  get strayChannels(): readonly number[] {
    return this.strayChans;
  }

  private messages(now: number): void {
    for (;;) {
      const m = this.parser.next();
      if (m === undefined) return;
      if (m instanceof RtspParseError) {
        this.fail(new RtspError('protocol', `bad data from ${this.url.uri}: ${m.message}`));
        return;
      }
      if (m.kind === 'interleaved') {
        const c = this.channelMap.get(m.channel);
        if (c) this.media(c.kind, m.data, now, c.stream);
        else if (this.channelMap.size === 0 && m.channel === this.channels[0]) this.media('rtp', m.data, now, 0);
        else if (this.channelMap.size === 0 && m.channel === this.channels[1]) this.media('rtcp', m.data, now, 0);
        else {
          // RFC 2326 10.12: channels are what SETUP set up; another is no stream of ours.
          this.stray++;
          if (this.strayChans.length < 4 && !this.strayChans.includes(m.channel)) this.strayChans.push(m.channel);
        }
      } else if (m.kind === 'response') {
        this.response(m);
      } else {
        // Server-to-client requests (RFC 2326 10: ANNOUNCE, GET_PARAMETER…): none is needed to play.
        const cseq = m.headers.get('cseq');
        this.out.push(serializeResponse(501, 'Not Implemented', cseq !== undefined && /^\d+$/.test(cseq) ? [['CSeq', cseq]] : []));
      }
      if (this.finished) return;
    }
  }

  /** Closed or failed: nothing more will happen. */
  get finished(): boolean {
    return this.st === 'closed' || this.st === 'failed';
  }

  /** A datagram on a stream's client RTP or RTCP port (transport 'udp'). */
  receiveDatagram(kind: 'rtp' | 'rtcp', data: Uint8Array, now: number, stream = 0): void {
    this.now = now;
    if (this.st !== 'playing' && this.st !== 'play') return;
    this.media(kind, data, now, stream);
  }

  /** An RTCP packet of a stream to send over the connection (interleaved) — for receiver reports; undefined for UDP. */
  interleavedRtcp(data: Uint8Array, stream = 0): Uint8Array | undefined {
    if (this.transportKind !== 'tcp') return undefined;
    for (const [ch, c] of this.channelMap) if (c.stream === stream && c.kind === 'rtcp') return serializeInterleaved(ch, data);
    return serializeInterleaved(this.channels[1], data);
  }

  /** The sender left (RTCP BYE): ends the session without a TEARDOWN. */
  bye(): void {
    if (this.st !== 'playing') return;
    this.go('bye');
    this.events.push({ type: 'closed' });
  }

  /** Ends the session: a TEARDOWN when one is set up, else closes at once. */
  teardown(now: number): void {
    this.now = now;
    if (this.st === 'closed' || this.st === 'failed' || this.st === 'teardown') return;
    const hadSession = this.session !== undefined;
    this.go('teardown');
    this.queue.length = 0;
    if ((this.st as RtspClientState) === 'teardown' && hadSession) {
      this.inFlight = undefined;
      this.request('TEARDOWN', this.base);
    } else {
      this.st = 'closed';
      this.events.push({ type: 'closed' });
    }
  }

  /** The connection closed under us. */
  connectionClosed(now: number): void {
    this.now = now;
    if (this.st === 'teardown') {
      this.go('ok');
      this.events.push({ type: 'closed' });
      return;
    }
    if (this.st === 'closed' || this.st === 'failed') return;
    const partial = this.parser.buffered;
    const mid = partial > 0 ? ` in the middle of a message (${partial} bytes of it received)` : '';
    this.fail(new RtspError('closed', `the connection to ${this.url.uri} closed${mid}`));
  }

  /** ' (N interleaved frames on channel C, not A-B, discarded)' when there were any: why no media came. */
  private strayNote(): string {
    if (this.stray === 0) return '';
    const [a, b] = this.channels;
    const chans = this.strayChans.join(', ');
    return ` (${this.stray} interleaved frame${this.stray === 1 ? '' : 's'} on channel${
      this.strayChans.length === 1 ? '' : 's'
    } ${chans}, not ${a}-${b}, discarded)`;
  }

  /**
   * Something thrown while handling the server's bytes or a deadline: whatever it was, this session is over,
   * and it ends as an 'error' event, never as an exception out of the driver's callback.
   */
  private crashed(e: unknown, context: string): void {
    if (this.st === 'closed' || this.st === 'failed') return;
    this.fail(new RtspError('protocol', `${context}: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e }));
  }

  private media(kind: 'rtp' | 'rtcp', data: Uint8Array, now: number, stream: number): void {
    this.lastData = now;
    if (kind === 'rtp') this.gotRtp = true;
    this.events.push({ type: kind, data, stream });
  }

  private keepAlivePeriod(): number {
    return this.keepAlive ?? Math.max(SECOND, this.sessionTimeout / 2);
  }

  private fail(error: RtspError): void {
    this.go('fail');
    this.inFlight = undefined;
    this.queue.length = 0;
    this.events.push({ type: 'error', error });
  }

  private request(method: string, uri: string, extra: readonly (readonly [string, string])[] = []): void {
    const p: Pending = {
      method,
      uri,
      extra,
      cseq: 0,
      sentAt: this.now,
      authorized: false,
      staleRetried: false,
    };
    if (this.inFlight) this.queue.push(p);
    else this.send(p);
  }

  private send(p: Pending): void {
    p.cseq = ++this.cseq;
    p.sentAt = this.now;
    const headers: (readonly [string, string])[] = [
      ['CSeq', String(p.cseq)],
      ['User-Agent', this.options.userAgent ?? 'glass2glass'],
    ];
    if (this.session !== undefined && p.method !== 'OPTIONS') headers.push(['Session', this.session]);
    p.authorized = this.challenge !== undefined && this.cred !== undefined;
    let bytes: Uint8Array;
    try {
      if (this.challenge && this.cred) headers.push(['Authorization', authorization(this.challenge, this.cred, p.method, p.uri, this.cnonce(), this.digest)]);
      headers.push(...p.extra);
      bytes = serializeRequest(p.method, p.uri, headers);
    } catch (e) {
      // A value from the server (a challenge, a URL, a session id) that cannot go into a request: the
      // session ends here rather than sending a forged or truncated one.
      if (e instanceof RtspAuthError)
        return this.fail(new RtspError('auth', `401 Unauthorized from ${this.url.uri} on ${p.method}: ${e.message}`, 401, { cause: e }));
      if (e instanceof G2gError)
        return this.fail(new RtspError('protocol', `cannot send ${p.method} to ${this.url.uri}: ${e.message}`, undefined, { cause: e }));
      throw e;
    }
    this.inFlight = p;
    this.out.push(bytes);
  }

  private response(r: RtspResponse): void {
    const p = this.inFlight;
    const cseq = Number(r.headers.get('cseq'));
    if (!p || (r.headers.get('cseq') !== undefined && cseq !== p.cseq)) return; // Stale or unsolicited.
    this.inFlight = undefined;
    if (r.status === 401) {
      const challenge = chooseChallenge(parseChallenges(r.headers.getAll('www-authenticate')));
      const stale = challenge?.params.stale?.toLowerCase() === 'true';
      // Credentials are tried once per request, plus once more when only the nonce went stale: a 401 to
      // a request that carried them is a rejection, never a loop.
      if (this.cred && challenge && (!p.authorized || (stale && !p.staleRetried))) {
        if (p.authorized) p.staleRetried = true;
        this.challenge = challenge;
        this.digest.count = 0;
        this.send(p);
        return;
      }
      const why = !this.cred
        ? 'the server needs credentials (user-id/user-pw or user:password@ in the URL)'
        : challenge
        ? 'the server rejected the credentials'
        : 'the server offers no Basic or Digest authentication';
      this.fail(new RtspError('auth', `401 Unauthorized from ${this.url.uri} on ${p.method}: ${why}`, 401));
      return;
    }
    const ok = r.status >= 200 && r.status < 300;
    switch (this.st) {
      case 'options':
        // Any answer will do: some servers refuse OPTIONS yet stream.
        if (ok) this.publicMethods = (r.headers.get('public') ?? '').split(',').map((s) => s.trim().toUpperCase());
        this.go('ok');
        this.request('DESCRIBE', this.url.uri, [['Accept', 'application/sdp']]);
        break;
      case 'describe':
        if (!ok) return this.statusError(p.method, r);
        this.described(r);
        break;
      case 'setup':
        if (!ok) return this.statusError(p.method, r);
        this.setupDone(r);
        break;
      case 'play':
        if (!ok) return this.statusError(p.method, r);
        this.go('ok');
        this.lastData = this.now;
        this.playedAt = this.now;
        this.nextKeepAlive = this.now + this.keepAlivePeriod();
        this.events.push({
          type: 'playing',
          transport: this.chosen!,
          session: this.session!,
        });
        break;
      case 'teardown':
        if (p.method !== 'TEARDOWN') break;
        this.go('ok');
        this.events.push({ type: 'closed' });
        return;
      default:
        // Keep-alive answers: a failure there is the server's business until the session times out.
        break;
    }
    const next = this.queue.shift();
    if (next && !this.inFlight) this.send(next);
  }

  private statusError(method: string, r: RtspResponse): void {
    this.fail(new RtspError('status', `${method} ${this.url.uri} failed: ${r.status} ${r.reason}`.trim(), r.status));
  }

  private described(r: RtspResponse): void {
    let sdp: SessionDescription;
    try {
      sdp = parseSdp(utf8Decode(r.body));
    } catch (e) {
      if (!(e instanceof SdpError)) throw e;
      // Not SDP at all (an HTML page, a login form): a broken server, which a retry may find mended.
      return this.fail(new RtspError('protocol', `DESCRIBE ${this.url.uri}: ${e.message}`, undefined, { cause: e }));
    }
    const media = this.options.media ?? 'video';
    const found: SdpStream[] = [];
    for (const kind of media === 'all' ? (['video', 'audio'] as const) : [media]) {
      try {
        found.push(sdpStream(sdp, kind));
      } catch (e) {
        if (!(e instanceof SdpError)) throw e;
        // media=all plays the streams there are; none at all is the video's error.
        if (media !== 'all' || (kind === 'audio' && found.length === 0))
          return this.fail(new RtspError('unsupported', `${this.url.uri}: ${e.message}`, undefined, { cause: e }));
      }
    }
    const video = found.find((x) => !x.audio);
    if (video && video.caps.get('encoding-name') !== 'H264') {
      return this.fail(new RtspError('unsupported', `${this.url.uri}: the video stream is ${String(video.caps.get('encoding-name'))}, only H264 is supported`));
    }
    const baseHeader = r.headers.get('content-base') ? 'Content-Base' : r.headers.get('content-location') ? 'Content-Location' : undefined;
    const base = (baseHeader && r.headers.get(baseHeader)) || this.url.uri;
    // Both go into request lines: checked here, so that the error says which header was bad.
    if (NOT_IN_URI.test(base)) {
      return this.fail(
        new RtspError('protocol', `DESCRIBE ${this.url.uri}: bad ${baseHeader} '${show(base)}' (a URL cannot hold spaces or control characters)`)
      );
    }
    this.streams = [];
    for (const stream of found) {
      const kind = stream.audio ? 'audio' : 'video';
      const section = sdp.media.find((m) => m.type === kind && m.formats.includes(stream.payloadType));
      const control = resolveControl(base, section?.attributes.find((a) => a.name === 'control')?.value);
      if (NOT_IN_URI.test(control)) {
        return this.fail(
          new RtspError('protocol', `DESCRIBE ${this.url.uri}: bad control URL '${show(control)}' in the SDP (a URL cannot hold spaces or control characters)`)
        );
      }
      this.streams.push({ stream, control });
    }
    // The aggregate URL for PLAY and TEARDOWN; a Content-Base from the server carries no credentials of ours.
    this.base = base.replace(/\/$/, '');
    this.control = this.streams[0].control;
    this.go('ok');
    this.events.push({ type: 'described', sdp, stream: found[0], streams: found, control: this.control });
    this.setupIndex = 0;
    this.setupNext();
  }

  /** SETUP of the next stream: interleaved channels 2i/2i+1 over TCP, its own port pair over UDP. */
  private setupNext(): void {
    const i = this.setupIndex;
    const ports = i === 0 ? this.options.clientPorts : this.options.streamPorts?.[i];
    if (this.transportKind === 'udp' && !ports) return this.fail(new RtspError('unsupported', `${this.url.uri}: no UDP port pair for stream ${i}`));
    const t: TransportSpec =
      this.transportKind === 'tcp'
        ? { protocol: 'RTP/AVP/TCP', unicast: true, interleaved: [2 * i, 2 * i + 1] }
        : {
            protocol: 'RTP/AVP',
            unicast: true,
            clientPort: ports,
          };
    this.request('SETUP', this.streams[i].control, [['Transport', formatTransport(t)]]);
  }

  private setupDone(r: RtspResponse): void {
    const s = r.headers.get('session');
    if (!s) return this.fail(new RtspError('protocol', `SETUP ${this.url.uri}: the response has no Session header`));
    const [id, ...params] = s.split(';').map((x) => x.trim());
    // RFC 2326 3.4: letters, digits and safe characters; any visible ASCII is tolerated, as it goes back in
    // every request's Session header, where a control character would end or forge the header.
    if (!/^[\x21-\x7e]+$/.test(id) || id.includes(',')) return this.fail(new RtspError('protocol', `SETUP ${this.url.uri}: bad Session id '${show(id)}'`));
    this.session = id;
    for (const param of params) {
      // At most 9 digits (31 years): more would only overflow the keep-alive timer.
      const m = /^timeout=(\d{1,9})$/i.exec(param);
      if (m && Number(m[1]) > 0) this.sessionTimeout = Number(m[1]) * SECOND;
    }
    const t = parseTransport(r.headers.get('transport') ?? '');
    const wanted = this.transportKind === 'tcp' ? 'RTP/AVP/TCP' : 'RTP/AVP';
    if (!t || t.protocol !== wanted) {
      return this.fail(
        new RtspError('unsupported', `SETUP ${this.url.uri}: the server answered transport '${r.headers.get('transport') ?? ''}', not ${wanted}`)
      );
    }
    const i = this.setupIndex;
    // A server that leaves the channels out uses the ones asked for.
    const channels = t.interleaved ?? ([2 * i, 2 * i + 1] as const);
    if (i === 0) {
      this.channels = channels;
      this.chosen = t;
    }
    if (this.transportKind === 'tcp') {
      this.channelMap.set(channels[0], { stream: i, kind: 'rtp' });
      this.channelMap.set(channels[1], { stream: i, kind: 'rtcp' });
    }
    this.setupIndex++;
    if (this.setupIndex < this.streams.length) return this.setupNext();
    this.go('ok');
    this.request('PLAY', this.base, [['Range', 'npt=0.000-']]);
  }
}

export { RtspHeaders };
