import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Reader } from '../src/element';
import type { ElementContext } from '../src/element';
import { defineTransform, type Transform } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer, type OverflowPolicy } from '../src/pipeline/bounded-buffer';
import { isAbortError, linkedController } from '../src/util/abort';
import { isPromiseLike } from '../src/util/promise';

const POLICY: Record<'no' | 'upstream' | 'downstream', OverflowPolicy> = {
  no: 'block',
  upstream: 'drop-newest',
  downstream: 'drop-oldest',
};

export const QUEUE = defineElement({
  name: 'queue',
  kind: 'transform',
  description: 'Bounded buffer with its own upstream task, so a slow consumer never stalls capture (GStreamer queue)',
  caps: { sink: Caps.any(), src: Caps.any() },
  metas: 'forward',
  notes:
    "Upstream is pulled by a task of its own into a bounded buffer (GStreamer's thread boundary). Answers the allocation query for what follows it; releases what it drops when leaky.",
  properties: {
    maxSizeBuffers: prop.uint({ default: 0, doc: "Capacity in packets (0 = the latency profile's: live 2, throughput 200)" }),
    leaky: prop.enum(['no', 'upstream', 'downstream'], {
      defaultDoc: "the profile's (live: downstream, throughput: no)",
      doc: 'When full: block (no), drop new (upstream) or drop oldest (downstream)',
    }),
  },
  build: (s) =>
    defineTransform<Packet, Packet>({
      sinkCaps: Caps.any(),
      srcCaps: Caps.any(),
      passthrough: true,
      open(ctx: ElementContext, up: Reader<Packet>): Reader<Packet> {
        const capacity = s.maxSizeBuffers || ctx.profile.queueMaxBuffers;
        const buffer = new BoundedBuffer<Packet>(capacity, POLICY[s.leaky ?? ctx.profile.queueLeaky], ctx.report);
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
    }),
});

export type QueueOptions = ElementOptions<typeof QUEUE>;

/**
 * Decouples upstream from downstream: upstream is pulled by a task of its own into a bounded buffer,
 * so a slow consumer never stalls capture (GStreamer's queue and its thread boundary).
 */
export const queue = <T extends Packet = Packet>(options: QueueOptions = {}): Transform<T, T> => QUEUE.create(options) as Transform<any, any>;
