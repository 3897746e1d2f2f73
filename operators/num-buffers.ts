import { prop } from '../src/descriptor';
import { EOS, type AnyElement, type Pulled, type Reader } from '../src/element';
import type { Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

/** GStreamer's num-buffers, which every source has: declare it, then `limitSource(op, s.numBuffers)` unless the source counts itself. */
export const NUM_BUFFERS = prop.int({ default: -1, min: -1, doc: 'Packets before end-of-stream (-1 = unlimited)' });

/** Ends a reader after `n` items. */
function limitReader<T>(r: Reader<T>, n: number): Reader<T> {
  let seen = 0;
  const count = (v: Pulled<T>): Pulled<T> => {
    if (v !== EOS) seen++;
    return v;
  };
  return {
    pull(signal): MaybePromise<Pulled<T>> {
      if (seen >= n) return EOS;
      const v = r.pull(signal);
      return isPromiseLike(v) ? Promise.resolve(v).then(count) : count(v);
    },
    close: r.close?.bind(r),
  };
}

/** Limits a source's output (its last element's reader) to `n` packets; n < 0: unlimited. */
export function limitSource<O extends Packet>(op: Source<O>, n: number): Source<O> {
  if (n < 0) return op;
  const els = op.elements;
  const last = els[els.length - 1];
  const open = last.open as (...args: unknown[]) => Reader<Packet>;
  const limited = { ...last, open: (...args: unknown[]) => limitReader(open(...args), n) } as AnyElement;
  return { ...op, elements: [...els.slice(0, -1), limited] };
}
