import { describe, expect, it } from 'vitest';
import { pipe, VirtualClock } from '../../src';
import { fakeSink, identity } from '../../operators';
import { marbleSink, marbleSource, runMarbles, timesOf, toDiagram, valuesOf, type MarbleLog } from '../../marbles';

const MS = 1_000_000;
const statsOf = (log: MarbleLog, name: string) => log.stats!.elements.find((e) => e.name === name)!;

describe('live profile', () => {
  /*
   * Frames of 10 ms; a…e captured at 0…40 ms; identity holds each for 30 ms, one after another, so they
   * reach the sink at 30, 60, 90, 120, 150 ms, aged 30, 50, 70, 90, 110 ms: e is past the 100 ms deadline.
   */
  const slow = () => pipe(marbleSource('abcde|'), identity({ sleepTime: 30 * MS }), marbleSink());

  it('a sink drops packets older than the glass-to-glass deadline', async () => {
    const log = await runMarbles(slow(), { profile: 'live', frame: 10 * MS });
    expect(toDiagram(log)).toBe('---a--b--c--d--|');
    expect(statsOf(log, 'marbleSink0').drops).toEqual({ late: 1 });
    expect(log.stats!.latency).toMatchObject({ count: 4, max: 90 * MS });
  });

  it('keeps late packets with dropLate: false, and in the throughput profile', async () => {
    const kept = await runMarbles(pipe(marbleSource('abcde|'), identity({ sleepTime: 30 * MS }), marbleSink({ dropLate: false })), {
      profile: 'live',
      frame: 10 * MS,
    });
    expect(toDiagram(kept)).toBe('---a--b--c--d--(e|)');
    const throughput = await runMarbles(slow(), { profile: 'throughput', frame: 10 * MS });
    expect(toDiagram(throughput)).toBe('---a--b--c--d--(e|)');
    expect(throughput.stats!.drops).toBe(0);
  });

  /*
   * a, b arrive together at 0 with pts 0 and 10 ms; c (pts 20 ms) and d (pts 40 ms) arrive at 50 ms.
   * A synced sink presents at base + pts: a at 0, b at 10 ms; c is 30 ms late (> 20 ms maxLateness) and is
   * dropped; d is 10 ms late, within maxLateness, and is presented at once.
   */
  const values = { a: { pts: 0 }, b: { pts: 10 * MS }, c: { pts: 20 * MS }, d: { pts: 40 * MS } };

  it('sync=true waits for presentation times and drops what is later than maxLateness', async () => {
    const log = await runMarbles(pipe(marbleSource('(ab)----(cd)|', values), marbleSink({ sync: true })), { profile: 'live', frame: 10 * MS });
    expect(valuesOf(log).map((p) => p.meta.marble)).toEqual(['a', 'b', 'd']);
    expect(timesOf(log)).toEqual([0, 10 * MS, 50 * MS]);
    const [a, b] = log.sinks.marbleSink0.writes;
    for (const w of [a, b]) expect(log.baseTime + w.time).toBe(log.baseTime + w.packet.pts!);
    expect(statsOf(log, 'marbleSink0').drops).toEqual({ late: 1 });
  });

  it('without sync the same sink writes each packet on arrival', async () => {
    const log = await runMarbles(pipe(marbleSource('(ab)----(cd)|', values), marbleSink()), { profile: 'live', frame: 10 * MS });
    expect(toDiagram(log)).toBe('(ab)----(cd)|');
  });

  /*
   * A live source stamping arrival running time (rtspSrc, as rtspsrc) connects for 50 ms: its first unit has
   * pts 50 ms and arrives at 50 ms. It is on time at base + pts, not 50 ms late (every unit would be dropped).
   */
  it('sync=true takes pts as running time: a live source that starts late is on time', async () => {
    const live = { a: { pts: 50 * MS }, b: { pts: 60 * MS }, c: { pts: 80 * MS } };
    const log = await runMarbles(pipe(marbleSource('-----(ab)-c|', live), marbleSink({ sync: true })), { profile: 'live', frame: 10 * MS });
    expect(valuesOf(log).map((p) => p.meta.marble)).toEqual(['a', 'b', 'c']);
    expect(timesOf(log)).toEqual([50 * MS, 60 * MS, 80 * MS]);
    expect(statsOf(log, 'marbleSink0').drops).toEqual({});
  });

  it('sync=true moves pts ahead of the running time (a file starting at 10 s) back to start now', async () => {
    const file = { a: { pts: 10_000 * MS }, b: { pts: 10_010 * MS }, c: { pts: 10_030 * MS } };
    const log = await runMarbles(pipe(marbleSource('(ab)c|', file), marbleSink({ sync: true })), { profile: 'live', frame: 10 * MS });
    expect(timesOf(log)).toEqual([0, 10 * MS, 30 * MS]);
  });

  it('fakeSink sync=true presents at the same times on a clock that does not start at 0', async () => {
    const clock = new VirtualClock({ start: 5 * MS });
    const at: number[] = [];
    const stats = await pipe(
      marbleSource('(ab)----(cd)|', values, { frame: 10 * MS }),
      fakeSink({ sync: true, onPacket: () => void at.push(clock.now()) })
    ).run({ clock, profile: 'live' });
    expect(at).toEqual([5 * MS, 15 * MS, 55 * MS]);
    expect(stats.delivered).toBe(3);
    expect(stats.drops).toBe(1);
  });
});
