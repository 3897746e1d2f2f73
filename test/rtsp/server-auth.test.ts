/** RtspServerAuth and RtspServerConnection with mounts and authentication, sans-IO. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../src/rtp/base64';
import { authorization, chooseChallenge, parseChallenges } from '../../src/rtsp/auth';
import { RtspParser, serializeRequest, type RtspResponse } from '../../src/rtsp/message';
import { RtspServerConnection } from '../../src/rtsp/server';
import { digestResponse, RtspAuthError, RtspServerAuth } from '../../src/rtsp/server-auth';
import { SECOND } from '../../src/time';
import { utf8Encode } from '../../src/util/utf8';

const basic = (u: string, p: string) => `Basic ${encodeBase64(utf8Encode(`${u}:${p}`))}`;

/** What our client answers to the server's challenges, as a real client does. */
function answer(auth: RtspServerAuth, method: string, uri: string, user: string, password: string, now = 0, prefer?: 'basic'): string {
  const cs = parseChallenges(auth.challenges(now));
  const c = prefer ? cs.find((x) => x.scheme === prefer)! : chooseChallenge(cs)!;
  return authorization(c, { user, password }, method, uri, 'c0ffee');
}

describe('RtspServerAuth', () => {
  it('digestResponse: the RFC 2617 3.5 example', () => {
    expect(
      digestResponse({
        user: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      })
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('challenges: Digest (MD5, qop=auth, fresh nonce) then Basic; our client picks Digest', () => {
    const auth = new RtspServerAuth({ users: { user: 'u', password: 'p' }, realm: 'cams' });
    const cs = parseChallenges(auth.challenges(5 * SECOND));
    expect(cs.map((c) => c.scheme)).toEqual(['digest', 'basic']);
    expect(cs[0].params).toMatchObject({ realm: 'cams', algorithm: 'MD5', qop: 'auth' });
    expect(cs[0].params.nonce).not.toBe(parseChallenges(auth.challenges(6 * SECOND))[0].params.nonce);
    expect(chooseChallenge(cs)!.scheme).toBe('digest');
    expect(parseChallenges(auth.challenges(0, true))[0].params.stale).toBe('TRUE');
    expect(new RtspServerAuth({ users: { user: 'u', password: 'p' }, methods: ['basic'] }).challenges(0)).toEqual(['Basic realm="glass2glass"']);
  });

  it('Digest and Basic: right credentials pass, anything else fails with its reason', () => {
    const auth = new RtspServerAuth({
      users: [
        { user: 'u', password: 'p' },
        { user: 'v', password: 'q' },
      ],
    });
    const uri = 'rtsp://127.0.0.1:8554/live';
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'u', 'p'), 0)).toMatchObject({ ok: true, user: 'u', method: 'digest' });
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'v', 'q'), 0)).toMatchObject({ ok: true, user: 'v' });
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'u', 'wrong'), 0)).toEqual({ ok: false, reason: 'credentials' });
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'nobody', 'p'), 0)).toEqual({ ok: false, reason: 'credentials' });
    // The digest covers the method: replayed as another request it fails.
    expect(auth.verify('PLAY', uri, answer(auth, 'DESCRIBE', uri, 'u', 'p'), 0)).toEqual({ ok: false, reason: 'credentials' });
    // Signed for another path.
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', 'rtsp://127.0.0.1:8554/other', 'u', 'p'), 0)).toEqual({ ok: false, reason: 'uri' });
    // A nonce the server did not make.
    const forged = answer(auth, 'DESCRIBE', uri, 'u', 'p').replace(/nonce="(\w+)\./, 'nonce="1$1.');
    expect(auth.verify('DESCRIBE', uri, forged, 0)).toEqual({ ok: false, reason: 'nonce' });
    // Another server's nonce (another secret).
    const other = new RtspServerAuth({ users: { user: 'u', password: 'p' } });
    expect(auth.verify('DESCRIBE', uri, answer(other, 'DESCRIBE', uri, 'u', 'p'), 0)).toEqual({ ok: false, reason: 'nonce' });
    // Basic.
    expect(auth.verify('DESCRIBE', uri, basic('u', 'p'), 0)).toMatchObject({ ok: true, user: 'u', method: 'basic' });
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'u', 'p', 0, 'basic'), 0)).toMatchObject({ ok: true, method: 'basic' });
    expect(auth.verify('DESCRIBE', uri, basic('u', 'q'), 0)).toEqual({ ok: false, reason: 'credentials' });
    expect(auth.verify('DESCRIBE', uri, 'Basic !!!', 0)).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify('DESCRIBE', uri, undefined, 0)).toEqual({ ok: false, reason: 'missing' });
    expect(auth.verify('DESCRIBE', uri, 'Bearer xyz', 0)).toEqual({ ok: false, reason: 'scheme' });
    const digestOnly = new RtspServerAuth({ users: { user: 'u', password: 'p' }, methods: ['digest'] });
    expect(digestOnly.verify('DESCRIBE', uri, basic('u', 'p'), 0)).toEqual({ ok: false, reason: 'scheme' });
  });

  it('Digest without qop (RFC 2069, as GStreamer answers) passes too', () => {
    const auth = new RtspServerAuth({ users: { user: 'u', password: 'p' } });
    const nonce = auth.nonce(0);
    const response = digestResponse({ user: 'u', realm: 'glass2glass', password: 'p', method: 'SETUP', uri: 'rtsp://h/live/stream=0', nonce });
    const value = `Digest username="u", realm="glass2glass", nonce="${nonce}", uri="rtsp://h/live/stream=0", response="${response}"`;
    expect(auth.verify('SETUP', 'rtsp://h/live/stream=0', value, 0)).toMatchObject({ ok: true });
    expect(
      auth.verify(
        'SETUP',
        'rtsp://h/live/stream=0',
        value.replace(
          response,
          response.replace(/^./, (c) => (c === '0' ? '1' : '0'))
        ),
        0
      )
    ).toEqual({ ok: false, reason: 'credentials' });
  });

  it('a nonce past its lifetime is stale (right credentials) or still wrong (wrong ones)', () => {
    const auth = new RtspServerAuth({ users: { user: 'u', password: 'p' }, nonceLifetime: 10 * SECOND });
    const uri = 'rtsp://h/live';
    const v = answer(auth, 'DESCRIBE', uri, 'u', 'p', 0);
    expect(auth.verify('DESCRIBE', uri, v, 10 * SECOND).ok).toBe(true);
    expect(auth.verify('DESCRIBE', uri, v, 11 * SECOND)).toMatchObject({ ok: false, reason: 'stale' });
    expect(auth.verify('DESCRIBE', uri, answer(auth, 'DESCRIBE', uri, 'u', 'x', 0), 11 * SECOND)).toEqual({ ok: false, reason: 'credentials' });
  });

  it('options are validated with typed errors', () => {
    expect(() => new RtspServerAuth({ users: [] })).toThrow(RtspAuthError);
    expect(() => new RtspServerAuth({ users: { user: 'a:b', password: 'p' } })).toThrow(/user names/);
    expect(() => new RtspServerAuth({ users: { user: 'a', password: 'p\r\n' } })).toThrow(/CR/);
    expect(() => new RtspServerAuth({ users: { user: 'a', password: 'p' }, methods: [] })).toThrow(/methods/);
    expect(() => new RtspServerAuth({ users: { user: 'a', password: 'p' }, nonceLifetime: 0 })).toThrow(/nonceLifetime/);
  });

  it('property: any user/password our client answers with passes; any other password fails', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((u) => !/[:\r\n\0"\\]/.test(u)),
        fc.string({ maxLength: 16 }).filter((p) => !/[\r\n\0]/.test(p)),
        fc.string({ minLength: 1, maxLength: 4 }),
        fc.constantFrom('basic' as const, undefined),
        (user, password, extra, prefer) => {
          const auth = new RtspServerAuth({ users: { user, password } });
          const uri = 'rtsp://10.0.0.1/cam/stream=0';
          expect(auth.verify('SETUP', uri, answer(auth, 'SETUP', uri, user, password, 0, prefer), 0).ok).toBe(true);
          expect(auth.verify('SETUP', uri, answer(auth, 'SETUP', uri, user, password + extra, 0, prefer), 0).ok).toBe(false);
        }
      ),
      { numRuns: 200 }
    );
  });

  it('fuzz: any Authorization value never throws and never passes', () => {
    const auth = new RtspServerAuth({ users: { user: 'u', password: 'p' } });
    fc.assert(
      fc.property(
        fc
          .oneof(fc.string(), fc.constantFrom('Digest ', 'Basic ', 'Digest username="u", realm="glass2glass", nonce="0.x", uri="/s", response="0"'))
          .chain((a) => fc.tuple(fc.constant(a), fc.string())),
        ([a, b]) => {
          expect(auth.verify('DESCRIBE', 'rtsp://h/s', a + b, 0).ok).toBe(false);
        }
      ),
      { numRuns: 500 }
    );
  });
});

/** A client talking to one connection: each request answered with its response. */
function talk(conn: RtspServerConnection) {
  let cseq = 0;
  const parser = new RtspParser();
  const seen: string[] = [];
  const ask = (method: string, uri: string, headers: [string, string][] = [], now = 0): RtspResponse => {
    conn.receive(serializeRequest(method, uri, [['CSeq', String(++cseq)], ...headers]), now);
    for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) {
      seen.push(new TextDecoder().decode(b));
      parser.push(b);
    }
    return parser.next() as RtspResponse;
  };
  return { ask, seen };
}

describe('RtspServerConnection: mounts and authentication', () => {
  const auth = new RtspServerAuth({ users: { user: 'u', password: 'secret-pw' }, nonceLifetime: 10 * SECOND });
  const mounts = new Map([
    ['/a', { sdp: () => 'v=0\r\ns=a\r\n' }],
    ['/b', { sdp: () => 'v=0\r\ns=b\r\n' }],
  ]);

  it('401 with challenges until the client authenticates; then DESCRIBE, SETUP, PLAY of the mount named', () => {
    const conn = new RtspServerConnection({ mounts: (p) => mounts.get(p), auth, sessionId: () => 'S', serverPorts: [6000, 6001] });
    const { ask, seen } = talk(conn);
    expect(ask('OPTIONS', '*').status).toBe(200);
    const r = ask('DESCRIBE', 'rtsp://h/b');
    expect(r.status).toBe(401);
    const challenges = parseChallenges(r.headers.getAll('www-authenticate'));
    expect(challenges.map((c) => c.scheme)).toEqual(['digest', 'basic']);
    const as = (method: string, uri: string) => authorization(chooseChallenge(challenges)!, { user: 'u', password: 'secret-pw' }, method, uri, 'abc');
    // Unknown paths: 401 to strangers, 404 once authenticated.
    expect(ask('DESCRIBE', 'rtsp://h/zzz').status).toBe(401);
    expect(ask('DESCRIBE', 'rtsp://h/zzz', [['Authorization', as('DESCRIBE', 'rtsp://h/zzz')]]).status).toBe(404);
    expect(ask('DESCRIBE', 'rtsp://h/b', [['Authorization', basic('u', 'nope')]]).status).toBe(401);
    const d = ask('DESCRIBE', 'rtsp://h/b', [['Authorization', as('DESCRIBE', 'rtsp://h/b')]]);
    expect(d.status).toBe(200);
    expect(new TextDecoder().decode(d.body)).toContain('s=b');
    const s = ask('SETUP', 'rtsp://h/b/stream=0', [
      ['Transport', 'RTP/AVP/TCP;unicast;interleaved=0-1'],
      ['Authorization', as('SETUP', 'rtsp://h/b/stream=0')],
    ]);
    expect(s.status).toBe(200);
    // Without credentials even a valid session gets nowhere.
    expect(ask('PLAY', 'rtsp://h/b/', [['Session', 'S']]).status).toBe(401);
    // The session is /b's: PLAY of /a is refused.
    expect(
      ask('PLAY', 'rtsp://h/a', [
        ['Session', 'S'],
        ['Authorization', as('PLAY', 'rtsp://h/a')],
      ]).status
    ).toBe(455);
    expect(
      ask('PLAY', 'rtsp://h/b/', [
        ['Session', 'S'],
        ['Authorization', as('PLAY', 'rtsp://h/b/')],
      ]).status
    ).toBe(200);
    const events = [];
    for (let e = conn.nextEvent(); e; e = conn.nextEvent()) events.push(e);
    // Refusals of wrong credentials are told (not of missing ones); success once; never a password.
    expect(events).toEqual([
      { type: 'auth', ok: true, method: 'digest', user: 'u' },
      { type: 'auth', ok: false, reason: 'credentials' },
      {
        type: 'play',
        session: 'S',
        path: '/b',
        transport: expect.objectContaining({ protocol: 'RTP/AVP/TCP' }),
        transports: new Map([[0, expect.objectContaining({ protocol: 'RTP/AVP/TCP' })]]),
      },
    ]);
    // The connection's nonce outlives its lifetime for this connection (keep-alives of a long session).
    expect(
      ask(
        'GET_PARAMETER',
        'rtsp://h/b/',
        [
          ['Session', 'S'],
          ['Authorization', as('GET_PARAMETER', 'rtsp://h/b/')],
        ],
        60 * SECOND
      ).status
    ).toBe(200);
    // The password never travels back.
    expect(seen.join('')).not.toContain('secret-pw');
  });

  it('a stale nonce on a new connection: 401 stale=TRUE', () => {
    const conn = new RtspServerConnection({ mounts: (p) => mounts.get(p), auth });
    const { ask } = talk(conn);
    const old = authorization(chooseChallenge(parseChallenges(auth.challenges(0)))!, { user: 'u', password: 'secret-pw' }, 'DESCRIBE', 'rtsp://h/a', 'x');
    const r = ask('DESCRIBE', 'rtsp://h/a', [['Authorization', old]], 30 * SECOND);
    expect(r.status).toBe(401);
    expect(parseChallenges(r.headers.getAll('www-authenticate'))[0].params.stale).toBe('TRUE');
  });

  it('a mount with its own users; open mounts need none; no auth: 404 for unknown paths at once', () => {
    const own = new RtspServerAuth({ users: { user: 'x', password: 'y' }, methods: ['basic'] });
    const m = new Map([
      ['/open', { sdp: () => 'v=0\r\n' }],
      ['/closed', { sdp: () => 'v=0\r\n', auth: own }],
    ]);
    const { ask } = talk(new RtspServerConnection({ mounts: (p) => m.get(p) }));
    expect(ask('DESCRIBE', 'rtsp://h/open').status).toBe(200);
    expect(ask('DESCRIBE', 'rtsp://h/nothing').status).toBe(404);
    expect(ask('DESCRIBE', 'rtsp://h/closed').headers.getAll('www-authenticate')).toEqual(['Basic realm="glass2glass"']);
    expect(ask('DESCRIBE', 'rtsp://h/closed', [['Authorization', basic('x', 'y')]]).status).toBe(200);
    expect(() => new RtspServerConnection({})).toThrow(TypeError);
  });

  it('fuzz: any requests to an authenticated multi-mount connection never throw; responses parse', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            fc.constantFrom(
              ...[
                'DESCRIBE rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Digest username="u"\r\n\r\n',
                'SETUP rtsp://h/b/stream=0 RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Basic dTpzZWNyZXQtcHc=\r\nTransport: RTP/AVP/TCP;interleaved=0-1\r\n\r\n',
                'PLAY rtsp://h/b RTSP/1.0\r\nCSeq: 4\r\nAuthorization: Basic dTpzZWNyZXQtcHc=\r\nSession: x\r\n\r\n',
              ].map((t) => new TextEncoder().encode(t))
            )
          ),
          { maxLength: 10 }
        ),
        (chunks) => {
          const conn = new RtspServerConnection({ mounts: (p) => mounts.get(p), auth, sessionId: () => 'x' });
          const p = new RtspParser();
          for (const c of chunks) {
            conn.receive(c, 0);
            for (let b = conn.pollTransmit(); b; b = conn.pollTransmit()) p.push(b);
            for (let m = p.next(); m; m = p.next()) expect(m).toMatchObject({ kind: 'response' });
          }
        }
      ),
      { numRuns: 300 }
    );
  });
});
