import { describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { identity, queue } from '../../operators';
import { ElementError, type Packet } from '../../src';
import { harness, marbleSink, marbleSource, runMarbles, toDiagram, valuesOf, type MarbleLog } from '../../marbles';

const MS = 1_000_000;
const statsOf = (log: MarbleLog, name: string) => log.stats!.elements.find((e) => e.name === name)!;

/*
 * The slow-sink cases: one packet a frame (a…h at frames 0…7, end at 8) into a queue of 2, and a sink
 * that takes 2.3 frames a packet (so no two events share an instant). The sink takes a at 0, then pulls
 * at 2.3, 4.6, 6.9, 9.2, …; between pulls the source delivers two or three packets into the queue.
 */
describe('queue', () => {
  it('passes values and timing unchanged (throughput)', async () => {
    const log = await runMarbles(pipe(marbleSource('-a-b-(cd)-|'), identity(), queue(), marbleSink()));
    expect(toDiagram(log)).toBe('-a-b-(cd)-|');
    const sent = valuesOf(log, { source: 'marbleSource0' });
    valuesOf(log).forEach((p, i) => expect(p).toBe(sent[i]));
    expect(statsOf(log, 'queue0').drops).toEqual({});
  });

  it('live: with a slow sink drops the oldest packet (leaky downstream) and counts it', async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), queue(), marbleSink({ delay: 2.3 * MS })), { profile: 'live' });
    // c is dropped when e arrives at 4 (queue c,d full), e when g arrives at 6 (queue e,f).
    expect(toDiagram(log)).toBe('a-b-d-f--g-h-|');
    const q = statsOf(log, 'queue0');
    expect(q.drops).toEqual({ leaky: 2 });
    expect(q.queue).toMatchObject({ capacity: 2, maxDepth: 2 });
    expect(log.stats!.drops).toBe(2);
  });

  it("leaky: 'upstream' drops the newest packet instead", async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), queue({ leaky: 'upstream' }), marbleSink({ delay: 2.3 * MS })), { profile: 'live' });
    // e arrives at 4 to a full queue (c,d) and is dropped, as is g at 6 (d,f).
    expect(toDiagram(log)).toBe('a-b-c-d--f-h-|');
    expect(statsOf(log, 'queue0').drops).toEqual({ leaky: 2 });
  });

  it("leaky: 'no' never drops: it holds the source back instead", async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), queue({ leaky: 'no' }), marbleSink({ delay: 2.3 * MS })), { profile: 'live' });
    expect(toDiagram(log)).toBe('a-b-c-d--e-f-g--h-|');
    expect(statsOf(log, 'queue0').drops).toEqual({});
  });

});

/*
 * The queue alone in the element harness: the test is its consumer, so demand is exact. Its upstream task
 * starts on the first pull and pulls its input on its own, as far as the buffer (or leakiness) lets it.
 */
describe('queue demand (element harness)', () => {
  const sixteen = Array.from({ length: 16 }, (_, i) => ({ pts: i }));
  const ptsOf = (ps: readonly Packet[]) => ps.map((p) => p.pts);

  it("leaky: 'no' pulls its input at most capacity + 1 ahead of its consumer, and never drops", async () => {
    const h = harness(queue({ leaky: 'no', maxSizeBuffers: 4 }), { profile: 'live' });
    h.pushAll(sixteen);
    await h.settle();
    // The upstream task starts on the first pull, not at open.
    expect(h.inputPulls).toBe(0);
    expect(await h.pull()).toMatchObject({ pts: 0 });
    await h.settle();
    // 0 handed on, 1–4 buffered, 5 pulled and held in a blocked push: back-pressure, not drops.
    expect(h.inputPulls).toBe(6);
    expect(h.inputQueued).toBe(10);
    expect(h.stats().queue).toMatchObject({ depth: 4, maxDepth: 4, capacity: 4 });
    expect(await h.pull()).toMatchObject({ pts: 1 });
    await h.settle();
    expect(h.inputPulls).toBe(7);
    expect(ptsOf(await h.drain())).toEqual(sixteen.slice(2).map((p) => p.pts));
    expect(h.drops()).toEqual({});
    expect((await h.close()).outcome).toBe('eos');
  });

  it("a leaky queue of the same size does not hold its input back: 'downstream' keeps the newest, 'upstream' the oldest", async () => {
    const down = harness(queue({ leaky: 'downstream', maxSizeBuffers: 4 }), { profile: 'live' });
    down.pushAll(sixteen);
    down.pushEos();
    // The burst is read at once, end-of-stream included, before the first packet is handed on.
    expect(await down.pull()).toMatchObject({ pts: 12 });
    expect(down.inputPulls).toBe(17);
    expect(ptsOf(await down.pullAll())).toEqual([13, 14, 15]);
    expect(down.drops()).toEqual({ leaky: 12 });
    expect(down.stats().queue).toMatchObject({ maxDepth: 4, capacity: 4 });
    await down.close();

    const up = harness(queue({ leaky: 'upstream', maxSizeBuffers: 4 }), { profile: 'live' });
    up.pushAll(sixteen);
    up.pushEos();
    expect(ptsOf(await up.pullAll())).toEqual([0, 1, 2, 3]);
    expect(up.inputPulls).toBe(17);
    expect(up.drops()).toEqual({ leaky: 12 });
    await up.close();
  });

  it('hands an upstream error on after what it buffered, naming the failing element', async () => {
    const h = harness(queue());
    h.pushAll([{ pts: 0 }, { pts: 1 }]);
    h.pushError(new Error('camera unplugged'));
    expect(await h.pull()).toMatchObject({ pts: 0 });
    await h.settle();
    // Its task has met the error already; what it buffered still comes first.
    expect(h.inputPulls).toBe(3);
    expect(await h.pull()).toMatchObject({ pts: 1 });
    const e = await h.pull().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ElementError);
    expect(e).toMatchObject({ element: 'harnessSrc0', message: expect.stringContaining('camera unplugged') });
    const teardown = await h.close();
    expect(teardown.outcome).toBe('error');
    expect(teardown.elements).toEqual([{ name: 'queue0', factory: 'queue', opens: 1, closes: 1 }]);
  });

  it('closing mid-stream stops its upstream task: no pull of the input after close', async () => {
    const h = harness(queue({ leaky: 'no', maxSizeBuffers: 2 }));
    h.pushAll(sixteen);
    expect(await h.pull()).toMatchObject({ pts: 0 });
    const teardown = await h.close();
    expect(teardown.outcome).toBe('abort');
    expect(teardown.pullsAfterClose).toBe(0);
    expect(teardown.elements[0].closes).toBe(1);
    await expect(h.pull()).rejects.toThrow(/harness closed/);
  });
});
