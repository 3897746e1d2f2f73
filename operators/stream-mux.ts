import { Batcher, type BatchSlot } from '../src/batch/batcher';
import { Caps } from '../src/caps';
import { defineElement, prop, type ElementOptions } from '../src/descriptor';
import { EOS, type Pulled, type Reader } from '../src/element';
import { discardPacket } from '../src/memory/release';
import { defineSource, type Source } from '../src/operator';
import { packet, type Packet } from '../src/packet';
import { MILLISECOND } from '../src/time';
import { isPromiseLike } from '../src/util/promise';
import { limitSource, NUM_BUFFERS } from './num-buffers';

/** What streamMux produces: no payload of its own; the frames, each with its source, in `meta.batch`. */
export const BATCH_CAPS = Caps.parse('application/x-g2g-batch');

export type BatchPacket<T extends Packet = Packet> = Packet & { readonly meta: { readonly batch: readonly BatchSlot<T>[] } };

/** The frames of a batch packet (empty for any other packet). */
export const batchOf = <T extends Packet = Packet>(p: Packet): readonly BatchSlot<T>[] => (p.meta.batch as readonly BatchSlot<T>[] | undefined) ?? [];

export const STREAM_MUX = defineElement({
  name: 'streamMux',
  kind: 'source',
  pads: 'fan-in',
  description: 'Batches frames of N sources for one inference: full batches, or partial ones at a deadline (DeepStream nvstreammux)',
  caps: { sink: Caps.any(), src: BATCH_CAPS },
  metas: 'forward',
  notes:
    "Pulls each input while it has no frame waiting (so a source ahead of the batch waits: backpressure). A batch goes when it holds batch-size frames, when batched-push-timeout has passed since its first frame went in (on the pipeline's clock), or at the end; at most max-same-source-frames per source, sources taken round-robin. Each output packet carries its frames in meta.batch as { source, packet }; its pts and capture time are the earliest of its frames'. An input that fails fails the pipeline, or with source-error=drop is removed (its frames already taken still go out) while the others go on.",
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
  },
  build(s, _x, links) {
    const inputs = links.inputs ?? [];
    if (inputs.length === 0) throw new RangeError('streamMux needs at least one input');
    const mux = defineSource<Packet>({
      metas: 'forward',
      srcCaps: BATCH_CAPS,
      inputs: inputs.map((i) => ({ elements: i.elements })),
      open(ctx, readers: readonly Reader<Packet>[]): Reader<Packet> {
        const b = new Batcher<Packet>({ batchSize: s.batchSize, timeout: s.batchedPushTimeout, maxSameSource: s.maxSameSourceFrames, maxFps: s.maxFps });
        for (let k = 0; k < readers.length; k++) b.addSource();
        const inflight: (Promise<void> | undefined)[] = readers.map(() => undefined);
        let failure: unknown;
        /** Wakes the waiting pull when an input answers. */
        let wake: (() => void) | undefined;
        const take = (k: number, v: Pulled<Packet>): void => {
          if (v === EOS) b.end(k);
          else if (!b.offer(k, v)) {
            ctx.report.drop('policy');
            discardPacket(v);
          }
        };
        const lost = (k: number, e: unknown): void => {
          if (s.sourceError === 'drop') {
            ctx.log('warn', `input ${k} failed and was removed: ${e instanceof Error ? e.message : String(e)}`);
            b.end(k);
          } else failure ??= e;
        };
        const pullInputs = (signal: AbortSignal): void => {
          readers.forEach((r, k) => {
            // One answer at a time per input, and none while one of its frames waits for a batch.
            while (!b.isEnded(k) && inflight[k] === undefined && b.waiting(k) === 0 && failure === undefined) {
              let v: ReturnType<Reader<Packet>['pull']>;
              try {
                v = r.pull(signal);
              } catch (e) {
                lost(k, e);
                return;
              }
              if (!isPromiseLike(v)) {
                take(k, v);
                continue;
              }
              inflight[k] = Promise.resolve(v)
                .then(
                  (x) => take(k, x),
                  (e: unknown) => lost(k, e)
                )
                .finally(() => {
                  inflight[k] = undefined;
                  wake?.();
                });
            }
          });
        };
        const emit = (slots: BatchSlot<Packet>[]): Packet => {
          const first = (f: (p: Packet) => number | undefined) =>
            slots.reduce<number | undefined>((m, x) => (f(x.packet) === undefined ? m : m === undefined ? f(x.packet) : Math.min(m, f(x.packet)!)), undefined);
          const capture = first((p) => p.meta.captureTime);
          return packet({ caps: BATCH_CAPS, pts: first((p) => p.pts), meta: { batch: slots, ...(capture === undefined ? {} : { captureTime: capture }) } });
        };
        return {
          async pull(signal) {
            for (;;) {
              pullInputs(signal);
              if (failure !== undefined) throw failure;
              const now = ctx.clock.now();
              b.fill(now);
              const slots = b.take(now);
              if (slots) return emit(slots);
              if (b.drained) return EOS;
              // Wait for an input to answer, or the batch's deadline.
              const answered = new Promise<void>((r) => (wake = r));
              const deadline = b.deadline;
              const timer = new AbortController();
              const onAbort = () => timer.abort(signal.reason);
              signal.addEventListener('abort', onAbort, { once: true });
              try {
                await Promise.race([answered, ...(deadline === undefined ? [] : [ctx.clock.sleepUntil(deadline, timer.signal).catch(() => undefined)])]);
              } finally {
                wake = undefined;
                timer.abort();
                signal.removeEventListener('abort', onAbort);
              }
              if (signal.aborted) throw signal.reason;
            }
          },
        };
      },
    });
    return limitSource(mux, s.numBuffers);
  },
});

export type StreamMuxOptions = ElementOptions<typeof STREAM_MUX>;

/**
 * Batches frames of N sources (DeepStream's nvstreammux): each output packet carries up to batch-size frames
 * in `meta.batch`, pushed when full or batched-push-timeout after its first frame; `batchSplit` hands the
 * frames back to per-source branches after the batched stage.
 */
export const streamMux = <T extends Packet>(inputs: readonly Source<T>[], options: StreamMuxOptions = {}): Source<BatchPacket<T>> =>
  STREAM_MUX.create(options, { inputs }) as Source<any>;
