import type { ElementContext } from '../../../src/element';
import { RtspError } from '../../../src/rtsp/client';
import { MILLISECOND } from '../../../src/time';
import type { RtspSrcCounters } from './counters';
import type { Outcome } from './session';
import { firstTransport, udpFailureFallsBack, type RtspProtocols, type Transport } from './transport';

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

export interface SupervisorOptions {
  readonly protocols: RtspProtocols;
  readonly policy: ReconnectPolicy;
  readonly ctx: Pick<ElementContext, 'signal' | 'log'>;
  readonly counters: RtspSrcCounters;
  /** Where the stream's end, or its failure, goes. */
  readonly buffer: { end(): void; fail(e: unknown): void };
  /** Runs one session to its end. */
  readonly session: (transport: Transport) => Promise<Outcome>;
  readonly stopping: () => boolean;
  /** Before a reconnection. */
  readonly reconnecting: () => void;
}

/**
 * Sessions one after another until the stream ends: UDP given up for TCP when udp+tcp says so, else a
 * failure reconnects by the policy. Closing cuts a backoff wait short (`wake`).
 */
export class SessionSupervisor {
  private wakeBackoff: (() => void) | undefined;

  constructor(private readonly o: SupervisorOptions) {}

  async run(): Promise<void> {
    const { o } = this;
    let transport = firstTransport(o.protocols);
    for (;;) {
      if (o.stopping()) return o.buffer.end();
      const outcome = await o.session(transport);
      if (outcome.kind === 'fallback' && !o.stopping()) {
        o.counters.fallbacks++;
        transport = 'tcp';
        continue;
      }
      if (outcome.kind !== 'error') {
        const empty = outcome.kind === 'eos' && !o.stopping() ? emptyStreamError(o.counters) : undefined;
        return empty ? o.buffer.fail(empty) : o.buffer.end();
      }
      if (o.stopping()) return o.buffer.end();
      const err = outcome.error;
      if (udpFailureFallsBack(o.protocols, transport, err, outcome.played)) {
        o.ctx.log('info', `UDP failed (${err.message}); trying TCP`);
        transport = 'tcp';
        continue;
      }
      const wait = o.policy.next(err, outcome.played);
      if (wait === undefined) return o.buffer.fail(err);
      o.counters.reconnects++;
      o.reconnecting();
      o.ctx.log('warn', `${err.message}; reconnecting in ${Math.round(wait / MILLISECOND)} ms (attempt ${o.policy.attempts} of ${o.policy.retry})`);
      await this.backoff(wait);
    }
  }

  wake(): void {
    this.wakeBackoff?.();
  }

  private async backoff(wait: number): Promise<void> {
    await new Promise<void>((r) => {
      const t = setTimeout(r, wait / MILLISECOND);
      // Closing or aborting cuts the wait short.
      this.wakeBackoff = () => (clearTimeout(t), r());
      this.o.ctx.signal.addEventListener('abort', this.wakeBackoff, { once: true });
    });
    this.wakeBackoff = undefined;
  }
}

/**
 * The server ended the stream and nothing was delivered: an empty recording is no success. Says why — no
 * media at all, or units dropped while waiting for the first keyframe (a stream cut before its IDR).
 */
export function emptyStreamError(c: RtspSrcCounters): RtspError | undefined {
  if (c.units > 0) return undefined;
  const d = c.depay;
  if (d.packets === 0) return new RtspError('closed', 'the server ended the stream without sending any media (no RTP packet came)');
  return new RtspError(
    'closed',
    `the server ended the stream before its first keyframe: ${d.dropped} access unit${d.dropped === 1 ? '' : 's'} dropped waiting for one (${
      d.packets
    } RTP packets)`
  );
}
