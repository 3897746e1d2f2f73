export type MaybePromise<T> = T | PromiseLike<T>;

/** True for anything awaitable: the pull protocol answers synchronously when it can. */
export function isPromiseLike<T>(x: unknown): x is PromiseLike<T> {
  return x instanceof Promise || (typeof x === 'object' && x !== null && typeof (x as PromiseLike<T>).then === 'function');
}

/** A promise with its resolvers exposed (Promise.withResolvers is not in Node 20). */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (r: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
