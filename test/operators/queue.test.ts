import { describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { identity, queue } from '../../operators';
import { expectClosedOnce, expectError, expectMaxAhead, marbleSink, marbleSource, maxAhead, runMarbles, toDiagram, valuesOf, type MarbleLog } from '../../marbles';

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

  it("leaky: 'no' bounds how far the source runs ahead of the sink by the capacity", async () => {
    // Every packet is available at once: only back-pressure keeps the source from running ahead.
    const all = '(abcdefghijklmnop|)';
    const log = await runMarbles(pipe(marbleSource(all), queue({ leaky: 'no', maxSizeBuffers: 4 }), marbleSink({ delay: MS })), { profile: 'live' });
    expect(toDiagram(log)).toBe('abcdefghijklmnop|');
    expectMaxAhead(log, 4 + 1);
    expect(maxAhead(log)).toBe(4);
    // A leaky queue of the same size does not hold the source back at all.
    const leaky = await runMarbles(pipe(marbleSource(all), queue({ leaky: 'downstream', maxSizeBuffers: 4 }), marbleSink({ delay: MS })), { profile: 'live' });
    expect(maxAhead(leaky)).toBeGreaterThan(10);
    // The burst arrives at once: the queue keeps the newest four.
    expect(toDiagram(leaky)).toBe('mnop|');
  });

  it('hands an upstream error on after what it buffered, naming the failing element', async () => {
    const log = await runMarbles(pipe(marbleSource('(ab#)', {}, { name: 'cam' }), queue(), marbleSink({ delay: MS })));
    expectError(log, { element: 'cam' });
    expect(toDiagram(log)).toBe('ab#');
    expectClosedOnce(log);
  });
});
