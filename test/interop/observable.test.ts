import { concat, defer, firstValueFrom, from, lastValueFrom, map, Observable, range as rxRange, take, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Caps, defineTransform, ElementError, isAbortError, MILLISECOND, newAbortController, packet, pipe, VirtualClock, type Packet, type RunningPipeline } from '../../src';
import { fromObservable, OverflowError, through, toObservable } from '../../src/interop';
import { fakeSink, fakeSrc, identity, queue } from '../../operators';
import { CAPS, countingSrc, packets, pkt, Probe, probe, ptsOf, range, ticks } from './helpers';

/** range(0, n) as packets, emitted synchronously at subscription; counts subscriptions and teardowns. */
function syncPackets(n: number, counts = { subscribed: 0, emitted: 0, teardowns: 0 }): Observable<Packet> {
  return new Observable<Packet>((sub) => {
    counts.subscribed++;
    for (let i = 0; i < n && !sub.closed; i++) {
      counts.emitted++;
      sub.next(pkt(i));
    }
    sub.complete();
    return () => void counts.teardowns++;
  });
}

function collect(): { out: Packet[]; sink: ReturnType<typeof fakeSink> } {
  const out: Packet[] = [];
  return { out, sink: fakeSink({ onPacket: (p) => void out.push(p) }) };
}

describe('fromObservable', () => {
  it('preserves values and order through identity and queue; completion is end-of-stream', async () => {
    const { out, sink } = collect();
    const stats = await pipe(fromObservable(from(packets(100)), { overflow: 'buffer' }), identity(), queue(), sink).run();
    expect(ptsOf(out)).toEqual(range(100));
    expect(stats.delivered).toBe(100);
    expect(stats.drops).toBe(0);
  });

  it('maps values to packets with mapToPacket, given the fixated caps and the index', async () => {
    const { out, sink } = collect();
    const src = fromObservable(rxRange(10, 5), {
      overflow: 'buffer',
      caps: 'application/x-test',
      mapToPacket: (v: number, ctx) => packet({ caps: ctx.caps, pts: v * 1000 + ctx.index }),
    });
    await pipe(src, sink).run();
    expect(ptsOf(out)).toEqual([10000, 11001, 12002, 13003, 14004]);
    expect(out.every((p) => p.caps.equals(CAPS))).toBe(true);
  });

  it('rejects values that are not packets when no mapToPacket is given', async () => {
    // @ts-expect-error numbers are not packets: mapToPacket is required
    const src = fromObservable(rxRange(0, 3), { overflow: 'buffer' });
    const err = await pipe(src, fakeSink()).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.message).toMatch(/value #0 is not a Packet; pass the mapToPacket option/);
  });

  it('validates the buffer size and the policy', () => {
    expect(() => fromObservable(from(packets(1)), { overflow: 'drop-oldest', bufferSize: 0 })).toThrow(/integer bufferSize ≥ 1, got 0/);
    // @ts-expect-error a bounded policy needs a bufferSize
    expect(() => fromObservable(from(packets(1)), { overflow: 'error' })).toThrow(RangeError);
    // @ts-expect-error 'block' is impossible for a push source
    expect(() => fromObservable(from(packets(1)), { overflow: 'block', bufferSize: 2 })).toThrow(/unknown overflow policy 'block'/);
  });

  it('subscribes lazily, on the first pull, once per run', async () => {
    const counts = { subscribed: 0, emitted: 0, teardowns: 0 };
    const src = fromObservable(syncPackets(3, counts), { overflow: 'buffer' });
    const pipeline = pipe(src, fakeSink());
    expect(counts.subscribed).toBe(0);
    await pipeline.run();
    await pipeline.run();
    expect(counts).toEqual({ subscribed: 2, emitted: 6, teardowns: 2 });
  });

  describe('overflow with a synchronous range of 100 into a buffer of 4', () => {
    it("'drop-oldest' keeps the newest 4 and counts 96 overflow drops", async () => {
      const { out, sink } = collect();
      const stats = await pipe(fromObservable(syncPackets(100), { overflow: 'drop-oldest', bufferSize: 4, name: 'obs' }), sink).run();
      expect(ptsOf(out)).toEqual([96, 97, 98, 99]);
      expect(stats.drops).toBe(96);
      const el = stats.elements.find((e) => e.name === 'obs')!;
      expect(el.drops).toEqual({ overflow: 96 });
      expect(el.queue).toMatchObject({ maxDepth: 4, capacity: 4 });
    });

    it("'drop-newest' keeps the oldest 4 and counts 96 overflow drops", async () => {
      const { out, sink } = collect();
      const stats = await pipe(fromObservable(syncPackets(100), { overflow: 'drop-newest', bufferSize: 4 }), sink).run();
      expect(ptsOf(out)).toEqual([0, 1, 2, 3]);
      expect(stats.drops).toBe(96);
    });

    it("'error' fails the pipeline naming the buffer size, stops the source at once and unsubscribes once", async () => {
      const counts = { subscribed: 0, emitted: 0, teardowns: 0 };
      const { out, sink } = collect();
      const p = new Probe();
      const err = await pipe(fromObservable(syncPackets(100, counts), { overflow: 'error', bufferSize: 4, name: 'obs' }), probe(p), sink)
        .run()
        .catch((e) => e);
      expect(err).toBeInstanceOf(ElementError);
      expect(err.element).toBe('obs');
      expect(err.cause).toBeInstanceOf(OverflowError);
      expect(err.message).toMatch(/overflowed its buffer of 4 packets \(overflow: 'error'\)/);
      // The 5th value found the buffer full: the synchronous loop saw the subscriber closed right after.
      expect(counts).toEqual({ subscribed: 1, emitted: 5, teardowns: 1 });
      expect(out).toEqual([]);
      expect(p.closes).toBe(1);
    });

    it("'buffer' loses nothing and shows the depth it reached", async () => {
      const { out, sink } = collect();
      const stats = await pipe(fromObservable(syncPackets(100), { overflow: 'buffer', name: 'obs' }), sink).run();
      expect(ptsOf(out)).toEqual(range(100));
      expect(stats.drops).toBe(0);
      expect(stats.elements.find((e) => e.name === 'obs')!.queue).toMatchObject({ maxDepth: 100, capacity: Infinity });
    });
  });

  describe('overflow with an interval-like Observable (1 ms) into a 10 ms consumer, on a VirtualClock', () => {
    const slow = () => identity({ sleepTime: 10 * MILLISECOND });
    const toPacket = (i: number) => packet({ caps: CAPS, pts: i });

    it("'drop-oldest' delivers increasing values ending with the newest, and every value is delivered or dropped", async () => {
      const clock = new VirtualClock();
      const { out, sink } = collect();
      const src = fromObservable(ticks(clock, MILLISECOND, 50), { overflow: 'drop-oldest', bufferSize: 2, mapToPacket: toPacket });
      const stats = await pipe(src, slow(), sink).run({ clock });
      const pts = ptsOf(out) as number[];
      expect(pts.every((v, i) => i === 0 || v > pts[i - 1])).toBe(true);
      expect(pts.at(-1)).toBe(49);
      expect(out.length + stats.drops).toBe(50);
      expect(stats.drops).toBeGreaterThan(30);
    });

    it("'drop-newest' keeps the oldest waiting values", async () => {
      const clock = new VirtualClock();
      const { out, sink } = collect();
      const src = fromObservable(ticks(clock, MILLISECOND, 50), { overflow: 'drop-newest', bufferSize: 2, mapToPacket: toPacket });
      const stats = await pipe(src, slow(), sink).run({ clock });
      const pts = ptsOf(out) as number[];
      expect(pts.slice(0, 3)).toEqual([0, 1, 2]);
      expect(pts.at(-1)).toBeLessThan(49);
      expect(out.length + stats.drops).toBe(50);
    });

    it("'error' rejects once the Observable gets bufferSize ahead", async () => {
      const clock = new VirtualClock();
      const { out, sink } = collect();
      const src = fromObservable(ticks(clock, MILLISECOND, 50), { overflow: 'error', bufferSize: 3, mapToPacket: toPacket });
      const err = await pipe(src, slow(), sink).run({ clock }).catch((e) => e);
      expect(err.cause).toBeInstanceOf(OverflowError);
      expect(err.cause.bufferSize).toBe(3);
      expect(out.length).toBeLessThan(3);
    });

    it("'buffer' delivers all 50 in order, late", async () => {
      const clock = new VirtualClock();
      const { out, sink } = collect();
      const src = fromObservable(ticks(clock, MILLISECOND, 50), { overflow: 'buffer', mapToPacket: toPacket });
      await pipe(src, slow(), sink).run({ clock });
      expect(ptsOf(out)).toEqual(range(50));
      expect(clock.now()).toBeGreaterThanOrEqual(500 * MILLISECOND);
    });
  });

  it('an Observable error fails the pipeline after the packets before it', async () => {
    const { out, sink } = collect();
    const boom = new Error('boom');
    const p = new Probe();
    const src = fromObservable(concat(from(packets(3)), throwError(() => boom)), { overflow: 'buffer' });
    const err = await pipe(src, probe(p), sink).run().catch((e) => e);
    expect(err).toBeInstanceOf(ElementError);
    expect(err.cause).toBe(boom);
    expect(ptsOf(out)).toEqual([0, 1, 2]);
    expect(p.closes).toBe(1);
  });

  it('unsubscribes exactly once when the pipeline is aborted', async () => {
    const clock = new VirtualClock();
    let teardowns = 0;
    const endless = new Observable<number>((sub) => {
      const inner = ticks(clock, MILLISECOND).subscribe(sub);
      return () => {
        teardowns++;
        inner.unsubscribe();
      };
    });
    const ac = newAbortController();
    const p = new Probe();
    const src = fromObservable(endless, { overflow: 'drop-oldest', bufferSize: 2, mapToPacket: (i: number) => packet({ caps: CAPS, pts: i }) });
    const sink = fakeSink({ onPacket: (pk) => void (pk.pts === 5 && ac.abort()) });
    const err = await pipe(src, probe(p), sink).run({ clock, signal: ac.signal }).catch((e) => e);
    expect(isAbortError(err)).toBe(true);
    expect(teardowns).toBe(1);
    expect(p.closes).toBe(1);
  });

  it('unsubscribes exactly once when a downstream element fails', async () => {
    const clock = new VirtualClock();
    let teardowns = 0;
    const endless = new Observable<number>((sub) => {
      const inner = ticks(clock, MILLISECOND).subscribe(sub);
      return () => {
        teardowns++;
        inner.unsubscribe();
      };
    });
    const src = fromObservable(endless, { overflow: 'buffer', mapToPacket: (i: number) => packet({ caps: CAPS, pts: i }) });
    const err = await pipe(src, identity({ errorAfter: 3 }), fakeSink()).run({ clock }).catch((e) => e);
    expect(err.message).toMatch(/error-after=3 reached/);
    expect(teardowns).toBe(1);
  });

  it('a graceful end-of-stream ends a never-completing Observable', async () => {
    const clock = new VirtualClock();
    let teardowns = 0;
    const endless = new Observable<number>((sub) => {
      const inner = ticks(clock, MILLISECOND).subscribe(sub);
      return () => {
        teardowns++;
        inner.unsubscribe();
      };
    });
    const src = fromObservable(endless, { overflow: 'buffer', mapToPacket: (i: number) => packet({ caps: CAPS, pts: i }) });
    const out: Packet[] = [];
    let running: RunningPipeline | undefined;
    const sink = fakeSink({
      onPacket: (pk) => {
        out.push(pk);
        if (pk.pts === 9) running!.eos();
      },
    });
    running = pipe(src, sink).start({ clock });
    const stats = await running.done;
    expect(ptsOf(out)).toEqual(range(10));
    expect(stats.delivered).toBe(10);
    expect(teardowns).toBe(1);
  });
});

describe('toObservable', () => {
  it('emits every packet in order, completing after every element has closed', async () => {
    const p = new Probe();
    const values = await lastValueFrom(toObservable(pipe(countingSrc(p, 100), identity(), queue())).pipe(toArray()));
    expect(ptsOf(values)).toEqual(range(100));
    expect(p.closes).toBe(1);
  });

  it('is cold: each subscription runs the chain once', async () => {
    const p = new Probe();
    const obs = toObservable(countingSrc(p, 3));
    expect(p.opens).toBe(0);
    await lastValueFrom(obs);
    await lastValueFrom(obs);
    expect(p.opens).toBe(2);
    expect(p.closes).toBe(2);
  });

  it('take(n) on a synchronous endless chain stops it and closes every element once', async () => {
    const src = new Probe();
    const mid = new Probe();
    const values = await lastValueFrom(toObservable(pipe(countingSrc(src), probe(mid))).pipe(take(3), toArray()));
    expect(ptsOf(values)).toEqual([0, 1, 2]);
    await Promise.all([src.closed, mid.closed]);
    expect([src.closes, mid.closes]).toEqual([1, 1]);
    // Stopped within a packet of the unsubscription, inside the synchronous subscribe.
    expect(src.pulls).toBe(3);
  });

  it('unsubscribing aborts a live run and closes every element once', async () => {
    const clock = new VirtualClock();
    const mid = new Probe();
    const got: Packet[] = [];
    const sub = toObservable(pipe(fakeSrc({ isLive: true }), probe(mid), queue()), { clock, profile: 'live' }).subscribe((pk) => {
      got.push(pk);
      if (got.length === 5) sub.unsubscribe();
    });
    await mid.closed;
    expect(got.length).toBe(5);
    expect(mid.closes).toBe(1);
  });

  it('the run error is the Observable error', async () => {
    const p = new Probe();
    const got: Packet[] = [];
    const err = await new Promise<unknown>((resolve) =>
      toObservable(pipe(countingSrc(new Probe(), 100), identity({ errorAfter: 5 }), probe(p))).subscribe({ next: (x) => void got.push(x), error: resolve, complete: () => resolve('completed') }),
    );
    expect(err).toBeInstanceOf(ElementError);
    expect((err as Error).message).toMatch(/error-after=5 reached/);
    expect(got.length).toBe(5);
    expect(p.closes).toBe(1);
  });

  it('aborting runOptions.signal errors the Observable with the abort reason', async () => {
    const ac = newAbortController();
    const clock = new VirtualClock();
    const obs = toObservable(fakeSrc({ isLive: true }), { clock, signal: ac.signal });
    const first = firstValueFrom(obs.pipe(map(() => ac.abort()), toArray())).catch((e) => e);
    expect(isAbortError(await first)).toBe(true);
  });

  it('a negotiation error is the Observable error', async () => {
    const err = await lastValueFrom(toObservable(pipe(fakeSrc({ caps: 'video/x-raw' }), audioOnly()))).catch((e) => e);
    expect(err.name).toBe('NegotiationError');
  });
});

describe('through (an RxJS operator running a Transform)', () => {
  it('runs packets through the transform in order', async () => {
    const values = await lastValueFrom(from(packets(20)).pipe(through(pipe(identity(), queue()), { overflow: 'buffer' }), toArray()));
    expect(ptsOf(values)).toEqual(range(20));
  });

  it('propagates errors both ways: the transform’s and the upstream Observable’s', async () => {
    const down = await lastValueFrom(from(packets(20)).pipe(through(identity({ errorAfter: 2 }), { overflow: 'buffer' }))).catch((e) => e);
    expect(down.message).toMatch(/error-after=2 reached/);
    const boom = new Error('upstream');
    const up = await lastValueFrom(concat(from(packets(2)), throwError(() => boom)).pipe(through(identity(), { overflow: 'buffer' }))).catch((e) => e);
    expect(up.cause).toBe(boom);
  });

  it('unsubscribing downstream unsubscribes upstream and closes the transform', async () => {
    const p = new Probe();
    let teardowns = 0;
    const upstream = defer(() => syncPackets(1000)).pipe((o) => new Observable<Packet>((s) => {
      const inner = o.subscribe(s);
      return () => {
        teardowns++;
        inner.unsubscribe();
      };
    }));
    const values = await lastValueFrom(upstream.pipe(through(probe(p), { overflow: 'buffer' }), take(2), toArray()));
    expect(values.length).toBe(2);
    await p.closed;
    expect(p.closes).toBe(1);
    expect(teardowns).toBe(1);
  });
});

/** A transform that only accepts audio, to force a negotiation error. */
function audioOnly() {
  const audio = Caps.parse('audio/x-raw');
  return defineTransform({ factory: 'audioOnly', props: {}, sinkCaps: audio, srcCaps: audio, passthrough: true, open: (_ctx, up) => up });
}
