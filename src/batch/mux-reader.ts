import { EOS, type Chain, type ElementContext, type InputReader, type Pulled, type Reader } from '../element';
import { discardPacket } from '../memory/release';
import type { Packet } from '../packet';
import { AbortError, linkedController } from '../util/abort';
import { isPromiseLike } from '../util/promise';
import { batchPacket } from './batch-packet';
import { Batcher, type BatcherOptions } from './batcher';

/** What happens to a removed source's frames that no batch has pushed yet. */
export type PendingFrames = 'flush' | 'drop';

/** One source of a running mux, as `sources()` reports it. */
export interface MuxSourceState {
  /** Its index: the slot's `source` in `meta.batch`, and the batchSplit branch it goes to. */
  readonly id: number;
  /** 'active' while pulled; 'ended' after its end of stream (or its failure with source-error=drop); 'removed'. */
  readonly state: 'active' | 'ended' | 'removed';
  /** Frames taken from it: each either went out in a batch or is counted in `dropped` (the frame-rate limit's drops are not taken). */
  readonly frames: number;
  /** Frames dropped: by the frame-rate limit, and at its removal with pending=drop. */
  readonly dropped: number;
}

/** What `remove` did with the removed source's frames that no batch had pushed yet. */
export interface RemovedSource {
  readonly id: number;
  /** Left to go out in later batches (pending=flush). */
  readonly flushed: number;
  /** Dropped and counted in the stats (pending=drop). */
  readonly dropped: number;
}

/** Adds and removes the sources of a running mux (what a streamMux handle calls). */
export interface MuxControl {
  add(input: Chain): number;
  /** No source will be added any more: a keep-alive mux ends once those it has have. */
  end(): void;
  remove(id: number, pending: PendingFrames): Promise<RemovedSource>;
  sources(): MuxSourceState[];
}

export interface MuxSettings extends BatcherOptions {
  readonly sourceError: 'fail' | 'drop';
  /** With no source left, wait for more (added at run time) until `end()` or a graceful end-of-stream. */
  readonly keepAlive: boolean;
}

interface Input {
  readonly reader: InputReader<Packet>;
  /** Aborts this input's pending pull alone (removal), and with the pipeline. */
  readonly abort: AbortController;
  readonly dispose: () => void;
  inflight: Promise<void> | undefined;
  removed: boolean;
  frames: number;
  dropped: number;
}

/**
 * The running streamMux: pulls each input while none of its frames waits (backpressure), batches them by
 * the Batcher's rules on the pipeline clock, and adds or removes inputs while it runs without holding the
 * others (an added input is pulled at once; a removed one's pull is aborted, its elements closed).
 */
export function openMux(ctx: ElementContext, readers: readonly InputReader<Packet>[], s: MuxSettings): { reader: Reader<Packet>; control: MuxControl } {
  const b = new Batcher<Packet>(s);
  const inputs: Input[] = [];
  let failure: unknown;
  /** Wakes the waiting pull when an input answers, or one is added or removed. */
  let wake: (() => void) | undefined;
  /** No more sources will come (end(), or a graceful end-of-stream): a keep-alive mux may end. */
  let ending = !s.keepAlive;
  const end = (): void => {
    ending = true;
    wake?.();
  };
  // Hooked once (not raced per wait, which would leave a reaction on it per pull).
  if (s.keepAlive) void ctx.eosPromise?.then(end);
  const drained = (): boolean => ending && b.drained;

  const register = (reader: InputReader<Packet>): number => {
    const { controller, dispose } = linkedController(ctx.signal);
    inputs.push({ reader, abort: controller, dispose, inflight: undefined, removed: false, frames: 0, dropped: 0 });
    return b.addSource();
  };
  readers.forEach(register);

  const take = (k: number, v: Pulled<Packet>): void => {
    const input = inputs[k];
    if (v === EOS) {
      b.end(k);
      return;
    }
    // A frame that was on its way as its source was removed (taken, then dropped), or over its frame-rate
    // limit (dropped, counted by the Batcher): counted in the stats.
    if (input.removed) {
      input.frames++;
      input.dropped++;
    } else if (b.offer(k, v)) {
      input.frames++;
      return;
    }
    ctx.report.drop('policy');
    discardPacket(v);
  };
  const lost = (k: number, e: unknown): void => {
    if (inputs[k].removed) return;
    if (s.sourceError === 'drop') {
      ctx.log('warn', `input ${k} failed and was removed: ${e instanceof Error ? e.message : String(e)}`);
      b.end(k);
    } else failure ??= e;
  };
  // One answer at a time per input, and none while one of its frames waits for a batch.
  const pullable = (k: number): boolean => !b.isEnded(k) && inputs[k].inflight === undefined && b.waiting(k) === 0 && failure === undefined;
  const pullInputs = (): void => {
    inputs.forEach((input, k) => {
      while (pullable(k)) {
        let v: ReturnType<Reader<Packet>['pull']>;
        try {
          v = input.reader.pull(input.abort.signal);
        } catch (e) {
          lost(k, e);
          return;
        }
        if (!isPromiseLike(v)) {
          take(k, v);
          continue;
        }
        input.inflight = Promise.resolve(v)
          .then(
            (x) => take(k, x),
            (e: unknown) => lost(k, e)
          )
          .finally(() => {
            input.inflight = undefined;
            wake?.();
          });
      }
    });
  };

  const control: MuxControl = {
    add(chain) {
      if (!ctx.openInput) throw new TypeError(`${ctx.name}: sources can be added only while it runs in a pipeline`);
      if (drained()) throw new Error(`${ctx.name}: it has ended; no source can be added`);
      if (ending && s.keepAlive) throw new Error(`${ctx.name}: it is ending; no source can be added`);
      const id = register(ctx.openInput(chain));
      wake?.();
      return id;
    },
    async remove(id, pending) {
      const input = inputs[id];
      if (!input) throw new RangeError(`${ctx.name}: no source ${id} (it has ${inputs.length})`);
      if (input.removed) throw new RangeError(`${ctx.name}: source ${id} was already removed`);
      input.removed = true;
      const before = input.dropped;
      const unsent = b.unsent(id);
      const dropped = b.remove(id, pending);
      for (const p of dropped) discardPacket(p);
      if (dropped.length) ctx.report.drop('policy', dropped.length);
      input.dropped += dropped.length;
      // The others go on at once: the batch it held back may be ready now.
      wake?.();
      input.abort.abort(new AbortError(`${ctx.name}: source ${id} removed`));
      input.dispose();
      // A frame already on its way is dropped as it lands (take): counted here too.
      await input.inflight;
      try {
        await input.reader.close();
      } catch (e) {
        ctx.log('warn', `source ${id} did not close cleanly: ${e instanceof Error ? e.message : String(e)}`);
      }
      return { id, flushed: pending === 'flush' ? unsent : 0, dropped: input.dropped - before };
    },
    end,
    sources: () =>
      inputs.map((input, id) => ({
        id,
        state: input.removed ? 'removed' : b.isEnded(id) ? 'ended' : 'active',
        frames: input.frames,
        dropped: input.dropped + b.fpsDrops[id],
      })),
  };

  const reader: Reader<Packet> = {
    async pull(signal) {
      for (;;) {
        pullInputs();
        if (failure !== undefined) throw failure;
        const now = ctx.clock.now();
        b.fill(now);
        const slots = b.take(now);
        if (slots) return batchPacket(slots);
        if (drained()) return EOS;
        // Frames that went into the batch free their inputs: pull those again before waiting.
        if (inputs.some((_, k) => pullable(k))) continue;
        // Wait for an input to answer (or be added or removed), or the batch's deadline.
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
    close() {
      for (const input of inputs) input.dispose();
    },
  };
  return { reader, control };
}
