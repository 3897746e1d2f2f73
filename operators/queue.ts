import { Caps } from '../src/caps';
import { EOS, type Reader } from '../src/element';
import type { ElementContext } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer, type OverflowPolicy } from '../src/pipeline/bounded-buffer';
import { isAbortError, linkedController } from '../src/util/abort';
import { isPromiseLike } from '../src/util/promise';

export interface QueueOptions {
  name?: string;
  /** Capacity in packets; default: the latency profile's (live 2, throughput 200). */
  maxSizeBuffers?: number;
  /** GStreamer's leaky: 'no' blocks upstream, 'upstream' drops new packets, 'downstream' drops the oldest. */
  leaky?: 'no' | 'upstream' | 'downstream';
}

const POLICY: Record<'no' | 'upstream' | 'downstream', OverflowPolicy> = {
  no: 'block',
  upstream: 'drop-newest',
  downstream: 'drop-oldest',
};

/**
 * Decouples upstream from downstream: upstream is pulled by a task of its own into a bounded buffer,
 * so a slow consumer never stalls capture (GStreamer's queue and its thread boundary).
 */
export function queue<T extends Packet = Packet>(options: QueueOptions = {}): Transform<T, T> {
  return defineTransform<T, T>({
    factory: 'queue',
    name: options.name,
    props: { 'max-size-buffers': options.maxSizeBuffers, leaky: options.leaky },
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    metas: 'forward',
    open(ctx: ElementContext, up: Reader<T>): Reader<T> {
      const capacity = options.maxSizeBuffers ?? ctx.profile.queueMaxBuffers;
      const buffer = new BoundedBuffer<T>(capacity, POLICY[options.leaky ?? ctx.profile.queueLeaky], ctx.report);
      const { controller, dispose } = linkedController(ctx.signal);
      let feeder: Promise<void> | undefined;
      const feed = async (): Promise<void> => {
        const signal = controller.signal;
        let n = 0;
        try {
          // Checked every packet: an endless synchronous upstream never waits, so nothing else would stop it.
          while (!signal.aborted) {
            let r = up.pull(signal);
            if (isPromiseLike(r)) r = await r;
            if (r === EOS) break;
            const w = buffer.push(r, signal);
            if (w) await w;
            // A synchronous upstream never waits: let the consumer run now and then (a leaky queue never
            // blocks), but not after every packet — a yield per packet doubles the cost of a queue hop.
            else if ((++n & 63) === 0) await undefined;
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
