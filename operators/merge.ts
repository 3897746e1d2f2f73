import { Caps } from '../src/caps';
import { defineElement, type ElementOptions } from '../src/descriptor';
import { limitSource, NUM_BUFFERS } from './num-buffers';
import { EOS, type Pulled, type Reader } from '../src/element';
import { defineSource, type Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';

const ts = (p: Packet): number => p.dts ?? p.pts ?? -Infinity;

export const MERGE = defineElement({
  name: 'merge',
  kind: 'source',
  pads: 'fan-in',
  description: 'Merges its inputs into one stream ordered by timestamp (dts, else pts), as a muxer needs',
  caps: { sink: Caps.any(), src: Caps.any() },
  metas: 'forward',
  notes:
    'Waits until every live input has a packet, then emits the earliest; each packet keeps its own caps. Hands packets on as they are (answers for what follows it).',
  properties: { numBuffers: NUM_BUFFERS },
  build(s, _x, links) {
    const inputs = links.inputs ?? [];
    if (inputs.length === 0) throw new RangeError('merge needs at least one input');
    return limitSource(
      defineSource<Packet>({
        metas: 'forward',
        srcCaps: Caps.any(),
        inputs: inputs.map((i) => ({ elements: i.elements })),
        open(_ctx, readers: readonly Reader<Packet>[]): Reader<Packet> {
          const heads: (Packet | undefined)[] = readers.map(() => undefined);
          const done = readers.map(() => false);
          const fill = (signal: AbortSignal): MaybePromise<void> => {
            let waits: Promise<void>[] | undefined;
            readers.forEach((r, k) => {
              if (done[k] || heads[k] !== undefined) return;
              const v = r.pull(signal);
              const set = (x: Pulled<Packet>) => {
                if (x === EOS) done[k] = true;
                else heads[k] = x;
              };
              if (isPromiseLike(v)) (waits ??= []).push(Promise.resolve(v).then(set));
              else set(v);
            });
            if (waits) return Promise.all(waits).then(() => undefined);
          };
          const pick = (): Pulled<Packet> => {
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
      }),
      s.numBuffers
    );
  },
});

export type MergeOptions = ElementOptions<typeof MERGE>;

/**
 * Merges N inputs into one stream ordered by timestamp (dts, else pts): it waits until every live input
 * has a packet, then emits the earliest, as a muxer needs. Each packet keeps its own caps.
 */
export const merge = <T extends Packet>(inputs: readonly Source<T>[], options: MergeOptions = {}): Source<T> =>
  MERGE.create(options, { inputs }) as Source<any>;
