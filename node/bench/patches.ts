import { Caps } from '../../src/caps';
import { hostTimers } from '../../src/clock/host';
import { EOS, type ElementContext, type Pulled, type Reader, type SinkElement, type Writer } from '../../src/element';
import { defineTransform, type Transform } from '../../src/operator';
import { BoundedBuffer } from '../../src/pipeline/bounded-buffer';
import type { Packet } from '../../src/packet';
import { ElementError } from '../../src/pipeline/errors';
import { Link } from '../../src/pipeline/link';
import { PipelineRun } from '../../src/pipeline/run';
import { abortReason, isAbortError, linkedController } from '../../src/util/abort';
import { isPromiseLike, type MaybePromise } from '../../src/util/promise';

/**
 * Candidate hot-path changes, measured on the real runtime by swapping one method on the prototype for
 * the length of a run (src/ stays untouched). Each copy differs from the original only where its comment
 * says; the report carries the numbers, the change itself belongs in src/ once agreed.
 */

/* eslint-disable @typescript-eslint/no-explicit-any -- the patches reach the runtime's private fields */
type AnyFn = (...a: any[]) => any;

export interface Patch {
  readonly name: string;
  readonly description: string;
  apply(): () => void;
}

function swap(proto: object, key: string, fn: AnyFn): () => void {
  const p = proto as Record<string, AnyFn>;
  const original = p[key];
  p[key] = fn;
  return () => void (p[key] = original);
}

/** Link.pull with another sampling mask (the original samples one pull in 16, on every link at once). */
function linkPullSampling(mask: number): AnyFn {
  return function pull(this: any, signal: AbortSignal): MaybePromise<Pulled<Packet>> {
    const isSource = this.fromSource;
    if (isSource && this.hooks.eosRequested) return EOS;
    const timed = (++this.n & mask) === 0 || (this.downstream?.measuring ?? false);
    if (timed) return this.timedPull(signal);
    let r: MaybePromise<Pulled<Packet>>;
    try {
      r = this.inner.pull(signal);
    } catch (e) {
      throw this.wrap(e);
    }
    if (isPromiseLike(r)) {
      const p = Promise.resolve(r).then(this.accept, this.reject);
      return isSource ? Promise.race([p, this.hooks.eosPromise]) : p;
    }
    return this.accept(r);
  };
}

/** Link.pull with no per-link timing at all: count, remember, check caps. The floor for a Link. */
const linkPullUntimed: AnyFn = function pull(this: any, signal: AbortSignal): MaybePromise<Pulled<Packet>> {
  const isSource = this.fromSource;
  if (isSource && this.hooks.eosRequested) return EOS;
  let r: MaybePromise<Pulled<Packet>>;
  try {
    r = this.inner.pull(signal);
  } catch (e) {
    throw this.wrap(e);
  }
  if (isPromiseLike(r)) {
    const p = Promise.resolve(r).then(this.accept, this.reject);
    return isSource ? Promise.race([p, this.hooks.eosPromise]) : p;
  }
  return this.accept(r);
};

/**
 * PipelineRun.drive for a sink without sync or deadline, reading a listener-set flag instead of the
 * AbortSignal.aborted getter per packet (a brand-checked accessor in Node). Otherwise as the original.
 */
const driveAbortFlag: AnyFn = async function drive(this: any, inst: any, el: SinkElement, link: Link, writer: Writer<Packet>): Promise<void> {
  const { signal } = this;
  let aborted = signal.aborted;
  const onAbort = () => void (aborted = true);
  signal.addEventListener('abort', onAbort);
  const rec = inst.report;
  let n = 0;
  try {
    for (;;) {
      if (aborted) throw abortReason(signal);
      let item = link.pull(signal);
      if (isPromiseLike(item)) item = await item;
      if (item === EOS) break;
      const capture = item.meta.captureTime;
      const timed = (n & 15) === 0;
      const t0 = timed ? hostTimers.now() : 0;
      try {
        const w = writer.write(item, signal);
        if (isPromiseLike(w)) await w;
      } catch (e) {
        throw isAbortError(e) ? e : new ElementError(inst.name, item.pts, e);
      }
      if (timed) rec.processing.record((hostTimers.now() - t0) * 1e6);
      if (capture !== undefined) this.latency.record(this.clock.now() - capture);
      this.delivered++;
      if ((++n & 255) === 0 && hostTimers.now() - this.lastYield > 10) {
        await this.clock.yieldToHost();
        this.lastYield = hostTimers.now();
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  await writer.end?.(signal);
};

export const PATCHES: readonly Patch[] = [
  {
    name: 'Link samples 1/256',
    description: 'Link.pull times one pull in 256 instead of 16 (two ~100 ns clock reads per link per sample)',
    apply: () => swap(Link.prototype, 'pull', linkPullSampling(255)),
  },
  {
    name: 'Link untimed',
    description: 'Link.pull without per-link timing: what counting, caps check and error naming cost',
    apply: () => swap(Link.prototype, 'pull', linkPullUntimed),
  },
  {
    name: 'drive: abort flag',
    description: "the sink loop reads a flag set by an 'abort' listener, not signal.aborted, per packet",
    apply: () => swap(PipelineRun.prototype, 'drive', driveAbortFlag),
  },
  {
    name: 'untimed + abort flag',
    description: 'both of the above',
    apply: () => {
      const a = swap(Link.prototype, 'pull', linkPullUntimed);
      const b = swap(PipelineRun.prototype, 'drive', driveAbortFlag);
      return () => {
        b();
        a();
      };
    },
  },
];

/** An identity whose reader is upstream's itself: a pass-through hop elided to only the runtime's Link. */
export function elidedIdentityOpen(_ctx: unknown, up: Reader<Packet>): Reader<Packet> {
  return up;
}

/**
 * operators/queue.ts with one change: the feeder yields to the consumer only when the buffer is full
 * (push blocks) or, for a leaky queue that never blocks, every `yieldEvery` packets. The original yields
 * a microtask after every packet, so the consumer finds the buffer empty each time and parks on a new
 * promise (plus an abort listener) per packet.
 */
/** `yieldEvery` must be a power of two. */
export function batchedQueue(yieldEvery = 64): Transform<Packet, Packet> {
  return defineTransform<Packet, Packet>({
    factory: 'queue',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    open(ctx: ElementContext, up: Reader<Packet>): Reader<Packet> {
      const capacity = ctx.profile.queueMaxBuffers;
      const policy = ctx.profile.queueLeaky === 'no' ? 'block' : ctx.profile.queueLeaky === 'upstream' ? 'drop-newest' : 'drop-oldest';
      const buffer = new BoundedBuffer<Packet>(capacity, policy, ctx.report);
      const { controller, dispose } = linkedController(ctx.signal);
      let feeder: Promise<void> | undefined;
      const feed = async (): Promise<void> => {
        const signal = controller.signal;
        let k = 0;
        try {
          for (;;) {
            let r = up.pull(signal);
            if (isPromiseLike(r)) r = await r;
            if (r === EOS) break;
            const w = buffer.push(r);
            if (w) await w;
            else if ((++k & (yieldEvery - 1)) === 0) await undefined;
          }
          buffer.end();
        } catch (e) {
          buffer.fail(e);
        }
      };
      return {
        pull(signal) {
          feeder ??= feed();
          return buffer.pull(signal);
        },
        async close() {
          controller.abort();
          buffer.end();
          await feeder?.catch((e) => {
            if (!isAbortError(e)) throw e;
          });
          dispose();
        },
      };
    },
  });
}
