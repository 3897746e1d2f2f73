/**
 * The sans-IO RTSP parts against a hostile server (issue 15), without sockets: what the server says goes
 * into SDP parsing, the Authorization header, request lines and the Session header. Each bad value must
 * end the session as an 'error' event carrying a G2gError, never as an exception out of `receive()` (a
 * driver calls it from a socket callback, where one would take the process down). The fuzz builds
 * well-formed responses whose server-chosen values are arbitrary, which random bytes almost never reach.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { G2gError } from '../../src/errors';
import { parseSdp, sdpStream, SdpError } from '../../src/rtp/sdp';
import { authorization, parseChallenges, RtspAuthError } from '../../src/rtsp/auth';
import { RtspClient, RtspError, type RtspClientEvent, type RtspClientOptions } from '../../src/rtsp/client';
import { RtspParser, type RtspRequest } from '../../src/rtsp/message';
import { parseRtspUrl, RtspUrlError } from '../../src/rtsp/url';
import { SECOND } from '../../src/time';

const SDP = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=x', 't=0 0', 'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'a=control:track1', ''].join('\r\n');
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

/** A scripted server: answers with raw text, so that it can say what our serialiser would refuse. */
class Server {
  readonly parser = new RtspParser();
  readonly events: RtspClientEvent[] = [];
  now = 0;
  constructor(readonly client: RtspClient) {}
  next(): RtspRequest | undefined {
    for (let b = this.client.pollTransmit(); b; b = this.client.pollTransmit()) this.parser.push(b);
    return this.parser.next() as RtspRequest | undefined;
  }
  /** Answers `req` with a status line, raw header lines and a body; any throw out of receive() fails the test. */
  answer(req: RtspRequest, status: string, headers: string[] = [], body = ''): void {
    const length = body.length ? [`Content-Length: ${latin1(body).length}`] : [];
    this.feed(latin1([`RTSP/1.0 ${status}`, `CSeq: ${req.headers.get('cseq')}`, ...headers, ...length, '', body].join('\r\n')));
  }
  feed(bytes: Uint8Array): void {
    this.client.receive(bytes, this.now);
    for (let e = this.client.nextEvent(); e; e = this.client.nextEvent()) this.events.push(e);
  }
  tick(to: number): void {
    this.now = to;
    this.client.handleTimeout(to);
    for (let e = this.client.nextEvent(); e; e = this.client.nextEvent()) this.events.push(e);
  }
  get error(): RtspError | undefined {
    return (this.events.find((e) => e.type === 'error') as Extract<RtspClientEvent, { type: 'error' }> | undefined)?.error;
  }
}

type Step = 'OPTIONS' | 'DESCRIBE' | 'SETUP' | 'PLAY';
type Answers = Partial<Record<Step, (s: Server, r: RtspRequest) => void>>;

const GOOD: Record<Step, (s: Server, r: RtspRequest) => void> = {
  OPTIONS: (s, r) => s.answer(r, '200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']),
  DESCRIBE: (s, r) => s.answer(r, '200 OK', ['Content-Base: rtsp://h/x/', 'Content-Type: application/sdp'], SDP),
  SETUP: (s, r) => s.answer(r, '200 OK', ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1', 'Session: 1234;timeout=60']),
  PLAY: (s, r) => s.answer(r, '200 OK', ['Session: 1234']),
};

/** Runs the four requests, each answered by `answers` or well; stops at the first error or silence. */
function session(answers: Answers, options: Partial<RtspClientOptions> = {}): Server {
  const s = new Server(new RtspClient({ url: 'rtsp://h/x', ...options }));
  s.client.start(0);
  for (let r = s.next(); r && !s.client.finished; r = s.next()) {
    const answer = answers[r.method as Step] ?? GOOD[r.method as Step];
    if (!answer) break;
    answer(s, r);
  }
  return s;
}

describe('sdpStream: a hostile clock rate is an SdpError, not a RangeError', () => {
  for (const [rate, shown] of [
    ['9'.repeat(400), 'Infinity'],
    ['0', '0'],
    ['1000000000', '1000000000'],
  ]) {
    it(`clock rate ${rate.length > 12 ? `of ${rate.length} digits` : rate}`, () => {
      const sd = parseSdp(SDP.replace('H264/90000', `H264/${rate}`));
      expect(() => sdpStream(sd)).toThrow(SdpError);
      expect(() => sdpStream(sd)).toThrow(`payload type 96: RTP clock rate ${shown} is not an integer from 1 to 999999999`);
    });
  }

  it('a usable payload type after a bad one is taken; an out-of-range a=rtcp port is as good as none', () => {
    const sdp = SDP.replace('RTP/AVP 96', 'RTP/AVP 96 97').replace(
      'a=rtpmap:96 H264/90000',
      `a=rtpmap:96 H264/${'9'.repeat(400)}\r\na=rtpmap:97 H264/90000\r\na=rtcp:${'9'.repeat(30)}`
    );
    const stream = sdpStream(parseSdp(sdp));
    expect(stream).toMatchObject({ payloadType: 97, rtcpPort: 1 });
    expect(stream.caps.get('clock-rate')).toBe(90000);
  });
});

describe('authorization: values the server chose that cannot go into a header', () => {
  const cred = { user: 'u', password: 'p' };
  for (const [param, header] of [
    ['realm', 'Digest realm="a\0b", nonce="n"'],
    ['nonce', 'Digest realm="r", nonce="n\0"'],
    ['opaque', 'Digest realm="r", nonce="n", opaque="o\r\nX-Injected: 1"'],
  ]) {
    it(`a control character in the ${param}: RtspAuthError`, () => {
      const [c] = parseChallenges([header]);
      expect(() => authorization(c, cred, 'DESCRIBE', 'rtsp://h/x', 'cn')).toThrow(RtspAuthError);
      expect(() => authorization(c, cred, 'DESCRIBE', 'rtsp://h/x', 'cn')).toThrow(`its ${param} contains a control character`);
    });
  }
  it('an unknown scheme and an algorithm that is not a token: RtspAuthError with a stable code', () => {
    const err = (() => {
      try {
        authorization({ scheme: 'negotiate', params: {} }, cred, 'X', 'u', '');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RtspAuthError);
    expect(err).toMatchObject({ code: 'RTSP_AUTH' });
    expect(() =>
      authorization(
        {
          scheme: 'digest',
          params: { realm: 'r', nonce: 'n', algorithm: 'MD5, x=1' },
        },
        cred,
        'X',
        'u',
        ''
      )
    ).toThrow(RtspAuthError);
  });
});

describe('parseRtspUrl: nothing that would split or end a request line', () => {
  it('spaces and control characters are refused where the element is made', () => {
    for (const bad of ['rtsp://h/a b', 'rtsp://h/a\0b', 'rtsp://h/a\r\nX: 1', 'rtsp://h/\tx']) expect(() => parseRtspUrl(bad)).toThrow(RtspUrlError);
    expect(parseRtspUrl(' rtsp://h/a%20b ').path).toBe('/a%20b');
  });
});

describe('RtspClient: a bad value from the server is an error event, never an exception', () => {
  it('a DESCRIBE body that is not SDP', () => {
    const s = session({
      DESCRIBE: (s, r) => s.answer(r, '200 OK', [], '<html>login</html>'),
    });
    expect(s.error).toMatchObject({
      kind: 'protocol',
      message: 'DESCRIBE rtsp://h/x: not an SDP: the first line must be v=0',
    });
    expect(s.client.state).toBe('failed');
  });

  it('an SDP clock rate of hundreds of digits', () => {
    const s = session({
      DESCRIBE: (s, r) => s.answer(r, '200 OK', [], SDP.replace('90000', '9'.repeat(400))),
    });
    expect(s.error).toMatchObject({
      kind: 'unsupported',
      message: expect.stringContaining('RTP clock rate Infinity'),
    });
  });

  it('a Content-Base or Content-Location with a space, a control URL with a NUL', () => {
    expect(
      session({
        DESCRIBE: (s, r) => s.answer(r, '200 OK', ['Content-Base: rtsp://h/a b/'], SDP),
      }).error?.message
    ).toBe("DESCRIBE rtsp://h/x: bad Content-Base 'rtsp://h/a b/' (a URL cannot hold spaces or control characters)");
    expect(
      session({
        DESCRIBE: (s, r) => s.answer(r, '200 OK', ['Content-Location: rtsp://h/a\u0001'], SDP),
      }).error?.message
    ).toMatch(/bad Content-Location 'rtsp:\/\/h\/a\\u0001'/);
    const control = session({
      DESCRIBE: (s, r) => s.answer(r, '200 OK', [], SDP.replace('track1', 'tr\u0000ck')),
    });
    expect(control.error).toMatchObject({
      kind: 'protocol',
      message: expect.stringContaining("bad control URL 'rtsp://h/x/tr\\u0000ck' in the SDP"),
    });
  });

  it('a Session id containing NUL or a comma; a session timeout of many digits leaves a finite keep-alive', () => {
    const nul = session({
      SETUP: (s, r) => s.answer(r, '200 OK', ['Transport: RTP/AVP/TCP;interleaved=0-1', 'Session: 12\u000034']),
    });
    expect(nul.error).toMatchObject({
      kind: 'protocol',
      message: "SETUP rtsp://h/x: bad Session id '12\\u000034'",
    });
    expect(
      session({
        SETUP: (s, r) => s.answer(r, '200 OK', ['Transport: RTP/AVP/TCP;interleaved=0-1', 'Session: a,b']),
      }).error?.message
    ).toMatch(/bad Session id 'a,b'/);
    const long = session(
      {
        SETUP: (s, r) => s.answer(r, '200 OK', ['Transport: RTP/AVP/TCP;interleaved=0-1', `Session: 1234;timeout=${'9'.repeat(400)}`]),
      },
      { dataTimeout: 0 }
    );
    expect(long.client.state).toBe('playing');
    // The 60 s default: half of it.
    expect(long.client.pollTimeout()).toBe(30 * SECOND);
  });

  it('a NUL in a Digest realm or nonce: an auth error, and the challenge is never echoed', () => {
    for (const [params, what] of [
      ['realm="r\u0000", nonce="n"', 'realm'],
      ['realm="r", nonce="n\u0000"', 'nonce'],
    ]) {
      const s = session(
        {
          DESCRIBE: (s, r) => s.answer(r, '401 Unauthorized', [`WWW-Authenticate: Digest ${params}`]),
        },
        { url: 'rtsp://u:p@h/x' }
      );
      expect(s.error).toMatchObject({
        kind: 'auth',
        status: 401,
        message: `401 Unauthorized from rtsp://h/x on DESCRIBE: the server's Digest challenge cannot be answered: its ${what} contains a control character`,
      });
      expect(s.next()).toBeUndefined();
    }
  });

  it('interleaved frames on channels SETUP did not give: counted, and named when no media comes', () => {
    const s = session({}, { dataTimeout: 2 * SECOND });
    expect(s.client.state).toBe('playing');
    for (const ch of [7, 7, 9]) s.feed(Uint8Array.from([0x24, ch, 0, 2, 0x80, 0x60]));
    expect(s.events.filter((e) => e.type === 'rtp' || e.type === 'rtcp')).toEqual([]);
    expect(s.client.strayFrames).toBe(3);
    s.tick(2 * SECOND);
    expect(s.error?.message).toBe('no media from rtsp://h/x for 2000 ms (3 interleaved frames on channels 7, 9, not 0-1, discarded)');
  });

  it('a connection closed mid-response says so', () => {
    const s = new Server(new RtspClient({ url: 'rtsp://h/x' }));
    s.client.start(0);
    s.next();
    s.feed(latin1('RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 50\r\n\r\nv=0'));
    s.client.connectionClosed(1);
    for (let e = s.client.nextEvent(); e; e = s.client.nextEvent()) s.events.push(e);
    expect(s.error).toMatchObject({
      kind: 'closed',
      message: 'the connection to rtsp://h/x closed in the middle of a message (51 bytes of it received)',
    });
  });

  it('fuzz: every server-chosen value arbitrary, in any request: receive() never throws, errors are G2gErrors', () => {
    // Any string but CR and LF, which would only end the header line (the parser's own tests cover framing).
    const value = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom('\0', '\u0001', ' ', '\t', '"', ',', ';', '=', '/', '9', '\u00ff', 'é'),
          fc.integer({ min: 0, max: 0x2fff }).map((c) => String.fromCharCode(c))
        ),
        maxLength: 40,
      })
      .map((v) => v.replace(/[\r\n]/g, ''));
    const slot = fc.constantFrom('content-base', 'control', 'rtpmap', 'fmtp', 'session', 'transport', 'realm', 'nonce', 'opaque', 'body');
    fc.assert(
      fc.property(slot, value, fc.boolean(), (where, v, digits) => {
        const x = digits ? '9'.repeat(300) + v : v;
        const sdp =
          where === 'control'
            ? SDP.replace('track1', x)
            : where === 'rtpmap'
            ? SDP.replace('90000', x)
            : where === 'fmtp'
            ? SDP.replace('a=control', `a=fmtp:96 ${x}\r\na=control`)
            : SDP;
        const answers: Answers = {
          DESCRIBE: (s, r) => {
            if (/^(realm|nonce|opaque)$/.test(where) && !r.headers.get('authorization')) {
              const p = { realm: 'r', nonce: 'n', opaque: 'o', [where]: x };
              return s.answer(r, '401 Unauthorized', [`WWW-Authenticate: Digest realm="${p.realm}", nonce="${p.nonce}", opaque="${p.opaque}"`]);
            }
            s.answer(r, '200 OK', where === 'content-base' ? [`Content-Base: ${x}`] : [], where === 'body' ? x : sdp);
          },
          SETUP: (s, r) =>
            s.answer(r, '200 OK', [
              `Transport: ${where === 'transport' ? x : 'RTP/AVP/TCP;interleaved=0-1'}`,
              `Session: ${where === 'session' ? x : '1234'};timeout=${where === 'session' ? x : '60'}`,
            ]),
        };
        const s = session(answers, { url: 'rtsp://u:p@h/x' });
        s.tick(100 * SECOND);
        expect(['failed', 'playing', 'closed']).toContain(s.client.state);
        for (const e of s.events) {
          if (e.type !== 'error') continue;
          expect(e.error).toBeInstanceOf(G2gError);
          // Not a RangeError or TypeError caught by receive()'s last resort: each bad value has its own check.
          if (e.error.cause !== undefined) expect(e.error.cause).toBeInstanceOf(G2gError);
        }
        // Whatever was accepted, every request the client sent is one our own parser reads back.
        for (let b = s.client.pollTransmit(); b; b = s.client.pollTransmit()) s.parser.push(b);
        for (let m = s.parser.next(); m; m = s.parser.next()) expect(m).not.toBeInstanceOf(Error);
      }),
      { numRuns: 500 }
    );
  });
});
