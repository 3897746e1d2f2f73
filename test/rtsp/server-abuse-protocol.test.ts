/**
 * RtspServerConnection under abuse, sans-IO (issue 15): request and idle timeouts on a virtual `now`, 405/501
 * for methods it does not implement, an HTTP request answered in HTTP; and rtspServerSink's printed user-id.
 * The same over real sockets: server-abuse.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { rtspServer } from '../../node/elements/rtsp-server';
import { rtspServerSink } from '../../node/elements/rtsp-server-sink';
import { parseLaunch } from '../../operators/launch';
import { G2gError, LaunchError, MissingPropertyError } from '../../src';
import { RtspParser, serializeRequest, type RtspResponse } from '../../src/rtsp/message';
import { RtspServerConnection, type RtspServerEvent } from '../../src/rtsp/server';
import { MILLISECOND, SECOND } from '../../src/time';
import { utf8Decode, utf8Encode } from '../../src/util/utf8';

const SDP = () => 'v=0\r\n';
const connection = (
  o: {
    requestTimeout?: number;
    idleTimeout?: number;
    sessionTimeout?: number;
    now?: number;
  } = {}
) =>
  new RtspServerConnection({
    path: '/s',
    sdp: SDP,
    sessionId: () => 'S1',
    ...o,
  });

/** Everything the connection sent, as text, and its events. */
function drain(conn: RtspServerConnection): {
  text: string;
  events: RtspServerEvent[];
} {
  let text = '';
  for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) text += utf8Decode(b);
  const events: RtspServerEvent[] = [];
  for (let e = conn.nextEvent(); e; e = conn.nextEvent()) events.push(e);
  return { text, events };
}

function ask(conn: RtspServerConnection, method: string, uri: string, headers: [string, string][] = [], now = 0): RtspResponse {
  conn.receive(serializeRequest(method, uri, [['CSeq', '7'], ...headers]), now);
  const p = new RtspParser();
  for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) p.push(b);
  return p.next() as RtspResponse;
}

const TCP = ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1'] as [string, string];

describe('methods it does not implement (RFC 2326 10, 11.3)', () => {
  it.each(['ANNOUNCE', 'RECORD', 'PAUSE', 'REDIRECT'])('%s: 405 Method Not Allowed with Allow, with or without a session', (method) => {
    const conn = connection();
    const before = ask(conn, method, 'rtsp://h/s');
    expect(before).toMatchObject({
      status: 405,
      reason: 'Method Not Allowed',
    });
    expect(before.headers.get('cseq')).toBe('7');
    const allow = before.headers.get('allow')!.split(', ');
    expect(allow).toEqual(expect.arrayContaining(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY', 'TEARDOWN']));
    expect(allow).not.toContain(method);
    // Allow lists what OPTIONS' Public does.
    expect(before.headers.get('allow')).toBe(ask(conn, 'OPTIONS', '*').headers.get('public'));
    expect(ask(conn, 'SETUP', 'rtsp://h/s/stream=0', [TCP]).status).toBe(200);
    expect(ask(conn, method, 'rtsp://h/s', [['Session', 'S1']]).status).toBe(405);
    // The connection lives on.
    expect(ask(conn, 'PLAY', 'rtsp://h/s', [['Session', 'S1']]).status).toBe(200);
  });

  it('an unknown method: 501 Not Implemented, even on an unknown path; the connection lives on', () => {
    const conn = connection();
    for (const method of ['FOO', 'PLAYX', 'GET', 'POST', 'SETUPS']) {
      expect(ask(conn, method, 'rtsp://h/s')).toMatchObject({
        status: 501,
        reason: 'Not Implemented',
      });
      expect(ask(conn, method, 'rtsp://h/nowhere').status).toBe(501);
    }
    expect(ask(conn, 'DESCRIBE', 'rtsp://h/s').status).toBe(200);
    expect(drain(conn).events).toEqual([]);
  });
});

describe('an HTTP request (RTSP over HTTP tunnelling, a browser)', () => {
  const GET = 'GET /s HTTP/1.1\r\nHost: h\r\nAccept: application/x-rtsp-tunnelled\r\nx-sessioncookie: abc\r\n\r\n';

  it.each([
    ['whole', [GET]],
    ['byte by byte', [...GET]],
    ['after empty lines, HTTP/1.0, POST', ['\r\n\r\nPOST /s HTTP/1.0\r\nContent-Length: 32767\r\n\r\n']],
    ['the request line only, then held', ['GET / HTTP/1.1\r\n']],
  ])('%s: answered in HTTP, then closed', (_, chunks) => {
    const conn = connection();
    for (const c of chunks) conn.receive(utf8Encode(c), 0);
    const { text, events } = drain(conn);
    expect(text).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(text).not.toContain('RTSP/1.0');
    expect(text).toContain('\r\nConnection: close\r\n');
    const [head, body] = text.split('\r\n\r\n');
    expect(Number(/Content-Length: (\d+)/.exec(head)![1])).toBe(body.length);
    expect(events).toEqual([{ type: 'close', reason: 'HTTP request' }]);
    // Nothing more is read.
    conn.receive(utf8Encode('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n'), 0);
    expect(drain(conn)).toEqual({ text: '', events: [] });
  });

  it('RTSP stays RTSP: byte by byte, a URI mentioning HTTP, a request after the first', () => {
    const conn = connection();
    for (const ch of 'OPTIONS rtsp://h/HTTP/1.1 RTSP/1.0\r\nCSeq: 1\r\n\r\n') conn.receive(utf8Encode(ch), 0);
    expect(drain(conn).text).toMatch(/^RTSP\/1\.0 200 OK\r\n/);
    // Only the first line of a connection is sniffed: later, a bad start line is an RTSP 400.
    conn.receive(utf8Encode('GET / HTTP/1.1\r\n\r\n'), 0);
    const { text, events } = drain(conn);
    expect(text).toMatch(/^RTSP\/1\.0 400 Bad Request\r\n/);
    expect(events).toEqual([{ type: 'close', reason: 'bad request' }]);
  });
});

describe('timeouts', () => {
  const T0 = 1000 * SECOND;

  it('the first request: from the accept; a connection that sends nothing is closed with 408', () => {
    const conn = connection({ requestTimeout: 2 * SECOND, now: T0 });
    expect(conn.pollTimeout()).toBe(T0 + 2 * SECOND);
    conn.handleTimeout(T0 + 2 * SECOND - 1);
    expect(drain(conn)).toEqual({ text: '', events: [] });
    conn.handleTimeout(T0 + 2 * SECOND);
    const { text, events } = drain(conn);
    expect(text).toMatch(/^RTSP\/1\.0 408 Request Timeout\r\n/);
    expect(events).toEqual([{ type: 'close', reason: 'request timed out', timeout: 'request' }]);
    expect(conn.pollTimeout()).toBeUndefined();
  });

  it('slowloris: a request trickled a byte a second times out from its first byte, not its last', () => {
    const conn = connection({
      requestTimeout: 5 * SECOND,
      idleTimeout: 60 * SECOND,
      now: T0,
    });
    expect(ask(conn, 'OPTIONS', '*', [], T0).status).toBe(200);
    const partial = 'OPTIONS * RTSP/1.0\r\nCSeq: 2\r\nX-a: b';
    let now = T0 + SECOND;
    conn.receive(utf8Encode(partial[0]), now);
    const deadline = now + 5 * SECOND;
    for (let i = 1; i < partial.length && now < deadline; i++) {
      expect(conn.pollTimeout()).toBe(deadline);
      conn.handleTimeout(now);
      now += SECOND;
      conn.receive(utf8Encode(partial[i]), now);
    }
    conn.handleTimeout(conn.pollTimeout()!);
    expect(drain(conn).events).toEqual([{ type: 'close', reason: 'request timed out', timeout: 'request' }]);
  });

  it('each request gets its own time; between requests without a session, the idle timeout; a session its own', () => {
    const conn = connection({
      requestTimeout: 2 * SECOND,
      idleTimeout: 10 * SECOND,
      sessionTimeout: 30 * SECOND,
      now: T0,
    });
    expect(ask(conn, 'DESCRIBE', 'rtsp://h/s', [], T0 + SECOND).status).toBe(200);
    // Idle from the last whole request.
    expect(conn.pollTimeout()).toBe(T0 + 11 * SECOND);
    // Half a request at +9.5 s: its own 2 s (+11.5 s), not the idle deadline (+11 s).
    conn.receive(utf8Encode('SETUP rtsp://h/s/stream=0 RTSP/1.0\r\n'), T0 + 9.5 * SECOND);
    expect(conn.pollTimeout()).toBe(T0 + 11.5 * SECOND);
    conn.handleTimeout(T0 + 11.2 * SECOND);
    expect(drain(conn).events).toEqual([]);
    // Its rest, and the start of the next one, in one chunk: the next one's time runs from this chunk.
    conn.receive(utf8Encode(`CSeq: 2\r\n${TCP[0]}: ${TCP[1]}\r\n\r\nPLAY rtsp://h/s RTSP/1.0\r\n`), T0 + 11.4 * SECOND);
    expect(drain(conn).text).toMatch(/^RTSP\/1\.0 200 OK\r\n/);
    expect(conn.pollTimeout()).toBe(T0 + 13.4 * SECOND);
    conn.receive(utf8Encode('CSeq: 3\r\nSession: S1\r\n\r\n'), T0 + 11.5 * SECOND);
    expect(drain(conn).events).toMatchObject([{ type: 'play' }]);
    // Playing: the session's timeout alone, from the last thing received.
    expect(conn.pollTimeout()).toBe(T0 + 41.5 * SECOND);
    conn.receive(new Uint8Array([0x24, 1, 0, 2, 0x80, 0xc9]), T0 + 20 * SECOND);
    expect(conn.pollTimeout()).toBe(T0 + 50 * SECOND);
    conn.handleTimeout(T0 + 50 * SECOND);
    expect(drain(conn).events).toEqual([{ type: 'close', reason: 'session S1 timed out', timeout: 'session' }]);
  });

  it('idle: a connection without a session that stops asking is closed without an answer; after TEARDOWN too', () => {
    const conn = connection({ idleTimeout: 10 * SECOND, now: T0 });
    ask(conn, 'OPTIONS', '*', [], T0);
    conn.handleTimeout(T0 + 10 * SECOND);
    expect(drain(conn)).toEqual({
      text: '',
      events: [{ type: 'close', reason: 'idle', timeout: 'idle' }],
    });
    const torn = connection({ idleTimeout: 10 * SECOND, now: T0 });
    ask(torn, 'SETUP', 'rtsp://h/s/stream=0', [TCP], T0);
    ask(torn, 'TEARDOWN', 'rtsp://h/s', [['Session', 'S1']], T0 + 100 * SECOND);
    drain(torn);
    expect(torn.pollTimeout()).toBe(T0 + 110 * SECOND);
  });

  it('0: no limit', () => {
    const conn = connection({ requestTimeout: 0, idleTimeout: 0, now: T0 });
    expect(conn.pollTimeout()).toBeUndefined();
    conn.receive(utf8Encode('OPTIONS * RTSP/1.0\r\n'), T0);
    expect(conn.pollTimeout()).toBeUndefined();
    conn.handleTimeout(T0 + 1e6 * SECOND);
    expect(drain(conn).events).toEqual([]);
  });

  it('fuzz: whatever arrives when, a driver that handles each deadline leaves the next one ahead of now, or the connection closed', () => {
    const step = fc.oneof(
      fc.record({
        bytes: fc.constantFrom(
          'OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n',
          'DESCRIBE rtsp://h/s RTSP/1.0\r\n',
          'CSeq: 2\r\n\r\n',
          'SETUP rtsp://h/s/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n',
          'X'
        ),
        dt: fc.integer({ min: 0, max: 5000 }),
      }),
      fc.record({
        timeout: fc.constant(true),
        dt: fc.integer({ min: 0, max: 5000 }),
      })
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 20 }), (steps) => {
        const conn = connection({
          requestTimeout: 2 * SECOND,
          idleTimeout: 3 * SECOND,
          sessionTimeout: 4 * SECOND,
          now: 0,
        });
        let now = 0;
        let closed = false;
        for (const s of steps) {
          now += s.dt * MILLISECOND;
          const due = conn.pollTimeout();
          if ('bytes' in s) {
            // A driver handles a deadline before later input.
            if (due !== undefined && due <= now) conn.handleTimeout(now);
            conn.receive(utf8Encode(s.bytes), now);
          } else conn.handleTimeout(now);
          closed ||= drain(conn).events.some((e) => e.type === 'close');
          const next = conn.pollTimeout();
          if (closed) expect(next).toBeUndefined();
          else expect(next).toBeGreaterThan(now);
        }
      }),
      { numRuns: 300 }
    );
  });
});

describe('options', () => {
  it('bad limits fail as G2gError naming the option', () => {
    expect(() => rtspServer({ requestTimeout: -1 })).toThrow(G2gError);
    expect(() => rtspServer({ requestTimeout: -1 })).toThrow(/requestTimeout/);
    expect(() => rtspServer({ idleTimeout: Number.NaN })).toThrow(/idleTimeout/);
    expect(() => rtspServer({ maxConnections: 1.5 })).toThrow(/maxConnections/);
    const server = rtspServer({
      requestTimeout: 0,
      idleTimeout: 0,
      maxConnections: 0,
    });
    expect(server.counters).toMatchObject({
      refused: 0,
      requestTimeouts: 0,
      idleTimeouts: 0,
    });
    // A sink tells the server it serves on: a shared one at once, its own once open.
    expect(rtspServerSink({ server }).server).toBe(server);
    expect(rtspServerSink().server).toBeUndefined();
  });

  it('rtspServerSink declares them with their defaults and docs', () => {
    const info = Object.fromEntries(
      cliRegistry()
        .lookup('rtspServerSink')
        .propertyInfo()
        .map((p) => [p.name, p])
    );
    expect(info['request-timeout']).toMatchObject({
      type: 'duration',
      default: '20s',
    });
    expect(info['idle-timeout']).toMatchObject({
      type: 'duration',
      default: '60s',
    });
    expect(info['max-connections']).toMatchObject({
      type: 'uint',
      default: '512',
    });
    for (const p of ['request-timeout', 'idle-timeout', 'max-connections']) expect(info[p].doc).toMatch(/0: (no limit|never)/);
    const p = parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink request-timeout=500ms idle-timeout=2 max-connections=10', cliRegistry());
    expect(p.toString()).toContain('request-timeout=500ms idle-timeout=2s max-connections=10');
  });
});

describe('rtspServerSink printed with user-id, never user-pw', () => {
  it('the printed text names the secret it needs instead of serving without auth', () => {
    const registry = cliRegistry();
    const text = parseLaunch('fileSrc location=x ! h264Parse ! rtspServerSink port=0 user-id=me user-pw=topsecret', registry).toString();
    expect(text).toContain('user-id=me');
    expect(text).not.toMatch(/topsecret|user-pw/);
    let error: unknown;
    try {
      parseLaunch(text, registry);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LaunchError);
    const cause = (error as LaunchError).cause;
    expect(cause).toBeInstanceOf(MissingPropertyError);
    expect((cause as MissingPropertyError).property).toBe('user-pw');
    expect((error as Error).message).toMatch(/needs user-pw, the password of user-id=me: a secret, never printed/);
    // Given again, the same pipeline.
    expect(parseLaunch(`${text} user-pw=topsecret`, registry).toString()).toBe(text);
    // The same from TypeScript; and a password without a user.
    expect(() => rtspServerSink({ userId: 'me' })).toThrow(MissingPropertyError);
    expect(() => rtspServerSink({ userPw: 'x' })).toThrow(/needs user-id=/);
  });
});
