import { EOS, type QueueReporter, type Pulled } from '../element';
import { abortReason, raceAbort } from '../util/abort';
import { deferred, type Deferred } from '../util/promise';

/**
 * BoundedBuffer's consumer side without a bound, for `fromObservable({ overflow: 'buffer' })`: a push
 * source cannot be blocked, so an opt-in unbounded queue is the only lossless choice. Memory grows while
 * the pipeline is behind; queue depth is reported (capacity Infinity) so stats show how far.
 */
export class UnboundedBuffer<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private ended = false;
  private error: { e: unknown } | undefined;
  private waiter: Deferred<void> | undefined;

  constructor(private readonly report?: QueueReporter) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended || this.error) return;
    this.items.push(item);
    this.report?.queueDepth(this.length, Infinity);
    this.wake();
  }

  pull(signal: AbortSignal): Pulled<T> | Promise<Pulled<T>> {
    if (this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined;
      // Compact once the consumed prefix dominates, so a long run does not keep a huge sparse array.
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      this.report?.queueDepth(this.length, Infinity);
      return item;
    }
    if (this.error) throw this.error.e;
    if (this.ended) return EOS;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    this.waiter ??= deferred<void>();
    return raceAbort(this.waiter.promise, signal).then(() => this.pull(signal));
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(e: unknown): void {
    if (!this.error) this.error = { e };
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve();
  }
}
