import { describe, expect, it } from 'vitest';
import { pipe, VirtualClock, ElementError } from '../../src';
import { identity } from '../../operators';
import { expectError, expectTeardown, marbleSink, marbleSource, runMarbles, toDiagram, valuesOf } from '../../marbles';

const MS = 1_000_000;
const dropsOf = (log: Awaited<ReturnType<typeof runMarbles>>, name: string) => log.stats!.elements.find((e) => e.name === name)!.drops;

describe('identity', () => {
  it('passes values and timing unchanged (throughput)', async () => {
    const log = await runMarbles(pipe(marbleSource('-a-b-(cd)-|'), identity(), identity(), marbleSink()));
    expect(toDiagram(log)).toBe('-a-b-(cd)-|');
    // The very packets the source emitted: nothing copied or rebuilt.
    const sent = valuesOf(log, { source: 'marbleSource0' });
    valuesOf(log).forEach((p, i) => expect(p).toBe(sent[i]));
    expectTeardown(log, '^------!');
  });

  it('sleepTime holds each packet on the clock', async () => {
    const log = await runMarbles(pipe(marbleSource('(abc|)'), identity({ sleepTime: 2 * MS }), marbleSink()));
    expect(toDiagram(log)).toBe('--a-b-(c|)');
  });

  it('handoff sees each packet as it leaves, after any sleep (GStreamer handoff)', async () => {
    const clock = new VirtualClock();
    const seen: [string, number][] = [];
    const log = await runMarbles(
      pipe(marbleSource('(ab|)'), identity({ sleepTime: 3 * MS, handoff: (p) => void seen.push([String(p.pts), clock.now()]) }), marbleSink()),
      { clock },
    );
    expect(toDiagram(log)).toBe('---a--(b|)');
    expect(seen.map(([, t]) => t)).toEqual([3 * MS, 6 * MS]);
    expect(seen).toHaveLength(valuesOf(log).length);
  });

  it('dropEvery drops every Nth packet and counts it', async () => {
    const log = await runMarbles(pipe(marbleSource('abcd|'), identity({ dropEvery: 2 }), marbleSink()));
    expect(toDiagram(log)).toBe('a-c-|');
    expect(dropsOf(log, 'identity0')).toEqual({ policy: 2 });
  });

  it('eosAfter ends the stream after N packets and tears everything down', async () => {
    const log = await runMarbles(pipe(marbleSource('abcd|'), identity({ eosAfter: 2 }), marbleSink()));
    expect(log.outcome).toBe('eos');
    expect(toDiagram(log)).toBe('ab|');
    expectTeardown(log, '^-!');
  });

  it('errorAfter fails the run with an ElementError naming the element and the pts', async () => {
    const log = await runMarbles(pipe(marbleSource('a-b-c-d|', { c: { pts: 42 * MS } }), identity({ errorAfter: 2, name: 'flaky' }), marbleSink()));
    const e = expectError(log, { element: 'flaky', pts: 42 * MS, message: 'error-after=2' });
    expect(e.message).toBe('flaky failed at pts 0:00:00.042000000: error-after=2 reached');
    expect(toDiagram(log)).toBe('a-b-#');
    expectTeardown(log, '^---!');
    // The same without the harness: the run itself rejects with it.
    const run = pipe(marbleSource('a-b-c-d|', { c: { pts: 42 * MS } }), identity({ errorAfter: 2, name: 'flaky' }), marbleSink()).run({ clock: new VirtualClock() });
    await expect(run).rejects.toBeInstanceOf(ElementError);
    await expect(run).rejects.toMatchObject({ element: 'flaky', pts: 42 * MS });
  });
});
