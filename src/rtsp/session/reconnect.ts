/**
 * What follows a session's end, sans-IO: the stream ends, fails, goes over to TCP, or reconnects at an
 * instant the caller's clock gives. The Node supervisor (node/elements/rtsp-src/reconnect.ts) only waits
 * and counts; the choice is here, testable under virtual time.
 */
import { RtspError } from '../client';
import { udpFailureFallsBack, type RtspProtocols, type Transport } from './transport-policy';

/**
 * Whether a failed session is set up again, and after how long: `retry` attempts, the first after
 * `backoff`, doubling up to 8× that. A session that played resets the count (each outage gets its
 * retries); refused credentials and an unsupported stream are final, as retrying cannot mend them.
 */
export class ReconnectPolicy {
  private attempt = 0;

  constructor(readonly retry: number, private readonly backoff: number) {}

  get attempts(): number {
    return this.attempt;
  }

  /** The wait (ns) before the next attempt, or undefined when `error` ends the stream. */
  next(error: Error, played: boolean): number | undefined {
    const fatal = error instanceof RtspError && (error.kind === 'auth' || error.kind === 'unsupported');
    if (played) this.attempt = 0;
    if (fatal || this.attempt >= this.retry) return undefined;
    this.attempt++;
    return Math.min(this.backoff * 2 ** (this.attempt - 1), this.backoff * 8);
  }
}

/** How a session ended: the stream's end, a stop from the pipeline, UDP given up for TCP (udp-timeout), or a failure. */
export type Outcome = { kind: 'eos' } | { kind: 'stopped' } | { kind: 'fallback' } | { kind: 'error'; error: Error; played: boolean };

export interface AfterSession {
  readonly outcome: Outcome;
  /** The transport the session ran over. */
  readonly transport: Transport;
  readonly protocols: RtspProtocols;
  readonly policy: ReconnectPolicy;
  /** Now, on the caller's clock (ns): a reconnection is due `wait` after it. */
  readonly now: number;
  /** The pipeline is stopping: whatever happened, the stream just ends. */
  readonly stopping: boolean;
  /** For an 'eos': why an end with nothing delivered is a failure (an empty recording is no success), else undefined. */
  readonly empty?: () => Error | undefined;
}

export type NextStep =
  | { readonly action: 'end' }
  | { readonly action: 'fail'; readonly error: Error }
  /** 'udp-timeout': played but no RTP came (counted as a fallback); 'udp-failed': UDP failed before playing. */
  | { readonly action: 'fallback-tcp'; readonly reason: 'udp-timeout' }
  | { readonly action: 'fallback-tcp'; readonly reason: 'udp-failed'; readonly error: Error }
  | { readonly action: 'reconnect'; readonly at: number; readonly wait: number; readonly attempt: number; readonly error: Error };

/** The supervisor's decision after one session; mutates only `policy` (its attempt count). */
export function afterSession(a: AfterSession): NextStep {
  const { outcome: o } = a;
  if (a.stopping) return { action: 'end' };
  if (o.kind === 'fallback') return { action: 'fallback-tcp', reason: 'udp-timeout' };
  if (o.kind !== 'error') {
    const empty = o.kind === 'eos' ? a.empty?.() : undefined;
    return empty ? { action: 'fail', error: empty } : { action: 'end' };
  }
  if (udpFailureFallsBack(a.protocols, a.transport, o.error, o.played)) return { action: 'fallback-tcp', reason: 'udp-failed', error: o.error };
  const wait = a.policy.next(o.error, o.played);
  if (wait === undefined) return { action: 'fail', error: o.error };
  return { action: 'reconnect', at: a.now + wait, wait, attempt: a.policy.attempts, error: o.error };
}
