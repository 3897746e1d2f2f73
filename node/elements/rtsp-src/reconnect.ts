import type { ElementContext } from '../../../src/element';
import { RtspError } from '../../../src/rtsp/client';
import { afterSession, ReconnectPolicy, type Outcome } from '../../../src/rtsp/session/reconnect';
import { MILLISECOND } from '../../../src/time';
import type { RtspSrcCounters } from './counters';
import { firstTransport, type RtspProtocols, type Transport } from './transport';

// The policy is sans-IO (src/rtsp/session/reconnect.ts); re-exported so that imports from here keep working.
export { ReconnectPolicy };

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
      const step = afterSession({
        outcome,
        transport,
        protocols: o.protocols,
        policy: o.policy,
        now: 0, // the wait is slept below, on the host's timers: the instant is not needed
        stopping: o.stopping(),
        empty: () => emptyStreamError(o.counters),
      });
      if (step.action === 'end') return o.buffer.end();
      if (step.action === 'fail') return o.buffer.fail(step.error);
      if (step.action === 'fallback-tcp') {
        if (step.reason === 'udp-timeout') o.counters.fallbacks++;
        else o.ctx.log('info', `UDP failed (${step.error.message}); trying TCP`);
        transport = 'tcp';
        continue;
      }
      const { wait } = step;
      o.counters.reconnects++;
      o.reconnecting();
      o.ctx.log('warn', `${step.error.message}; reconnecting in ${Math.round(wait / MILLISECOND)} ms (attempt ${o.policy.attempts} of ${o.policy.retry})`);
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
