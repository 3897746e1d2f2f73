import { describe, expect, it } from 'vitest';
import { EOS, type Pulled, type Reader } from '../../src/element';
import { batchedReader } from '../../node/elements/audio-codec';

/** Upstream answering from a script: a number now, or a promise of it (a live source's next packet). */
function scripted(items: (number | Promise<number> | typeof EOS)[]): Reader<number> {
  let i = 0;
  return { pull: () => (i < items.length ? (items[i++] as Pulled<number> | Promise<Pulled<number>>) : EOS) };
}

async function drainAll(r: Reader<number>): Promise<number[]> {
  const out: number[] = [];
  const signal = new AbortController().signal;
  for (;;) {
    const v = await r.pull(signal);
    if (v === EOS) return out;
    out.push(v);
  }
}

describe('batchedReader', () => {
  it('batches what upstream has ready, ends a batch at a pending pull and carries it, keeps order', async () => {
    const batches: Pulled<number>[][] = [];
    const queue: number[] = [];
    let ended = false;
    const r = batchedReader<number, number>(
      scripted([1, 2, Promise.resolve(3), 4, 5, 6, EOS]),
      queue,
      async (items) => {
        batches.push(items);
        for (const x of items) if (x === EOS) ended = true;
        else queue.push(x * 10);
      },
      () => ended,
      3
    );
    expect(await drainAll(r)).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6, EOS]]);
  });

  it('a live source (every pull pending) gets batches of one: nothing waits for a later packet', async () => {
    const batches: Pulled<number>[][] = [];
    const queue: number[] = [];
    let ended = false;
    const r = batchedReader<number, number>(
      scripted([Promise.resolve(1), Promise.resolve(2), Promise.resolve(EOS as unknown as number)]),
      queue,
      async (items) => {
        batches.push(items);
        for (const x of items) if (x === EOS) ended = true;
        else queue.push(x);
      },
      () => ended
    );
    expect(await drainAll(r)).toEqual([1, 2]);
    expect(batches).toEqual([[1], [2], [EOS]]);
  });
});
