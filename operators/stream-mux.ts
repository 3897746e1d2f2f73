import { BATCH_CAPS, type BatchPacket } from '../src/batch/batch-packet';
import { openMux, type MuxControl, type MuxSourceState, type PendingFrames, type RemovedSource } from '../src/batch/mux-reader';
import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import type { InputReader, Reader } from '../src/element';
import { defineSource, type Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { MILLISECOND } from '../src/time';
import { limitSource, NUM_BUFFERS } from './num-buffers';

export { BATCH_CAPS, batchOf, batchPacket, isBatch, type BatchPacket } from '../src/batch/batch-packet';
export type { MuxControl, MuxSourceState, PendingFrames, RemovedSource } from '../src/batch/mux-reader';

export const STREAM_MUX = defineElement({
  name: 'streamMux',
  kind: 'source',
  pads: 'fan-in',
  description: 'Batches frames of N sources for one inference: full batches, or partial ones at a deadline (DeepStream nvstreammux)',
  caps: { sink: Caps.any(), src: BATCH_CAPS },
  metas: 'forward',
  notes:
    "Pulls each input while it has no frame waiting (so a source ahead of the batch waits: backpressure). A batch goes when it holds batch-size frames, when batched-push-timeout has passed since its first frame went in (on the pipeline's clock), or at the end; at most max-same-source-frames per source, sources taken round-robin. Each output packet carries its frames in meta.batch as { source, packet }; its pts and capture time are the earliest of its frames'. An input that fails fails the pipeline, or with source-error=drop is removed (its frames already taken still go out) while the others go on. From the API, sources are added and removed while it runs (streamMux(...).add / .remove), the others never held.",
  properties: {
    numBuffers: NUM_BUFFERS,
    batchSize: prop.uint({ default: 4, min: 1, max: 1024, doc: 'Frames per batch at most' }),
    batchedPushTimeout: prop.duration({
      default: 33 * MILLISECOND,
      min: 0,
      unit: 'us',
      doc: 'Longest a batch waits for more frames after its first (a bare number is µs, as DeepStream)',
    }),
    maxSameSourceFrames: prop.uint({ default: 1, min: 1, doc: 'Frames of one source in one batch at most' }),
    maxFps: prop.uint({ default: 0, doc: 'Frames per second one source may contribute (0: no limit; the rest dropped and counted)' }),
    sourceError: prop.enum(['fail', 'drop'] as const, { default: 'fail', doc: 'An input that fails: fail the pipeline, or drop that source and go on' }),
    keepAlive: prop.boolean({
      default: false,
      doc: "With no source left (or none at the start), wait for sources added at run time instead of ending; it ends at the pipeline's end-of-stream or the handle's end()",
    }),
  },
  build(s, _x, links) {
    const inputs = links.inputs ?? [];
    if (inputs.length === 0 && !s.keepAlive) throw new RangeError('streamMux needs at least one input (or keep-alive, to add them at run time)');
    const handle = new StreamMuxHandle();
    const mux = defineSource<Packet>({
      metas: 'forward',
      srcCaps: BATCH_CAPS,
      // Any frames in, batches out: the inputs negotiate on their own, not against the batch caps.
      inputCaps: Caps.any(),
      inputs: inputs.map((i) => ({ elements: i.elements })),
      open(ctx, readers: readonly InputReader<Packet>[]): Reader<Packet> {
        const { reader, control } = openMux(ctx, readers, {
          batchSize: s.batchSize,
          timeout: s.batchedPushTimeout,
          maxSameSource: s.maxSameSourceFrames,
          maxFps: s.maxFps,
          sourceError: s.sourceError,
          keepAlive: s.keepAlive,
        });
        handle.attach(control);
        return { pull: reader.pull.bind(reader), close: () => (handle.detach(control), reader.close?.()) };
      },
    });
    return Object.assign(limitSource(mux, s.numBuffers), { handle });
  },
});

/**
 * Adds and removes the sources of a running streamMux (the one opened last, when a pipeline holding it runs
 * more than once). Calls before the pipeline starts or after it ends throw.
 */
export class StreamMuxHandle {
  private control: MuxControl | undefined;
  /** The last run's, so that its final counts can be read once it has ended. */
  private last: MuxControl | undefined;

  /** @internal */
  attach(c: MuxControl): void {
    this.control = this.last = c;
  }
  /** @internal */
  detach(c: MuxControl): void {
    if (this.control === c) this.control = undefined;
  }

  private running(): MuxControl {
    if (!this.control) throw new Error('streamMux is not running: add and remove sources once its pipeline has started');
    return this.control;
  }

  /**
   * Attaches a source to the running mux: negotiated and opened now (a NegotiationError here when it cannot
   * link), pulled at once; the others go on. Returns its id: the `source` of its slots in `meta.batch`.
   */
  add<T extends Packet>(source: Source<T>): number {
    return this.running().add({ elements: source.elements });
  }

  /**
   * Removes a source: its pending pull is aborted and its elements closed; its frames that no batch has
   * pushed yet still go out ('flush', the default) or are dropped, counted in the stats ('drop'). The others
   * are never held: a batch that waited for it goes as soon as it can.
   */
  remove(id: number, options: { pending?: PendingFrames } = {}): Promise<RemovedSource> {
    const pending = options.pending ?? 'flush';
    if (pending !== 'flush' && pending !== 'drop')
      return Promise.reject(new RangeError(`streamMux remove: pending must be flush or drop, got '${String(pending)}'`));
    return this.running().remove(id, pending);
  }

  /** No source will be added any more: a keep-alive mux ends once the sources it has have ended. */
  end(): void {
    this.running().end();
  }

  /** Every source it has had, by id: its state, frames taken and dropped (after the run: as it ended). */
  sources(): MuxSourceState[] {
    if (!this.last) throw new Error('streamMux has not run yet');
    return this.last.sources();
  }
}

/** A streamMux: a Source to pipe, and the handle that adds and removes its sources while it runs. */
export type StreamMux<T extends Packet = Packet> = Source<BatchPacket<T>> & {
  readonly handle: StreamMuxHandle;
  add<U extends T>(source: Source<U>): number;
  remove(id: number, options?: { pending?: PendingFrames }): Promise<RemovedSource>;
  end(): void;
  sources(): MuxSourceState[];
};

export type StreamMuxOptions = ElementOptions<typeof STREAM_MUX>;

/**
 * Batches frames of N sources (DeepStream's nvstreammux): each output packet carries up to batch-size frames
 * in `meta.batch`, pushed when full or batched-push-timeout after its first frame; `batchSplit` hands the
 * frames back to per-source branches after the batched stage. The result is also the mux's handle: once
 * the pipeline runs, `add(source)` attaches another input and `remove(id, { pending })` takes one away.
 */
export const streamMux = <T extends Packet>(inputs: readonly Source<T>[], options: StreamMuxOptions = {}): StreamMux<T> => {
  const op = STREAM_MUX.create(options, { inputs }) as Source<any> & { handle: StreamMuxHandle };
  const h = op.handle;
  return Object.assign(op, {
    add: (source: Source<T>) => h.add(source),
    remove: (id: number, o?: { pending?: PendingFrames }) => h.remove(id, o),
    end: () => h.end(),
    sources: () => h.sources(),
  });
};
