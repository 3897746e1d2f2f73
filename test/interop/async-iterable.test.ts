import { from as ixFrom, range as ixRange, toArray as ixToArray } from 'ix/asynciterable';
import { AsyncIterableX } from 'ix/asynciterable/asynciterablex';
import { map as ixMap, take as ixTake } from 'ix/asynciterable/operators';
import { describe, expect, it } from 'vitest';
import { ElementError, isAbortError, newAbortController, packet, pipe, VirtualClock, type Packet } from '../../src';
import { fromAsyncIterable, toAsyncIterable } from '../../src/interop';
import { fakeSink, fakeSrc, identity, queue } from '../../operators';
import { CAPS, countingSrc, packets, pkt, Probe, probe, ptsOf, range, tick } from './helpers';

/** An async generator of `n` packets that records how far it got and whether its `finally` ran. */
function generator(n: number, state = { yielded: 0, finallies: 0 }) {
  return {
    state,
    iterable: (async function* () {
      try {
        for (let i = 0; i < n; i++) {
          await tick();
          state.yielded++;
          yield pkt(i);
        }
      } finally {
        state.finallies++;
      }
    })(),
  };
}

const collect = () => {
  const out: Packet[] = [];
  return { out, sink: fakeSink({ onPacket: (p) => void out.push(p) }) };
};

describe('fromAsyncIterable', () => {
  it('reads an async generator in order through identity and queue', async () => {
    const { iterable, state } = generator(20);
    const { out, sink } = collect();
    await pipe(fromAsyncIterable(iterable), identity(), queue(), sink).run();
    expect(ptsOf(out)).toEqual(range(20));
    expect(state).toEqual({ yielded: 20, finallies: 1 });
  });

  it('reads an IxJS AsyncIterableX, with mapToPacket for plain values', async () => {
    const { out, sink } = collect();
    const numbers = ixRange(0, 10).pipe(ixMap((x) => x * 2));
    await pipe(fromAsyncIterable(numbers, { caps: CAPS, mapToPacket: (v: number, ctx) => packet({ caps: ctx.caps, pts: v }) }), sink).run();
    expect(ptsOf(out)).toEqual(range(10).map((x) => x * 2));
  });

  it('reads a synchronous iterable synchronously', async () => {
    const { out, sink } = collect();
    await pipe(fromAsyncIterable(packets(1000)), sink).run();
    expect(ptsOf(out)).toEqual(range(1000));
  });

  it('pulls one value per packet: a slow sink keeps the generator at most one ahead', async () => {
    const { iterable, state } = generator(30);
    let maxAhead = 0;
    let delivered = 0;
    const sink = fakeSink({
      onPacket: async () => {
        delivered++;
        maxAhead = Math.max(maxAhead, state.yielded - delivered);
        await tick();
        await tick();
      },
    });
    await pipe(fromAsyncIterable(iterable), sink).run();
    expect(delivered).toBe(30);
    expect(maxAhead).toBe(0);
  });

  it('calls return() once when the pipeline ends early (eos-after)', async () => {
    const { iterable, state } = generator(100);
    const { out, sink } = collect();
    await pipe(fromAsyncIterable(iterable), identity({ eosAfter: 3 }), sink).run();
    expect(out.length).toBe(3);
    expect(state.finallies).toBe(1);
    expect(state.yielded).toBe(4);
  });

  it('calls return() once when a downstream element fails', async () => {
    const { iterable, state } = generator(100);
    const err = await pipe(fromAsyncIterable(iterable), identity({ errorAfter: 2 }), fakeSink()).run().catch((e) => e);
    expect(err.message).toMatch(/error-after=2 reached/);
    expect(state.finallies).toBe(1);
  });

  it('calls return() once on abort', async () => {
    const { iterable, state } = generator(100);
    const ac = newAbortController();
    const sink = fakeSink({ onPacket: (p) => void (p.pts === 4 && ac.abort()) });
    const err = await pipe(fromAsyncIterable(iterable), sink).run({ signal: ac.signal }).catch((e) => e);
    expect(isAbortError(err)).toBe(true);
    expect(state.finallies).toBe(1);
  });

  it('the generator’s error fails the pipeline, and no return() is owed', async () => {
    const boom = new Error('generator failed');
    let returns = 0;
    const iterable: AsyncIterable<Packet> = {
      [Symbol.asyncIterator]: () => {
        let i = 0;
        return {
          next: async () => {
            if (i === 2) throw boom;
            return { done: false, value: pkt(i++) };
          },
          return: async () => {
            returns++;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const { out, sink } = collect();
    const err = await pipe(fromAsyncIterable(iterable), sink).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.cause).toBe(boom);
    expect(ptsOf(out)).toEqual([0, 1]);
    expect(returns).toBe(0);
  });

  it('stops waiting on a stuck next() at abort and still requests return()', async () => {
    let returns = 0;
    const stuck: AsyncIterable<Packet> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Packet>>(() => undefined),
        return: async () => {
          returns++;
          return { done: true, value: undefined };
        },
      }),
    };
    const ac = newAbortController();
    const running = pipe(fromAsyncIterable(stuck), fakeSink()).start({ signal: ac.signal });
    await tick();
    ac.abort();
    expect(isAbortError(await running.done.catch((e) => e))).toBe(true);
    expect(returns).toBe(1);
  });
});

describe('toAsyncIterable', () => {
  it('yields every packet in order; the loop ends after every element has closed', async () => {
    const src = new Probe();
    const mid = new Probe();
    const out: Packet[] = [];
    for await (const p of toAsyncIterable(pipe(countingSrc(src, 50), identity(), probe(mid), queue()))) out.push(p);
    expect(ptsOf(out)).toEqual(range(50));
    expect([src.closes, mid.closes]).toEqual([1, 1]);
  });

  it('is an IxJS AsyncIterableX that composes with ix operators', async () => {
    const src = new Probe();
    const it = toAsyncIterable(pipe(countingSrc(src), identity()));
    expect(it).toBeInstanceOf(AsyncIterableX);
    const pts = await ixToArray(it.pipe(ixMap((p: Packet) => p.pts), ixTake(3)));
    expect(pts).toEqual([0, 1, 2]);
    // take's early exit returned the iterator: the endless chain was stopped and closed.
    expect(src.closes).toBe(1);
  });

  it('starts the run at the first next(), once per iteration', async () => {
    const src = new Probe();
    const iterable = toAsyncIterable(countingSrc(src, 2));
    const iterator = iterable[Symbol.asyncIterator]();
    await tick();
    expect(src.opens).toBe(0);
    expect((await iterator.next()).value?.pts).toBe(0);
    expect(src.opens).toBe(1);
    await ixToArray(iterable);
    expect(src.opens).toBe(2);
    await iterator.return!();
    expect(src.closes).toBe(2);
  });

  it('break closes every element exactly once before the loop exits', async () => {
    const src = new Probe();
    const mid = new Probe();
    const out: Packet[] = [];
    for await (const p of toAsyncIterable(pipe(countingSrc(src), probe(mid), identity()))) {
      out.push(p);
      if (out.length === 3) break;
    }
    expect(ptsOf(out)).toEqual([0, 1, 2]);
    expect([src.closes, mid.closes]).toEqual([1, 1]);
    expect(src.pulls).toBe(3);
  });

  it('backpressure: a slow consumer keeps the source exactly in step', async () => {
    const src = new Probe();
    const ahead: number[] = [];
    let n = 0;
    for await (const _ of toAsyncIterable(pipe(countingSrc(src, 40), identity()))) {
      n++;
      ahead.push(src.pulls - n);
      await tick();
      await tick();
      ahead.push(src.pulls - n);
    }
    expect(n).toBe(40);
    expect(Math.max(...ahead)).toBe(0);
  });

  it('backpressure with a queue in the chain: the queue reads ahead only its capacity', async () => {
    const src = new Probe();
    let maxAhead = 0;
    let n = 0;
    for await (const _ of toAsyncIterable(pipe(countingSrc(src, 40), queue({ maxSizeBuffers: 2 })))) {
      n++;
      await tick();
      maxAhead = Math.max(maxAhead, src.pulls - n);
    }
    expect(n).toBe(40);
    // two queued, one held by the queue's feeder while it waits for space
    expect(maxAhead).toBeLessThanOrEqual(3);
    expect(maxAhead).toBeGreaterThan(0);
  });

  it('a run error rejects the pending next() after every element has closed', async () => {
    const mid = new Probe();
    const out: Packet[] = [];
    const err = await (async () => {
      for await (const p of toAsyncIterable(pipe(countingSrc(new Probe(), 100), identity({ errorAfter: 4 }), probe(mid)))) out.push(p);
    })().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.message).toMatch(/error-after=4 reached/);
    expect(out.length).toBe(4);
    expect(mid.closes).toBe(1);
  });

  it('an error thrown by the consumer aborts the run and closes every element', async () => {
    const src = new Probe();
    const boom = new Error('consumer failed');
    const err = await (async () => {
      for await (const p of toAsyncIterable(countingSrc(src))) if (p.pts === 2) throw boom;
    })().catch((e) => e);
    expect(err).toBe(boom);
    expect(src.closes).toBe(1);
  });

  it('iterator.throw(e) aborts the run with e, closes every element and rethrows e', async () => {
    const src = new Probe();
    const iterator = toAsyncIterable(countingSrc(src))[Symbol.asyncIterator]();
    await iterator.next();
    const boom = new Error('stop');
    await expect(iterator.throw!(boom)).rejects.toBe(boom);
    expect(src.closes).toBe(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('the abort signal ix passes aborts the run', async () => {
    const src = new Probe();
    const ac = newAbortController();
    const iterator = toAsyncIterable(countingSrc(src))[Symbol.asyncIterator](ac.signal);
    await iterator.next();
    const pending = iterator.next();
    ac.abort();
    expect(isAbortError(await pending.catch((e) => e))).toBe(true);
    expect(src.closes).toBe(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('runs under the given options (a live source on a VirtualClock)', async () => {
    const clock = new VirtualClock();
    const got = await ixToArray(toAsyncIterable(fakeSrc({ numBuffers: 5, isLive: true }), { clock, profile: 'live' }));
    expect(got.length).toBe(5);
    expect(clock.now()).toBe(Math.round((4 * 1e9) / 30));
  });

  it('round-trips: fromAsyncIterable(toAsyncIterable(chain)) through another pipeline', async () => {
    const inner = toAsyncIterable(pipe(fromAsyncIterable(ixFrom(packets(25))), identity()));
    const { out, sink } = collect();
    await pipe(fromAsyncIterable(inner), queue(), sink).run();
    expect(ptsOf(out)).toEqual(range(25));
  });
});
