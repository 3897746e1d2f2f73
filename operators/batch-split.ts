import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { Reader } from '../src/element';
import { discardPacket } from '../src/memory/release';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer } from '../src/pipeline/bounded-buffer';
import { BATCH_CAPS, batchOf } from './stream-mux';

/** Options that are not properties: one branch per source, in the mux's input order. */
export interface BatchSplitExtras<T extends Packet> {
  branches: readonly Sink<T>[];
}

export const BATCH_SPLIT = defineElement({
  name: 'batchSplit',
  kind: 'sink',
  pads: 'fan-out',
  description: "Hands each frame of a streamMux batch to its source's branch (after the batched stage)",
  caps: { sink: BATCH_CAPS, src: Caps.any() },
  notes:
    'Branch k gets the frames of the mux input k, in their order; a branch that falls max-size-buffers behind holds the others back (lossless). Frames of a source with no branch are dropped and counted.',
  properties: {
    maxSizeBuffers: prop.uint({ default: 4, min: 1, doc: 'Per-branch buffer, in frames' }),
  },
  build(s, _x, links) {
    const branches = links.branches ?? [];
    if (branches.length === 0) throw new RangeError('batchSplit needs at least one branch');
    return defineSink<Packet>({
      sinkCaps: BATCH_CAPS,
      dropLate: false,
      branches: branches.map((b) => ({ elements: b.elements })),
      open(ctx, ports) {
        const feeds = ports.map(() => new BoundedBuffer<Packet>(s.maxSizeBuffers, 'block', ctx.report));
        const runs = ports.map((port, k) => port.run(feeds[k] as Reader<Packet>));
        return {
          async write(item, signal) {
            for (const { source, packet } of batchOf(item)) {
              const feed = feeds[source];
              if (!feed) {
                ctx.report.drop('policy');
                discardPacket(packet);
                continue;
              }
              await feed.push(packet, signal);
            }
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

export type BatchSplitOptions<T extends Packet = Packet> = ElementOptions<typeof BATCH_SPLIT> & BatchSplitExtras<T>;

/** Hands each frame of a streamMux batch to the branch of its source (branch k: the mux's input k). */
export function batchSplit<T extends Packet = Packet>(options: BatchSplitOptions<T>): Sink<Packet> {
  const { branches, ...rest } = options;
  return BATCH_SPLIT.create(rest, { branches });
}
