/** The supervisor's decision after a session, sans-IO: end, fail, TCP instead of UDP, or reconnect at an instant. */
import { describe, expect, it } from 'vitest';
import { RtspError } from '../../../src/rtsp/client';
import { afterSession, ReconnectPolicy, type AfterSession, type Outcome } from '../../../src/rtsp/session/reconnect';
import { ReconnectPolicy as FromNode } from '../../../node/elements/rtsp-src/reconnect';
import { SECOND } from '../../../src/time';

const err = (kind: RtspError['kind']) => new RtspError(kind, kind);
const fail = (kind: RtspError['kind'], played = false): Outcome => ({ kind: 'error', error: err(kind), played });

function decide(outcome: Outcome, more: Partial<AfterSession> = {}) {
  return afterSession({ outcome, transport: 'tcp', protocols: 'tcp', policy: new ReconnectPolicy(3, SECOND), now: 100 * SECOND, stopping: false, ...more });
}

describe('ReconnectPolicy', () => {
  it('is the one the Node driver imports', () => {
    expect(FromNode).toBe(ReconnectPolicy);
  });

  it('backs off 1, 2, 4 s then gives up after `retry` attempts; a session that played resets the count', () => {
    const p = new ReconnectPolicy(3, SECOND);
    const e = err('closed');
    expect([p.next(e, false), p.next(e, false), p.next(e, false), p.next(e, false)]).toEqual([SECOND, 2 * SECOND, 4 * SECOND, undefined]);
    expect(p.next(e, true)).toBe(SECOND);
    expect(p.attempts).toBe(1);
  });

  it('caps the wait at 8× the backoff', () => {
    const p = new ReconnectPolicy(10, SECOND);
    const waits = Array.from({ length: 6 }, () => p.next(err('timeout'), false));
    expect(waits).toEqual([1, 2, 4, 8, 8, 8].map((s) => s * SECOND));
  });

  it('refused credentials and an unsupported stream are final', () => {
    expect(new ReconnectPolicy(5, SECOND).next(err('auth'), true)).toBeUndefined();
    expect(new ReconnectPolicy(5, SECOND).next(err('unsupported'), false)).toBeUndefined();
  });
});

describe('afterSession', () => {
  it('a failure reconnects at now + the backoff', () => {
    const o = fail('timeout');
    expect(decide(o)).toEqual({ action: 'reconnect', at: 101 * SECOND, wait: SECOND, attempt: 1, error: (o as { error: Error }).error });
  });

  it('retries spent or a final error: fail with that error', () => {
    const policy = new ReconnectPolicy(0, SECOND);
    const o = fail('closed');
    expect(decide(o, { policy })).toEqual({ action: 'fail', error: (o as { error: Error }).error });
    expect(decide(fail('auth')).action).toBe('fail');
  });

  it('stopping ends the stream whatever the outcome', () => {
    for (const o of [fail('timeout'), { kind: 'fallback' } as const, { kind: 'eos' } as const])
      expect(decide(o, { stopping: true })).toEqual({ action: 'end' });
  });

  it('an end of stream ends, unless nothing was delivered', () => {
    expect(decide({ kind: 'eos' })).toEqual({ action: 'end' });
    expect(decide({ kind: 'stopped' }, { empty: () => err('closed') })).toEqual({ action: 'end' });
    const empty = err('closed');
    expect(decide({ kind: 'eos' }, { empty: () => empty })).toEqual({ action: 'fail', error: empty });
  });

  it('udp+tcp: a UDP session without RTP (udp-timeout) or failing before play goes over to TCP, not counted as a reconnection', () => {
    const policy = new ReconnectPolicy(3, SECOND);
    const udp = { transport: 'udp', protocols: 'udp+tcp', policy } as const;
    expect(decide({ kind: 'fallback' }, udp)).toEqual({ action: 'fallback-tcp', reason: 'udp-timeout' });
    for (const k of ['timeout', 'status', 'unsupported'] as const)
      expect(decide(fail(k), udp)).toMatchObject({ action: 'fallback-tcp', reason: 'udp-failed', error: { kind: k } });
    expect(policy.attempts).toBe(0);
    // After playing, or over TCP, or with UDP alone: a reconnection, not a fallback.
    expect(decide(fail('timeout', true), udp).action).toBe('reconnect');
    expect(decide(fail('timeout'), { ...udp, transport: 'tcp' }).action).toBe('reconnect');
    expect(decide(fail('timeout'), { ...udp, protocols: 'udp' }).action).toBe('reconnect');
    expect(policy.attempts).toBe(3);
    // A connection refused is no reason to think TCP would fare better.
    expect(decide(fail('closed'), { ...udp, policy: new ReconnectPolicy(3, SECOND) }).action).toBe('reconnect');
  });
});
