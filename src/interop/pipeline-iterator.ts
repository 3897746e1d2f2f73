import { Caps } from '../caps';
import { defineSink, type Source } from '../operator';
import type { Packet } from '../packet';
import { Pipeline } from '../pipeline/pipeline';
import type { RunningPipeline, RunOptions } from '../pipeline/run';
import { abortReason, isAbortError, linkedController } from '../util/abort';
import { deferred, type Deferred } from '../util/promise';

type Result<T> = IteratorResult<T, undefined>;
const DONE: Result<never> = Object.freeze({ done: true, value: undefined });

/**
 * Runs a chain as a pull iterator. The chain ends in a sink whose `write` hands the packet to the
 * consumer's pending `next()` and then waits until the consumer calls `next()` again (a one-slot
 * rendezvous), so backpressure is exact: the sink pulls packet n+1 only once packet n+1 is asked for,
 * and the source is never more than the packet being handed over ahead of the consumer (queues in the
 * chain buffer as they always do).
 *
 * The run starts at the first `next()`. It ends (every element closed) before the final `next()`
 * answers done or rejects with the run's error. `return()` (a `break` out of `for await`) and
 * `throw()` abort the run and resolve only once every element has closed.
 */
export class PipelineIterator<T extends Packet> implements AsyncIterableIterator<T> {
  private running: RunningPipeline | undefined;
  private finished: Promise<void> | undefined;
  /** `next()` calls not answered yet, oldest first. */
  private readonly requests: Deferred<Result<T>>[] = [];
  /** The sink's write, parked until the consumer asks for another packet. */
  private demand: Deferred<void> | undefined;
  private outcome: { error?: { e: unknown } } | undefined;
  /** Set when the consumer stopped the run: the abort it causes is not an error to report. */
  private stopping = false;

  constructor(
    private readonly source: Source<T>,
    private readonly options: RunOptions = {},
    /** The signal ix hands to `[Symbol.asyncIterator](signal)`; aborting it aborts the run. */
    private readonly signal?: AbortSignal,
    private readonly factory = 'toAsyncIterable'
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.outcome) return this.settled();
    const d = deferred<Result<T>>();
    this.requests.push(d);
    if (!this.running) this.start();
    else this.wake();
    return d.promise;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    await this.stop();
    const err = this.takeError();
    if (err && !isAbortError(err.e)) throw err.e;
    return DONE;
  }

  /** The consumer failed: the run is aborted (elements see an AbortError, not `e`) and `e` rethrown. */
  async throw(e?: unknown): Promise<IteratorResult<T, undefined>> {
    await this.stop();
    this.takeError();
    throw e;
  }

  private async stop(): Promise<void> {
    if (!this.running) {
      this.outcome ??= {};
      return;
    }
    if (!this.outcome) {
      this.stopping = true;
      this.running.abort();
    }
    await this.finished;
  }

  private start(): void {
    const parents = [this.options.signal, this.signal].filter((s): s is AbortSignal => s !== undefined);
    const { controller, dispose } = linkedController(...parents);
    const sink = defineSink<T>({
      factory: this.factory,
      props: {},
      sinkCaps: Caps.any(),
      open: () => ({ write: (p: T, signal: AbortSignal) => this.write(p, signal) }),
    });
    this.running = new Pipeline([...this.source.elements, ...sink.elements]).start({ ...this.options, signal: controller.signal });
    this.finished = this.running.done.then(
      () => this.finish(undefined),
      (e) => this.finish(this.stopping && isAbortError(e) ? undefined : { e })
    );
    this.finished.finally(dispose);
  }

  private write(p: T, signal: AbortSignal): void | Promise<void> {
    const r = this.requests.shift();
    // Every write follows a request (the run starts on one, and a parked write waits for one); kept safe anyway.
    if (!r) return this.waitForDemand(signal).then(() => this.write(p, signal));
    r.resolve({ done: false, value: p });
    if (this.requests.length > 0) return;
    return this.waitForDemand(signal);
  }

  private waitForDemand(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const d = (this.demand = deferred<void>());
    const onAbort = () => d.reject(abortReason(signal));
    signal.addEventListener('abort', onAbort);
    return d.promise.finally(() => signal.removeEventListener('abort', onAbort));
  }

  private wake(): void {
    const d = this.demand;
    this.demand = undefined;
    d?.resolve();
  }

  private finish(error: { e: unknown } | undefined): void {
    this.outcome = { error };
    for (const r of this.requests.splice(0)) {
      const err = this.takeError();
      if (err) r.reject(err.e);
      else r.resolve(DONE);
    }
  }

  /** The run's error, handed out once (as a generator that threw answers done afterwards). */
  private takeError(): { e: unknown } | undefined {
    const err = this.outcome?.error;
    if (this.outcome) this.outcome.error = undefined;
    return err;
  }

  private settled(): Promise<IteratorResult<T, undefined>> {
    const err = this.takeError();
    return err ? Promise.reject(err.e) : Promise.resolve(DONE);
  }
}
