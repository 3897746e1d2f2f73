import { Caps } from '../src/caps';
import { EOS, type Pulled, type Reader } from '../src/element';
import { defineSource, type Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

export interface MergeOptions {
  name?: string;
}

const ts = (p: Packet): number => p.dts ?? p.pts ?? -Infinity;

/**
 * Merges N inputs into one stream ordered by timestamp (dts, else pts): it waits until every live input
 * has a packet, then emits the earliest, as a muxer needs. Each packet keeps its own caps.
 */
export function merge<T extends Packet>(inputs: readonly Source<T>[], options: MergeOptions = {}): Source<T> {
  if (inputs.length === 0) throw new RangeError('merge needs at least one input');
  return defineSource<T>({
    factory: 'merge',
    name: options.name,
    // Packets go on as they came: each input may be asked what follows the merge.
    metas: 'forward',
    props: {},
    srcCaps: Caps.any(),
    inputs: inputs.map((s) => ({ elements: s.elements })),
    open(_ctx, readers: readonly Reader<T>[]): Reader<T> {
      const heads: (T | undefined)[] = readers.map(() => undefined);
      const done = readers.map(() => false);
      const fill = (signal: AbortSignal): MaybePromise<void> => {
        let waits: Promise<void>[] | undefined;
        readers.forEach((r, k) => {
          if (done[k] || heads[k] !== undefined) return;
          const v = r.pull(signal);
          const set = (x: Pulled<T>) => {
            if (x === EOS) done[k] = true;
            else heads[k] = x;
          };
          if (isPromiseLike(v)) (waits ??= []).push(Promise.resolve(v).then(set));
          else set(v);
        });
        if (waits) return Promise.all(waits).then(() => undefined);
      };
      const pick = (): Pulled<T> => {
        let best = -1;
        for (let k = 0; k < heads.length; k++) {
          const h = heads[k];
          if (h !== undefined && (best < 0 || ts(h) < ts(heads[best]!))) best = k;
        }
        if (best < 0) return EOS;
        const out = heads[best]!;
        heads[best] = undefined;
        return out;
      };
      return {
        pull(signal) {
          const w = fill(signal);
          return w ? w.then(pick) : pick();
        },
      };
    },
  });
}
