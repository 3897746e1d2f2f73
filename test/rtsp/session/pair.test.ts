/**
 * Client and server joined in memory (ConnectionPair) under virtual time: the whole request sequence,
 * keep-alives past the session timeout, a frozen server, a lost response, a server restart with reconnection
 * by the sans-IO policy, UDP given up for TCP. Every time asserted is exact: nothing here waits on a real clock.
 */
import { describe, expect, it } from 'vitest';
import { ReconnectPolicy } from '../../../src/rtsp/session/reconnect';
import { SECOND } from '../../../src/time';
import { ConnectionPair } from './pair';

const MINUTE = 60 * SECOND;

describe('RTSP client and server in memory', () => {
  it('OPTIONS, DESCRIBE, SETUP (TCP interleaved), PLAY: the client plays and media reaches it', () => {
    const p = new ConnectionPair().connect();
    expect(p.requests.map((r) => r.method)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
    expect(p.client.state).toBe('playing');
    expect(p.plays).toEqual([{ t: 0, session: 'S1-1' }]);
    expect(p.client.transport).toMatchObject({ protocol: 'RTP/AVP/TCP', interleaved: [0, 1] });
    // PLAY carries the session SETUP gave.
    expect(p.requests[3].session).toBe('S1-1');
    expect(p.serverEvents.map(({ e }) => e.type)).toEqual(['play']);
    p.advance(10 * SECOND);
    expect(p.clientEvents.filter(({ e }) => e.type === 'rtp').map(({ t }) => t / SECOND)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('keep-alives at half the session timeout hold the session for ten virtual minutes', () => {
    const start = performance.now();
    const p = new ConnectionPair({ server: { sessionTimeout: 10 * SECOND } }).connect();
    p.advance(10 * MINUTE);
    expect(p.client.state).toBe('playing');
    expect(p.serverEvents.filter(({ e }) => e.type === 'close')).toEqual([]);
    const ka = p.requests.filter((r) => r.method === 'GET_PARAMETER');
    // The server announced timeout=10 and lists GET_PARAMETER: one every 5 s, each with the session.
    expect(ka.length).toBe(120);
    expect(ka.every((r, i) => r.t === (i + 1) * 5 * SECOND && r.session === 'S1-1')).toBe(true);
    expect(p.errors).toEqual([]);
    // Ten virtual minutes (600 packets, 120 keep-alives) in well under the real time a socket test takes.
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('without keep-alives often enough, the server ends the session at its timeout and the client learns it', () => {
    // The control for the test above: a client keep-alive period past the server's timeout.
    const p = new ConnectionPair({ server: { sessionTimeout: 10 * SECOND }, client: { keepAlive: 15 * SECOND } }).connect();
    p.advance(MINUTE);
    expect(p.serverEvents.find(({ e }) => e.type === 'close')).toEqual({
      t: 10 * SECOND,
      e: { type: 'close', reason: 'session S1-1 timed out', timeout: 'session' },
    });
    expect(p.errors.map(({ t, error }) => [t, error.kind])).toEqual([[10 * SECOND, 'closed']]);
    expect(p.finished).toBe(true);
  });

  it('a server that freezes while playing: the client fails with a timeout one data timeout after the last packet', () => {
    const p = new ConnectionPair({ client: { dataTimeout: 5 * SECOND } }).connect();
    p.advance(30 * SECOND);
    p.frozen = true;
    p.advance(MINUTE);
    expect(p.errors.map(({ t, error }) => [t, error.kind])).toEqual([[35 * SECOND, 'timeout']]);
    expect(p.errors[0].error.message).toMatch(/no media from rtsp:\/\/cam\.test\/live for 5000 ms/);
    expect(p.client.state).toBe('failed');
  });

  it('a frozen server with no data timeout: the unanswered keep-alive times out', () => {
    const p = new ConnectionPair({ client: { dataTimeout: 0, responseTimeout: 10 * SECOND }, server: { sessionTimeout: 60 * SECOND } }).connect();
    p.advance(31 * SECOND);
    p.frozen = true;
    p.advance(2 * MINUTE);
    // Keep-alives every 30 s: the one at 60 s gets no answer, 10 s later the session fails.
    expect(p.requests.filter((r) => r.method === 'GET_PARAMETER').map((r) => r.t)).toEqual([30 * SECOND]);
    expect(p.errors.map(({ t, error }) => [t, error.kind])).toEqual([[70 * SECOND, 'timeout']]);
    expect(p.errors[0].error.message).toMatch(/no response to GET_PARAMETER within 10000 ms/);
  });

  it('a server frozen from the start: no answer to OPTIONS is a timeout at the response timeout', () => {
    const p = new ConnectionPair({ client: { responseTimeout: 7 * SECOND } });
    p.frozen = true;
    p.connect().advance(MINUTE);
    expect(p.errors.map(({ t, error }) => [t, error.kind])).toEqual([[7 * SECOND, 'timeout']]);
    expect(p.errors[0].error.message).toMatch(/no response to OPTIONS/);
  });

  it('a lost DESCRIBE response: the session times out, the policy reconnects after its backoff, and the next session plays', () => {
    let lost = 0;
    const p = new ConnectionPair({ policy: new ReconnectPolicy(3, SECOND), client: { responseTimeout: 10 * SECOND } });
    // Only the first one is lost.
    p.loseResponse = (r) => r.includes('Content-Type: application/sdp') && lost++ === 0;
    p.connect().advance(MINUTE);
    expect(p.errors.map(({ t, error }) => [t, error.kind])).toEqual([[10 * SECOND, 'timeout']]);
    expect(p.errors[0].error.message).toMatch(/no response to DESCRIBE/);
    expect(p.outcomes.map(({ step }) => step)).toMatchObject([{ action: 'reconnect', at: 11 * SECOND, wait: SECOND, attempt: 1, error: { kind: 'timeout' } }]);
    expect(p.attempts).toEqual([0, 11 * SECOND]);
    expect(p.plays).toEqual([{ t: 11 * SECOND, session: 'S1-2' }]);
    expect(p.client.state).toBe('playing');
  });

  it('a server restart: the connection drops, attempts back off while it is down, and a new session plays', () => {
    const p = new ConnectionPair({ policy: new ReconnectPolicy(5, SECOND), server: { sessionTimeout: 20 * SECOND } }).connect();
    p.advance(MINUTE);
    p.restartServer(5 * SECOND); // down from 60 s to 65 s
    p.advance(3 * MINUTE);
    // Dropped at 60 s (it had played: the count starts again), refused at 61 s and 63 s, played at 67 s.
    expect(p.errors.map(({ t, error }) => [t / SECOND, error.kind])).toEqual([
      [60, 'closed'],
      [61, 'closed'],
      [63, 'closed'],
    ]);
    expect(p.attempts.map((t) => t / SECOND)).toEqual([0, 61, 63, 67]);
    expect(p.outcomes.map(({ step }) => (step.action === 'reconnect' ? step.wait / SECOND : step.action))).toEqual([1, 2, 4]);
    // A new server generation, a new session id; keep-alives go on with it for the two minutes that follow.
    expect(p.plays.map(({ t, session }) => [t / SECOND, session])).toEqual([
      [0, 'S1-1'],
      [67, 'S2-4'],
    ]);
    expect(p.client.state).toBe('playing');
    expect(p.requests.filter((r) => r.method === 'GET_PARAMETER' && r.t > 67 * SECOND).every((r) => r.session === 'S2-4')).toBe(true);
    expect(p.finished).toBe(false);
  });

  it('udp+tcp: RTP over UDP blocked, the client tears down at udp-timeout and plays over TCP at once', () => {
    const p = new ConnectionPair({ protocols: 'udp+tcp', policy: new ReconnectPolicy(3, SECOND), client: { udpTimeout: 3 * SECOND } });
    p.udpBlocked = true;
    p.connect().advance(MINUTE);
    expect(p.clientEvents.find(({ e }) => e.type === 'udp-timeout')).toEqual({ t: 3 * SECOND, e: { type: 'udp-timeout', after: 3 * SECOND } });
    expect(p.requests.filter((r) => r.t === 3 * SECOND).map((r) => r.method)).toEqual(['TEARDOWN', 'OPTIONS', 'DESCRIBE', 'SETUP', 'PLAY']);
    expect(p.outcomes.map(({ t, step }) => [t, step])).toEqual([[3 * SECOND, { action: 'fallback-tcp', reason: 'udp-timeout' }]]);
    expect(p.plays.map(({ t }) => t)).toEqual([0, 3 * SECOND]);
    expect(p.client.transport?.protocol).toBe('RTP/AVP/TCP');
    expect(p.errors).toEqual([]);
    expect(p.clientEvents.filter(({ e }) => e.type === 'rtp').length).toBe(57); // 4 s … 60 s, over TCP
  });

  it('udp+tcp with UDP getting through stays on UDP', () => {
    const p = new ConnectionPair({ protocols: 'udp+tcp', client: { udpTimeout: 3 * SECOND } }).connect().advance(MINUTE);
    expect(p.client.transport).toMatchObject({ protocol: 'RTP/AVP', clientPort: [5000, 5001], serverPort: [6000, 6001] });
    expect(p.outcomes).toEqual([]);
    expect(p.clientEvents.filter(({ e }) => e.type === 'rtp').length).toBe(60);
  });

  it('retries spent while the server stays down: the stream fails with the last error', () => {
    const p = new ConnectionPair({ policy: new ReconnectPolicy(2, SECOND) }).connect();
    p.restartServer(MINUTE);
    p.advance(MINUTE);
    expect(p.attempts.map((t) => t / SECOND)).toEqual([0, 1, 3]);
    expect(p.outcomes.at(-1)?.step.action).toBe('fail');
    expect(p.finished).toBe(true);
  });
});
