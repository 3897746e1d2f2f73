import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { Reader } from '../src/element';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer } from '../src/pipeline/bounded-buffer';
import { retainPacket } from '../src/memory/release';

export type BranchPolicy = 'block' | 'leak';

/** Options that are not properties: the branches (launch syntax makes them from `t.` references). */
export interface TeeExtras<T extends Packet> {
  /** One sink (usually `pipe(transforms…, sink)`) per branch. */
  branches: readonly Sink<T>[];
  /**
   * Per branch (or for all): 'block' makes upstream wait for that branch (no loss); 'leak' drops the
   * branch's oldest packet when it falls `maxSizeBuffers` behind, so a slow branch never stalls the rest.
   */
  policy?: BranchPolicy | readonly BranchPolicy[];
}

export const TEE = defineElement({
  name: 'tee',
  kind: 'sink',
  pads: 'fan-out',
  description: 'Sends every packet to every branch, each blocking or leaking when behind (GStreamer tee)',
  caps: { sink: Caps.any(), src: Caps.any() },
  notes: 'Holds one reference per extra branch (RELEASE); answers the allocation query with what all its branches honour.',
  properties: {
    policy: prop.string({
      default: 'block',
      pattern: /^(block|leak)(,(block|leak))*$/,
      accepts: 'block or leak, or a comma-separated list of them, one per branch',
      doc: 'Per branch when it falls behind: block (lossless) or leak (drop its oldest); one for all, or one per branch',
    }),
    maxSizeBuffers: prop.uint({ default: 4, min: 1, doc: 'Per-branch buffer, in packets' }),
  },
  build(s, _x, links) {
    const branches = links.branches ?? [];
    if (branches.length === 0) throw new RangeError('tee needs at least one branch');
    const policies = s.policy.split(',') as BranchPolicy[];
    if (policies.length !== 1 && policies.length !== branches.length)
      throw new RangeError(`policy lists ${policies.length} policies for ${branches.length} branches`);
    const capacity = s.maxSizeBuffers;
    return defineSink<Packet>({
      sinkCaps: Caps.any(),
      dropLate: false,
      branches: branches.map((b) => ({ elements: b.elements })),
      open(ctx, ports) {
        const feeds = ports.map((_, k) => new BoundedBuffer<Packet>(capacity, (policies[k] ?? policies[0]) === 'leak' ? 'drop-oldest' : 'block', ctx.report));
        const runs = ports.map((port, k) => port.run(feeds[k] as Reader<Packet>));
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
  },
});

export type TeeOptions<T extends Packet = Packet> = Omit<ElementOptions<typeof TEE>, keyof TeeExtras<T>> & TeeExtras<T>;

/** Sends every packet to every branch (GStreamer's tee, with a per-branch back-pressure policy). */
export function tee<T extends Packet = Packet>(options: TeeOptions<T>): Sink<T> {
  const { branches, policy, ...rest } = options;
  // A list shorter than the branches leaves the rest blocking (an empty one: all block).
  const list = typeof policy === 'string' || policy === undefined ? policy : branches.map((_, k) => policy[k] ?? 'block').join(',') || undefined;
  return TEE.create({ ...rest, policy: list }, { branches });
}
