import { isPromiseLike, type MaybePromise } from '../util/promise';

/**
 * A resource opened on first use and released exactly once, on every path: released before it was
 * opened (nothing to do), while it is opening (released as soon as it is open) or after.
 */
export class OpenOnce<T> {
  private value: T | undefined;
  private opening: Promise<T> | undefined;
  private released = false;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly open: () => MaybePromise<T>,
    private readonly release: (value: T) => MaybePromise<void>,
  ) {}

  /** The resource, synchronously once open. */
  get(): T | Promise<T> {
    if (this.released) throw new Error('used after release');
    if (this.value !== undefined) return this.value;
    if (this.failure) throw this.failure.error;
    if (!this.opening) {
      let r: MaybePromise<T>;
      try {
        r = this.open();
      } catch (e) {
        this.failure = { error: e };
        throw e;
      }
      if (!isPromiseLike(r)) return (this.value = r);
      this.opening = Promise.resolve(r).then((v) => (this.value = v));
    }
    return this.opening;
  }

  /** Releases once; later calls (and a failed open) do nothing. */
  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    let v = this.value;
    if (v === undefined && this.opening) v = await this.opening.catch(() => undefined);
    if (v !== undefined) await this.release(v);
  }
}
