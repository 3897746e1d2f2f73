import { EOS, type Pulled, type Reader } from './element';
import { isPromiseLike, type MaybePromise } from './util/promise';

/**
 * A reader that maps each upstream item through `fn`; `fn` returns `undefined` to drop the item.
 * Stays synchronous while upstream and `fn` are, so a chain of such transforms costs a call per hop.
 */
export function mapReader<I, O>(
  up: Reader<I>,
  fn: (item: I) => O | undefined,
  close?: () => MaybePromise<void>,
): Reader<O> {
  const pull = (signal: AbortSignal): MaybePromise<Pulled<O>> => {
    for (;;) {
      const r = up.pull(signal);
      if (isPromiseLike(r)) return Promise.resolve(r).then((v) => (v === EOS ? EOS : (fn(v) ?? pull(signal))));
      if (r === EOS) return EOS;
      const out = fn(r);
      if (out !== undefined) return out;
    }
  };
  return { pull, close };
}

/** Collects every item of a reader (tests, small streams). */
export async function drain<T>(reader: Reader<T>, signal: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    let r = reader.pull(signal);
    if (isPromiseLike(r)) r = await r;
    if (r === EOS) return out;
    out.push(r);
  }
}

/**
 * The reader of an element that turns each input into zero or more outputs (a parser, a payloader): the
 * element's `handle` receives every upstream item — EOS included, to flush — and appends what it
 * produces to `queue` (synchronously, or by a promise); `ended()` says when nothing more will come. Stays
 * synchronous while upstream and `handle` are.
 */
export function queuedReader<I, O>(
  up: Reader<I>,
  queue: O[],
  handle: (item: Pulled<I>, signal: AbortSignal) => MaybePromise<void>,
  ended: () => boolean,
): Reader<O> {
  let head = 0;
  const pull = (signal: AbortSignal): MaybePromise<Pulled<O>> => {
    for (;;) {
      if (head < queue.length) {
        const p = queue[head++];
        if (head === queue.length) {
          queue.length = 0;
          head = 0;
        }
        return p;
      }
      if (ended()) return EOS;
      const r = up.pull(signal);
      if (isPromiseLike(r)) return Promise.resolve(r).then((v) => Promise.resolve(handle(v, signal)).then(() => pull(signal)));
      // An asynchronous handler (a native decoder) answers later; a synchronous one keeps the fast path.
      const h = handle(r, signal);
      if (isPromiseLike(h)) return Promise.resolve(h).then(() => pull(signal));
    }
  };
  return { pull };
}
