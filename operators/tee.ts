import { Caps } from '../src/caps';
import type { Reader } from '../src/element';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer } from '../src/pipeline/bounded-buffer';
import { retainPacket } from '../src/memory/release';

export type BranchPolicy = 'block' | 'leak';

export interface TeeOptions<T extends Packet> {
  name?: string;
  /** One sink (usually `pipe(transforms…, sink)`) per branch. */
  branches: readonly Sink<T>[];
  /**
   * Per branch (or for all): 'block' makes upstream wait for that branch (no loss); 'leak' drops the
   * branch's oldest packet when it falls `maxSizeBuffers` behind, so a slow branch never stalls the rest.
   */
  policy?: BranchPolicy | readonly BranchPolicy[];
  /** Per-branch buffer, in packets (default 4). */
  maxSizeBuffers?: number;
}

/** Sends every packet to every branch (GStreamer's tee, with a per-branch back-pressure policy). */
export function tee<T extends Packet = Packet>(options: TeeOptions<T>): Sink<T> {
  const { branches } = options;
  if (branches.length === 0) throw new RangeError('tee needs at least one branch');
  const policies = branches.map((_, k) => (Array.isArray(options.policy) ? options.policy[k] : options.policy) ?? 'block');
  const capacity = options.maxSizeBuffers ?? 4;
  return defineSink<T>({
    factory: 'tee',
    name: options.name,
    props: { policy: policies.join(','), 'max-size-buffers': capacity },
    sinkCaps: Caps.any(),
    dropLate: false,
    branches: branches.map((b) => ({ elements: b.elements })),
    open(ctx, ports) {
      const feeds = ports.map((_, k) => new BoundedBuffer<T>(capacity, policies[k] === 'leak' ? 'drop-oldest' : 'block', ctx.report));
      const runs = ports.map((port, k) => port.run(feeds[k] as Reader<T>));
      return {
        write(item, signal) {
          // Each branch holds the packet and releases it once (RELEASE, when all branches honour it).
          retainPacket(item, feeds.length - 1);
          let wait: Promise<void>[] | undefined;
          for (const f of feeds) {
            const w = f.push(item, signal);
            if (w) (wait ??= []).push(w);
          }
          if (wait) return Promise.all(wait).then(() => undefined);
        },
        async end() {
          for (const f of feeds) f.end();
          await Promise.all(runs);
        },
        close() {
          for (const f of feeds) f.end();
        },
      };
    },
  });
}
