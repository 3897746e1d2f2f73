/** The sans-IO RTSP parts: MD5, auth, URLs, Transport, the message parser (fuzzed) and the client machine. */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorization, chooseChallenge, parseChallenges } from '../../src/rtsp/auth';
import { resolveControl, RtspClient, TRANSITIONS, type RtspClientEvent, type RtspClientOptions } from '../../src/rtsp/client';
import { md5Hex } from '../../src/rtsp/md5';
import {
  RtspParseError,
  RtspParser,
  serializeInterleaved,
  serializeRequest,
  serializeResponse,
  type RtspMessage,
  type RtspRequest,
} from '../../src/rtsp/message';
import { formatTransport, parseTransport } from '../../src/rtsp/transport';
import { parseRtspUrl, redactUrl, withoutPassword } from '../../src/rtsp/url';
import { SECOND } from '../../src/time';

const text = (s: string) => new TextEncoder().encode(s);

describe('md5', () => {
  it('RFC 1321 vectors', () => {
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex('abc')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5Hex('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toBe('57edf4a22be3c955ac49da2e2107b67a');
  });
  it('matches node:crypto on any bytes (block boundaries included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        expect(md5Hex(b)).toBe(createHash('md5').update(b).digest('hex'));
      }),
      { numRuns: 300 }
    );
  });
});

describe('authentication', () => {
  it('Digest answer of RFC 2617 3.5', () => {
    const [c] = parseChallenges([
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    ]);
    const v = authorization(c, { user: 'Mufasa', password: 'Circle Of Life' }, 'GET', '/dir/index.html', '0a4f113b');
    expect(v).toContain('response="6629fae49393a05397450978507c4ef1"');
    expect(v).toContain('nc=00000001');
    expect(v).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  });
  it('Digest without qop (RFC 2069), as gst-rtsp-server sends it', () => {
    const [c] = parseChallenges(['Digest realm="r", nonce="n"']);
    const ha1 = md5Hex('u:r:p');
    const ha2 = md5Hex('DESCRIBE:rtsp://h/x');
    expect(authorization(c, { user: 'u', password: 'p' }, 'DESCRIBE', 'rtsp://h/x', 'cn')).toContain(`response="${md5Hex(`${ha1}:n:${ha2}`)}"`);
  });
  it('Basic; several challenges in one or many headers; Digest preferred', () => {
    const cs = parseChallenges(['Basic realm="x", Digest realm="y", nonce="abc", stale=FALSE', 'Negotiate']);
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'digest', 'negotiate']);
    expect(chooseChallenge(cs)?.scheme).toBe('digest');
    expect(chooseChallenge(cs.slice(0, 1))).toBe(cs[0]);
    expect(chooseChallenge(parseChallenges(['Negotiate abc']))).toBeUndefined();
    expect(authorization(cs[0], { user: 'Aladdin', password: 'open sesame' }, 'X', 'u', '')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });
  it('challenge parsing never throws', () => {
    fc.assert(fc.property(fc.array(fc.string()), (v) => void parseChallenges(v)));
  });
});

describe('URLs', () => {
  it('credentials are split off; the URI never holds them', () => {
    const u = parseRtspUrl('rtsp://us%40er:p%3Ass@cam.local:8554/live/1?x=1');
    expect(u).toMatchObject({
      host: 'cam.local',
      port: 8554,
      path: '/live/1?x=1',
      user: 'us@er',
      password: 'p:ss',
      uri: 'rtsp://cam.local:8554/live/1?x=1',
    });
    expect(parseRtspUrl('rtsp://[::1]/a')).toMatchObject({
      host: '::1',
      port: 554,
      uri: 'rtsp://[::1]/a',
    });
    expect(parseRtspUrl('rtsp://h')).toMatchObject({
      path: '/',
      user: undefined,
    });
    expect(parseRtspUrl('rtsp://u@h/')).toMatchObject({
      user: 'u',
      password: undefined,
    });
    expect(redactUrl('rtsp://a:b@h/x')).toBe('rtsp://h/x');
  });
  it('a password containing @ or : is removed whole, where parseRtspUrl splits it', () => {
    const url = 'rtsp://admin:p@ss:w@rd@cam/s';
    expect(parseRtspUrl(url)).toMatchObject({
      user: 'admin',
      password: 'p@ss:w@rd',
      host: 'cam',
    });
    expect(redactUrl(url)).toBe('rtsp://cam/s');
    expect(withoutPassword(url)).toBe('rtsp://admin@cam/s');
    expect(withoutPassword('rtsp://:pw@cam/s')).toBe('rtsp://cam/s');
    expect(redactUrl('rtsp://cam/a@b')).toBe('rtsp://cam/a@b');
  });
  it('errors never show the password', () => {
    for (const bad of ['http://u:secretpw@h/', 'rtsp://u:secretpw@h:99999/', 'rtsp://u:secretpw@/x', 'rtsp://u:%zz@h/']) {
      expect(() => parseRtspUrl(bad)).toThrow();
      try {
        parseRtspUrl(bad);
      } catch (e) {
        expect((e as Error).message).not.toContain('secretpw');
      }
    }
  });
  it('control URLs resolve against the base', () => {
    expect(resolveControl('rtsp://h/live/', 'stream=0')).toBe('rtsp://h/live/stream=0');
    expect(resolveControl('rtsp://h/live', 'stream=0')).toBe('rtsp://h/live/stream=0');
    expect(resolveControl('rtsp://h/live', 'rtsp://o/t')).toBe('rtsp://o/t');
    expect(resolveControl('rtsp://h/live', '*')).toBe('rtsp://h/live');
  });
});

describe('Transport', () => {
  it('parses what servers answer and formats what clients ask', () => {
    expect(parseTransport('RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=DEADBEEF;mode="PLAY"')).toMatchObject({
      protocol: 'RTP/AVP/TCP',
      unicast: true,
      interleaved: [0, 1],
      ssrc: 0xdeadbeef,
    });
    expect(parseTransport('RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001')).toMatchObject({
      protocol: 'RTP/AVP',
      clientPort: [5000, 5001],
      serverPort: [6000, 6001],
    });
    expect(parseTransport('RTP/AVP/UDP;multicast')).toMatchObject({
      protocol: 'RTP/AVP',
      unicast: false,
    });
    expect(parseTransport('RAW/RAW/UDP')).toBeUndefined();
    expect(parseTransport('RTP/AVP;interleaved=999-1000')?.interleaved).toBeUndefined();
    expect(
      formatTransport({
        protocol: 'RTP/AVP/TCP',
        unicast: true,
        interleaved: [2, 3],
      })
    ).toBe('RTP/AVP/TCP;unicast;interleaved=2-3');
  });
});

function all(p: RtspParser): (RtspMessage | RtspParseError)[] {
  const out: (RtspMessage | RtspParseError)[] = [];
  for (let m = p.next(); m; m = p.next()) {
    out.push(m);
    if (m instanceof RtspParseError) break;
  }
  return out;
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:stream=0\r\n';
const STREAM = [
  serializeResponse(200, 'OK', [
    ['CSeq', '1'],
    ['Public', 'OPTIONS, DESCRIBE'],
  ]),
  serializeInterleaved(0, new Uint8Array([0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x65])),
  serializeResponse(
    200,
    'OK',
    [
      ['CSeq', '2'],
      ['Content-Type', 'application/sdp'],
    ],
    SDP
  ),
  serializeInterleaved(1, new Uint8Array(0)),
  serializeRequest('GET_PARAMETER', 'rtsp://h/x', [['CSeq', '7']]),
];

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), (o += p.length);
  return out;
}

describe('message parser', () => {
  it('responses, bodies, interleaved frames and requests, whole', () => {
    const p = new RtspParser();
    p.push(concat(STREAM));
    const ms = all(p);
    expect(ms.map((m) => (m instanceof RtspParseError ? 'error' : m.kind))).toEqual(['response', 'interleaved', 'response', 'interleaved', 'request']);
    const r = ms[2] as Extract<RtspMessage, { kind: 'response' }>;
    expect(new TextDecoder().decode(r.body)).toBe(SDP);
    expect(r.headers.get('content-type')).toBe('application/sdp');
    expect((ms[4] as RtspRequest).method).toBe('GET_PARAMETER');
    expect(p.buffered).toBe(0);
  });

  it('any chunking, one byte at a time included, gives the same messages', () => {
    const bytes = concat(STREAM);
    const whole = new RtspParser();
    whole.push(bytes);
    const expected = all(whole);
    const byByte = new RtspParser();
    const got: unknown[] = [];
    for (const b of bytes) {
      byByte.push(new Uint8Array([b]));
      got.push(...all(byByte));
    }
    expect(got).toEqual(expected);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 20 }), (cuts) => {
        const p = new RtspParser();
        const out: unknown[] = [];
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let prev = 0;
        for (const c of [...points, bytes.length]) {
          p.push(bytes.subarray(prev, c));
          prev = c;
          out.push(...all(p));
        }
        expect(out).toEqual(expected);
      }),
      { numRuns: 200 }
    );
  });

  it('bare LF line ends, folded headers and leading blank lines are tolerated', () => {
    const p = new RtspParser();
    p.push(text('\r\nRTSP/1.0 200 OK\nCSeq: 3\nX-Long: a\n  b\nContent-Length: 2\n\nhi'));
    const [m] = all(p);
    expect(m).toMatchObject({ kind: 'response', status: 200 });
    expect((m as Extract<RtspMessage, { kind: 'response' }>).headers.get('x-long')).toBe('a b');
  });

  it('sizes are bounded: head, body, header count; after an error the parser stays failed', () => {
    const head = new RtspParser({ maxHeaderBytes: 100 });
    head.push(text(`RTSP/1.0 200 OK\r\nX: ${'a'.repeat(200)}`));
    expect(head.next()).toBeInstanceOf(RtspParseError);
    head.push(text('\r\n\r\n'));
    expect(head.next()).toBeInstanceOf(RtspParseError);
    expect(head.buffered).toBe(0);
    const body = new RtspParser({ maxBodyBytes: 10 });
    body.push(text('RTSP/1.0 200 OK\r\nContent-Length: 11\r\n\r\n'));
    expect(String(body.next())).toMatch(/body of 11 bytes exceeds 10/);
    const many = new RtspParser({ maxHeaders: 3 });
    many.push(text('RTSP/1.0 200 OK\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n'));
    expect(String(many.next())).toMatch(/more than 3 header/);
    for (const bad of ['RTSP/1.0 2000 OK\r\n\r\n', 'HELLO\r\n\r\n', 'RTSP/1.0 200 OK\r\nno colon\r\n\r\n', 'RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n']) {
      const p = new RtspParser();
      p.push(text(bad));
      expect(p.next()).toBeInstanceOf(RtspParseError);
    }
  });

  it('fuzz: random bytes and mutated streams never throw and never hold more than the limits', () => {
    const valid = concat(STREAM);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.tuple(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 })).map(([muts]) => {
            const b = valid.slice();
            for (const [i, v] of muts) b[i] = v;
            return b;
          })
        ),
        fc.integer({ min: 1, max: 64 }),
        (bytes, chunk) => {
          const p = new RtspParser({
            maxHeaderBytes: 1024,
            maxBodyBytes: 1024,
          });
          for (let i = 0; i < bytes.length; i += chunk) {
            p.push(bytes.subarray(i, i + chunk));
            for (let m = p.next(); m && !(m instanceof RtspParseError); m = p.next());
            // Held: at most one head, one body, and one interleaved frame's 64 KiB, plus the last chunk.
            expect(p.buffered).toBeLessThanOrEqual(1024 + 1024 + 4 + 65535 + chunk);
          }
        }
      ),
      { numRuns: 500 }
    );
  });

  it('serialisation round-trips and refuses header injection', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.stringMatching(/^[ -~]{0,40}$/), fc.uint8Array({ maxLength: 100 }), (name, value, body) => {
        const p = new RtspParser();
        p.push(serializeRequest('ANNOUNCE', 'rtsp://h/x', [[`X-${name}`, value.trim()]], body));
        const m = p.next() as RtspRequest;
        expect(m.headers.get(`x-${name}`)).toBe(value.trim());
        expect([...m.body]).toEqual([...body]);
      })
    );
    expect(() => serializeRequest('OPTIONS', 'rtsp://h/x', [['X', 'a\r\nInjected: 1']])).toThrow(RtspParseError);
    expect(() => serializeRequest('OPTIONS', 'rtsp://h/x y', [])).toThrow(RtspParseError);
    expect(() => serializeInterleaved(256, new Uint8Array())).toThrow(RtspParseError);
  });
});

/** A scripted server for the client: answers the client's requests by hand. */
class Peer {
  readonly parser = new RtspParser();
  readonly events: RtspClientEvent[] = [];
  now = 0;
  constructor(readonly client: RtspClient) {}
  /** The requests the client sent since the last call. */
  requests(): RtspRequest[] {
    for (let b = this.client.pollTransmit(); b; b = this.client.pollTransmit()) this.parser.push(b);
    const out: RtspRequest[] = [];
    for (let m = this.parser.next(); m; m = this.parser.next()) out.push(m as RtspRequest);
    return out;
  }
  answer(req: RtspRequest, status: number, headers: [string, string][] = [], body?: string, reason = status === 200 ? 'OK' : 'Err'): void {
    this.feed(serializeResponse(status, reason, [['CSeq', req.headers.get('cseq')!], ...headers], body));
  }
  feed(bytes: Uint8Array): void {
    // One byte at a time: the client must not care.
    for (const b of bytes) this.client.receive(new Uint8Array([b]), this.now);
    this.drain();
  }
  drain(): void {
    for (let e = this.client.nextEvent(); e; e = this.client.nextEvent()) this.events.push(e);
  }
  tick(to: number): void {
    this.now = to;
    this.client.handleTimeout(to);
    this.drain();
  }
}

function toPlaying(options: Partial<RtspClientOptions> = {}): Peer {
  const client = new RtspClient({
    url: 'rtsp://127.0.0.1:8554/live',
    ...options,
  });
  const peer = new Peer(client);
  client.start(0);
  let [r] = peer.requests();
  expect(r.method).toBe('OPTIONS');
  peer.answer(r, 200, [['Public', 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER']]);
  [r] = peer.requests();
  expect(r.method).toBe('DESCRIBE');
  peer.answer(
    r,
    200,
    [
      ['Content-Base', 'rtsp://127.0.0.1:8554/live/'],
      ['Content-Type', 'application/sdp'],
    ],
    SDP
  );
  [r] = peer.requests();
  expect(r).toMatchObject({
    method: 'SETUP',
    uri: 'rtsp://127.0.0.1:8554/live/stream=0',
  });
  const udp = client.options.transport === 'udp';
  expect(r.headers.get('transport')).toBe(udp ? 'RTP/AVP;unicast;client_port=5000-5001' : 'RTP/AVP/TCP;unicast;interleaved=0-1');
  peer.answer(r, 200, [
    ['Session', 'abc;timeout=20'],
    ['Transport', udp ? 'RTP/AVP;unicast;client_port=5000-5001;server_port=7000-7001' : 'RTP/AVP/TCP;unicast;interleaved=4-5'],
  ]);
  [r] = peer.requests();
  expect(r).toMatchObject({
    method: 'PLAY',
    uri: 'rtsp://127.0.0.1:8554/live',
  });
  expect(r.headers.get('session')).toBe('abc');
  peer.answer(r, 200, [
    ['Session', 'abc'],
    ['RTP-Info', 'url=rtsp://127.0.0.1:8554/live/stream=0;seq=1;rtptime=0'],
  ]);
  expect(client.state).toBe('playing');
  return peer;
}

describe('RtspClient', () => {
  it('the transition table covers every state, and finished states are absorbing', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual(['closed', 'describe', 'failed', 'init', 'options', 'play', 'playing', 'setup', 'teardown']);
    for (const s of ['closed', 'failed'] as const) for (const next of Object.values(TRANSITIONS[s])) expect(next).toBe(s);
  });

  it('OPTIONS, DESCRIBE, SETUP (interleaved), PLAY; media by channel; server requests answered 501', () => {
    const peer = toPlaying();
    expect(peer.events.map((e) => e.type)).toEqual(['described', 'playing']);
    peer.feed(
      concat([serializeInterleaved(4, new Uint8Array([1, 2])), serializeInterleaved(5, new Uint8Array([3])), serializeInterleaved(0, new Uint8Array([9]))])
    );
    expect(peer.events.slice(2)).toEqual([
      { type: 'rtp', data: new Uint8Array([1, 2]), stream: 0 },
      { type: 'rtcp', data: new Uint8Array([3]), stream: 0 },
    ]);
    peer.feed(serializeRequest('GET_PARAMETER', 'rtsp://c/', [['CSeq', '99']]));
    const p = new RtspParser();
    p.push(peer.client.pollTransmit()!);
    expect(p.next()).toMatchObject({ kind: 'response', status: 501 });
  });

  it('UDP: client ports in SETUP, datagrams become events', () => {
    const peer = toPlaying({ transport: 'udp', clientPorts: [5000, 5001] });
    peer.client.receiveDatagram('rtp', new Uint8Array([7]), 1);
    peer.drain();
    expect(peer.events.at(-1)).toEqual({
      type: 'rtp',
      data: new Uint8Array([7]),
      stream: 0,
    });
    expect(peer.client.transport?.serverPort).toEqual([7000, 7001]);
  });

  it('keep-alive: GET_PARAMETER at half the session timeout; no media for dataTimeout fails', () => {
    const peer = toPlaying({ dataTimeout: 30 * SECOND });
    expect(peer.client.pollTimeout()).toBe(10 * SECOND);
    peer.tick(10 * SECOND - 1);
    expect(peer.requests()).toEqual([]);
    peer.feed(serializeInterleaved(4, new Uint8Array([1])));
    peer.tick(10 * SECOND);
    const [ka] = peer.requests();
    expect(ka).toMatchObject({
      method: 'GET_PARAMETER',
      uri: 'rtsp://127.0.0.1:8554/live',
    });
    expect(ka.headers.get('session')).toBe('abc');
    peer.answer(ka, 200);
    peer.tick(20 * SECOND);
    expect(peer.requests().map((r) => r.method)).toEqual(['GET_PARAMETER']);
    peer.tick(30 * SECOND - 1);
    peer.tick(30 * SECOND);
    expect(peer.events.at(-1)).toMatchObject({
      type: 'error',
      error: { kind: 'timeout' },
    });
    expect(peer.client.state).toBe('failed');
    expect(peer.client.pollTimeout()).toBeUndefined();
  });

  it('a request unanswered within responseTimeout fails the session', () => {
    const client = new RtspClient({
      url: 'rtsp://h/x',
      responseTimeout: 2 * SECOND,
    });
    const peer = new Peer(client);
    client.start(0);
    peer.requests();
    expect(client.pollTimeout()).toBe(2 * SECOND);
    peer.tick(2 * SECOND);
    expect(peer.events).toMatchObject([
      {
        type: 'error',
        error: {
          kind: 'timeout',
          message: expect.stringMatching(/no response to OPTIONS/),
        },
      },
    ]);
  });

  it('Digest: a 401 is answered once with the credentials, which go into later requests too, never into events', () => {
    const client = new RtspClient({
      url: 'rtsp://bob:pa55word@h/x',
      cnonce: () => 'c0ffee',
    });
    const peer = new Peer(client);
    client.start(0);
    let [r] = peer.requests();
    peer.answer(
      r,
      401,
      [
        ['WWW-Authenticate', 'Basic realm="r"'],
        ['WWW-Authenticate', 'Digest realm="r", nonce="n1"'],
      ],
      undefined,
      'Unauthorized'
    );
    [r] = peer.requests();
    expect(r.method).toBe('OPTIONS');
    expect(r.uri).toBe('rtsp://h/x');
    expect(r.headers.get('authorization')).toMatch(/^Digest username="bob", realm="r", nonce="n1", uri="rtsp:\/\/h\/x", response="[0-9a-f]{32}"$/);
    peer.answer(r, 200);
    [r] = peer.requests();
    expect(r.method).toBe('DESCRIBE');
    expect(r.headers.get('authorization')).toContain('Digest');
    // The password is rejected (a second 401 to the same request): a clear auth error.
    peer.answer(r, 401, [['WWW-Authenticate', 'Digest realm="r", nonce="n2"']], undefined, 'Unauthorized');
    expect(peer.requests()).toEqual([]);
    expect(peer.events).toHaveLength(1);
    const e = peer.events[0] as Extract<RtspClientEvent, { type: 'error' }>;
    expect(e.error).toMatchObject({ kind: 'auth', status: 401 });
    expect(e.error.message).toBe('401 Unauthorized from rtsp://h/x on DESCRIBE: the server rejected the credentials');
    expect(JSON.stringify(peer.events)).not.toContain('pa55word');
  });

  it('a stale nonce is retried; no credentials is its own error', () => {
    const client = new RtspClient({
      url: 'rtsp://h/x',
      user: 'u',
      password: 'p',
    });
    const peer = new Peer(client);
    client.start(0);
    let [r] = peer.requests();
    peer.answer(r, 401, [['WWW-Authenticate', 'Digest realm="r", nonce="n1"']]);
    [r] = peer.requests();
    peer.answer(r, 401, [['WWW-Authenticate', 'Digest realm="r", nonce="n2", stale=true']]);
    [r] = peer.requests();
    expect(r.headers.get('authorization')).toContain('nonce="n2"');
    const anon = new Peer(new RtspClient({ url: 'rtsp://h/x' }));
    anon.client.start(0);
    [r] = anon.requests();
    anon.answer(r, 401, [['WWW-Authenticate', 'Basic realm="r"']]);
    expect(anon.events).toMatchObject([
      {
        type: 'error',
        error: {
          kind: 'auth',
          message: expect.stringMatching(/needs credentials/),
        },
      },
    ]);
  });

  it('TEARDOWN ends the session; BYE and a closed connection too; statuses are errors', () => {
    const peer = toPlaying();
    peer.client.teardown(5);
    const [t] = peer.requests();
    expect(t).toMatchObject({
      method: 'TEARDOWN',
      uri: 'rtsp://127.0.0.1:8554/live',
    });
    peer.answer(t, 200);
    expect(peer.events.at(-1)).toEqual({ type: 'closed' });
    expect(peer.client.state).toBe('closed');
    const bye = toPlaying();
    bye.client.bye();
    bye.drain();
    expect(bye.events.at(-1)).toEqual({ type: 'closed' });
    const cut = toPlaying();
    cut.client.connectionClosed(1);
    cut.drain();
    expect(cut.events.at(-1)).toMatchObject({
      type: 'error',
      error: { kind: 'closed' },
    });
    const nf = new Peer(new RtspClient({ url: 'rtsp://h/x' }));
    nf.client.start(0);
    nf.answer(nf.requests()[0], 200);
    nf.answer(nf.requests()[0], 404, [], undefined, 'Not Found');
    expect(nf.events).toMatchObject([
      {
        type: 'error',
        error: {
          kind: 'status',
          status: 404,
          message: 'DESCRIBE rtsp://h/x failed: 404 Not Found',
        },
      },
    ]);
  });

  it('an SDP without H.264, a SETUP without Session or with another transport: clear errors', () => {
    const run = (sdp: string, setup: [string, string][]) => {
      const peer = new Peer(new RtspClient({ url: 'rtsp://h/x' }));
      peer.client.start(0);
      peer.answer(peer.requests()[0], 200);
      peer.answer(peer.requests()[0], 200, [], sdp);
      const [s] = peer.requests();
      if (s) peer.answer(s, 200, setup);
      return peer.events.find((e) => e.type === 'error') as Extract<RtspClientEvent, { type: 'error' }>;
    };
    expect(run(SDP.replace('H264', 'H265'), []).error.message).toMatch(/only H264/);
    expect(run('v=0\r\n', []).error.kind).toBe('unsupported');
    expect(run(SDP, [['Transport', 'RTP/AVP/TCP;interleaved=0-1']]).error.message).toMatch(/no Session/);
    expect(
      run(SDP, [
        ['Session', '1'],
        ['Transport', 'RTP/AVP;unicast;client_port=1-2'],
      ]).error.message
    ).toMatch(/not RTP\/AVP\/TCP/);
  });

  it('fuzz: any bytes from the server, in any state, never throw; the machine ends closed, failed or waiting', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (steps, chunks) => {
        const peer = steps === 4 ? toPlaying() : new Peer(new RtspClient({ url: 'rtsp://u:pw@h/x' }));
        if (steps < 4) {
          peer.client.start(0);
          for (let i = 0; i < steps && !peer.client.finished; i++) {
            const [r] = peer.requests();
            if (r)
              peer.answer(
                r,
                200,
                [
                  ['Session', 's'],
                  ['Transport', 'RTP/AVP/TCP;interleaved=0-1'],
                ],
                r.method === 'DESCRIBE' ? SDP : undefined
              );
          }
        }
        for (const c of chunks) peer.feed(c);
        peer.tick(1000 * SECOND);
        expect(['closed', 'failed', 'playing', 'options', 'describe', 'setup', 'play']).toContain(peer.client.state);
      }),
      { numRuns: 300 }
    );
  });
});
