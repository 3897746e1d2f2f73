import { EOS, type Pulled, type Reader } from '../element';
import { defineSource, type Source } from '../operator';
import type { Packet } from '../packet';
import { adapterFixate, packetMapper, raceAbort, templateCaps, type SourceAdapterOptions } from './common';

/**
 * A Source pulling from an async iterable: IxJS's AsyncIterableX, an async generator, any
 * AsyncIterable, or a plain (sync) Iterable, which then answers pulls synchronously. One `next()` per
 * pull, so the iterable is never read ahead. The iterator is made on the first pull (given the
 * pipeline's signal, which ix iterators honour); on close it gets `return()` unless it ended by itself.
 * While a `next()` is still pending at close (an abort), `return()` is requested but not awaited, since
 * an async generator queues it behind that `next()`, which may never settle.
 */
export function fromAsyncIterable<P extends Packet>(iterable: AsyncIterable<P> | Iterable<P>, options?: SourceAdapterOptions<P, P>): Source<P>;
export function fromAsyncIterable<T, P extends Packet>(
  iterable: AsyncIterable<T> | Iterable<T>,
  options: SourceAdapterOptions<T, P> & { mapToPacket: NonNullable<SourceAdapterOptions<T, P>['mapToPacket']> }
): Source<P>;
export function fromAsyncIterable<T, P extends Packet>(iterable: AsyncIterable<T> | Iterable<T>, options: SourceAdapterOptions<T, P> = {}): Source<P> {
  return defineSource<P>({
    factory: 'fromAsyncIterable',
    name: options.name,
    props: {},
    srcCaps: templateCaps(options.caps),
    fixate: adapterFixate(options.caps),
    open(ctx): Reader<P> {
      const toPacket = packetMapper<T, P>('fromAsyncIterable', ctx, options.mapToPacket);
      let it: AsyncIterator<T> | Iterator<T> | undefined;
      let isSync = false;
      let ended = false;
      let inFlight: Promise<unknown> | undefined;
      const step = (r: IteratorResult<T>): Pulled<P> => {
        if (r.done) {
          ended = true;
          return EOS;
        }
        return toPacket(r.value);
      };
      return {
        pull(signal) {
          if (ended) return EOS;
          if (!it) {
            if (Symbol.asyncIterator in iterable) {
              it = (iterable as { [Symbol.asyncIterator](signal?: AbortSignal): AsyncIterator<T> })[Symbol.asyncIterator](ctx.signal);
            } else {
              it = (iterable as Iterable<T>)[Symbol.iterator]();
              isSync = true;
            }
          }
          if (isSync) {
            try {
              return step((it as Iterator<T>).next());
            } catch (e) {
              ended = true; // an iterator that threw is finished: no return() owed
              throw e;
            }
          }
          const next = Promise.resolve((it as AsyncIterator<T>).next());
          const settled = next.then(
            () => {
              if (inFlight === settled) inFlight = undefined;
            },
            () => {
              ended = true;
              if (inFlight === settled) inFlight = undefined;
            }
          );
          inFlight = settled;
          return raceAbort(next, signal).then(step);
        },
        async close() {
          if (!it || ended) return;
          ended = true;
          if (!it.return) return;
          const r = it.return();
          if (inFlight) Promise.resolve(r).catch(() => undefined);
          else await r;
        },
      };
    },
  });
}
