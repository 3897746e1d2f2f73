import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { BranchPort, ElementContext, Reader } from '../src/element';
import { discardPacket } from '../src/memory/release';
import { defineSink, type Sink } from '../src/operator';
import type { Packet } from '../src/packet';
import { BoundedBuffer } from '../src/pipeline/bounded-buffer';
import { BATCH_CAPS, batchOf } from './stream-mux';

/** Options that are not properties: one branch per source, in the mux's input order. */
export interface BatchSplitExtras<T extends Packet> {
  branches: readonly Sink<T>[];
}

/** Adds and ends the branches of a running batchSplit (what its handle calls). */
export interface SplitControl {
  add(source: number, branch: Sink<any>): void;
  remove(source: number): Promise<void>;
}

export const BATCH_SPLIT = defineElement({
  name: 'batchSplit',
  kind: 'sink',
  pads: 'fan-out',
  description: "Hands each frame of a streamMux batch to its source's branch (after the batched stage)",
  caps: { sink: BATCH_CAPS, src: Caps.any() },
  notes:
    'Branch k gets the frames of the mux input k, in their order; a branch that falls max-size-buffers behind holds the others back (lossless). Frames of a source with no branch are dropped and counted. From the API, branches are added for sources added to the mux, and ended, while it runs (batchSplit(...).add / .remove).',
  properties: {
    maxSizeBuffers: prop.uint({ default: 4, min: 1, doc: 'Per-branch buffer, in frames' }),
  },
  build(s, _x, links) {
    const branches = links.branches ?? [];
    if (branches.length === 0) throw new RangeError('batchSplit needs at least one branch');
    const handle = new BatchSplitHandle();
    const sink = defineSink<Packet>({
      sinkCaps: BATCH_CAPS,
      // Batches in, their frames out: the branches negotiate on their own, not against the batch caps.
      branchCaps: Caps.any(),
      dropLate: false,
      branches: branches.map((b) => ({ elements: b.elements })),
      open(ctx, ports) {
        const feeds = new Map<number, BoundedBuffer<Packet>>();
        const runs = new Map<number, Promise<void>>();
        const start = (k: number, port: BranchPort<Packet>): void => {
          const feed = new BoundedBuffer<Packet>(s.maxSizeBuffers, 'block', ctx.report);
          feeds.set(k, feed);
          runs.set(k, port.run(feed as Reader<Packet>));
        };
        ports.forEach((port, k) => start(k, port));
        const control = splitControl(ctx, feeds, runs, start);
        handle.attach(control);
        const endAll = (): void => {
          for (const f of feeds.values()) f.end();
        };
        return {
          async write(item, signal) {
            for (const { source, packet } of batchOf(item)) {
              const feed = feeds.get(source);
              if (!feed) {
                ctx.report.drop('policy');
                discardPacket(packet);
                continue;
              }
              await feed.push(packet, signal);
            }
          },
          async end() {
            endAll();
            await Promise.all(runs.values());
          },
          close() {
            handle.detach(control);
            endAll();
          },
        };
      },
    });
    return Object.assign(sink, { handle });
  },
});

function splitControl(
  ctx: ElementContext,
  feeds: Map<number, BoundedBuffer<Packet>>,
  runs: Map<number, Promise<void>>,
  start: (k: number, port: BranchPort<Packet>) => void
): SplitControl {
  return {
    add(source, branch) {
      if (!Number.isSafeInteger(source) || source < 0) throw new RangeError(`${ctx.name}: a source id is an integer ≥ 0, got ${String(source)}`);
      if (feeds.has(source)) throw new RangeError(`${ctx.name}: source ${source} has a branch already`);
      if (!ctx.openBranch) throw new TypeError(`${ctx.name}: branches can be added only while it runs in a pipeline`);
      start(source, ctx.openBranch({ elements: branch.elements }));
    },
    async remove(source) {
      const feed = feeds.get(source);
      if (!feed) throw new RangeError(`${ctx.name}: source ${source} has no branch`);
      feeds.delete(source);
      feed.end();
      await runs.get(source);
    },
  };
}

/** Adds and ends the branches of a running batchSplit (the one opened last). Calls before it starts or after it ends throw. */
export class BatchSplitHandle {
  private control: SplitControl | undefined;

  /** @internal */
  attach(c: SplitControl): void {
    this.control = c;
  }
  /** @internal */
  detach(c: SplitControl): void {
    if (this.control === c) this.control = undefined;
  }

  private running(): SplitControl {
    if (!this.control) throw new Error('batchSplit is not running: add and remove branches once its pipeline has started');
    return this.control;
  }

  /** Gives `source` (a mux id, as `streamMux(...).add` returned) its branch, negotiated and started now. */
  add<T extends Packet>(source: number, branch: Sink<T>): void {
    this.running().add(source, branch);
  }

  /** Ends the branch of `source` after the frames already handed to it; resolves once it has finished. Its later frames are dropped, counted. */
  remove(source: number): Promise<void> {
    return this.running().remove(source);
  }
}

export type BatchSplitOptions<T extends Packet = Packet> = ElementOptions<typeof BATCH_SPLIT> & BatchSplitExtras<T>;

/** A batchSplit: a Sink to pipe, and the handle that adds and ends its branches while it runs. */
export type BatchSplit = Sink<Packet> & {
  readonly handle: BatchSplitHandle;
  add<T extends Packet>(source: number, branch: Sink<T>): void;
  remove(source: number): Promise<void>;
};

/**
 * Hands each frame of a streamMux batch to the branch of its source (branch k: the mux's input k). Once the
 * pipeline runs, `add(id, branch)` gives a source added to the mux its branch and `remove(id)` ends one.
 */
export function batchSplit<T extends Packet = Packet>(options: BatchSplitOptions<T>): BatchSplit {
  const { branches, ...rest } = options;
  const op = BATCH_SPLIT.create(rest, { branches }) as Sink<Packet> & { handle: BatchSplitHandle };
  const h = op.handle;
  return Object.assign(op, {
    add: <U extends Packet>(source: number, branch: Sink<U>) => h.add(source, branch),
    remove: (source: number) => h.remove(source),
  });
}
