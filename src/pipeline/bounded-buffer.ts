import { discardPacket } from '../memory/release';
import { EOS, type DropReason, type QueueReporter, type Pulled } from '../element';
import { abortReason, raceAbort } from '../util/abort';
import { deferred, type Deferred } from '../util/promise';

export type OverflowPolicy = 'block' | 'drop-oldest' | 'drop-newest';

/**
 * A bounded FIFO between a producer and a consumer running concurrently (queue, tee branches, interop
 * with push sources). When full it blocks the producer, or drops the oldest or the newest packet, and
 * counts every drop. A ring buffer, so neither side allocates per packet.
 */
export class BoundedBuffer<T> {
  private readonly ring: (T | undefined)[];
  private head = 0;
  private size = 0;
  private ended = false;
  private error: { e: unknown } | undefined;
  private dataWaiter: Deferred<void> | undefined;
  private spaceWaiter: Deferred<void> | undefined;

  constructor(
    readonly capacity: number,
    readonly policy: OverflowPolicy,
    private readonly report?: QueueReporter,
    private readonly dropReason: DropReason = 'leaky'
  ) {
    if (!(capacity >= 1)) throw new RangeError(`buffer capacity must be ≥ 1, got ${capacity}`);
    this.ring = new Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Adds an item; answers a promise only when it must block for space (rejected if `signal` aborts). */
  push(item: T, signal?: AbortSignal): void | Promise<void> {
    // A packet not kept is dropped: what it owns (leased bytes, a VideoFrame) goes at once.
    if (this.ended || this.error) return discardPacket(item);
    if (this.size === this.capacity) {
      if (this.policy === 'drop-newest') {
        this.report?.drop(this.dropReason);
        return discardPacket(item);
      }
      if (this.policy === 'drop-oldest') {
        discardPacket(this.ring[this.head]);
        this.ring[this.head] = undefined;
        this.head = (this.head + 1) % this.capacity;
        this.size--;
        this.report?.drop(this.dropReason);
      } else {
        if (signal?.aborted) return Promise.reject(abortReason(signal));
        this.spaceWaiter ??= deferred<void>();
        const space = this.spaceWaiter.promise;
        if (!signal) return space.then(() => this.push(item));
        return raceAbort(space, signal).then(() => this.push(item, signal));
      }
    }
    this.ring[(this.head + this.size) % this.capacity] = item;
    this.size++;
    this.report?.queueDepth(this.size, this.capacity);
    this.wake('data');
  }

  /** Takes the next item; answers a promise only when the buffer is empty and not ended. */
  pull(signal: AbortSignal): Pulled<T> | Promise<Pulled<T>> {
    if (this.size > 0) {
      const item = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.report?.queueDepth(this.size, this.capacity);
      this.wake('space');
      return item;
    }
    if (this.error) throw this.error.e;
    if (this.ended) return EOS;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    this.dataWaiter ??= deferred<void>();
    return raceAbort(this.dataWaiter.promise, signal).then(() => this.pull(signal));
  }

  /** No more items: the consumer gets EOS once the buffer is drained. */
  end(): void {
    this.ended = true;
    this.wake('data');
    this.wake('space');
  }

  /** The producer failed: the consumer gets the error once the buffer is drained. */
  fail(e: unknown): void {
    if (!this.error) this.error = { e };
    this.wake('data');
    this.wake('space');
  }

  private wake(which: 'data' | 'space'): void {
    const w = which === 'data' ? this.dataWaiter : this.spaceWaiter;
    if (!w) return;
    if (which === 'data') this.dataWaiter = undefined;
    else this.spaceWaiter = undefined;
    w.resolve();
  }
}
