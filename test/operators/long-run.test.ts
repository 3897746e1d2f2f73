import { describe, expect, it } from 'vitest';
import { pipe, SECOND } from '../../src';
import { fakeSrc, identity, queue, tee } from '../../operators';
import { marbleSink, marbleSource, runMarbles, timesOf, toDiagram, valuesOf } from '../../marbles';

const MS = 1_000_000;
const FRAMES = 10 * 60 * 30; // ten minutes at 30 fps
const frameTime = (i: number) => Math.round((i * SECOND) / 30);

describe('a ten-minute live pipeline under the virtual clock', () => {
  it('keeps a fast branch at frame rate and a slow one fresh (only virtual results are asserted)', async () => {
    const log = await runMarbles(
      pipe(
        fakeSrc({ isLive: true, framerate: '30/1', numBuffers: FRAMES }),
        tee({ branches: [marbleSink({ name: 'fast' }), marbleSink({ name: 'slow', delay: 50 * MS })], policy: ['block', 'leak'] }),
      ),
      { profile: 'live' },
    );
    expect(log.outcome).toBe('eos');
    // The fast branch gets every frame the moment it is captured: the slow branch never holds it up.
    const expected = Array.from({ length: FRAMES }, (_, i) => frameTime(i));
    expect(timesOf(log, { sink: 'fast' })).toEqual(expected);
    expect(valuesOf(log, { sink: 'fast' }).map((p) => p.pts)).toEqual(expected);
    // The slow sink (50 ms a frame, slower than the 33.3 ms frame rate) is never idle: a fresh frame always
    // waits, so it writes every 50 ms; the stale ones are dropped as late, never presented.
    const slow = log.sinks.slow.writes;
    expect(slow.map((w) => w.time)).toEqual(slow.map((_, k) => k * 50 * MS));
    expect(Math.max(...slow.map((w) => w.time - (w.packet.meta.captureTime as number)))).toBeLessThanOrEqual(100 * MS);
    const dropped = log.stats!.elements.reduce((n, e) => n + (e.drops.late ?? 0) + (e.drops.leaky ?? 0), 0);
    expect(slow.length + dropped).toBe(FRAMES);
    expect(slow.length).toBe(12_002);
    expect(log.endTime).toBe(12_002 * 50 * MS);
    expect(log.stats!.elements.find((e) => e.name === 'slow')!.packets).toBe(FRAMES - (log.stats!.elements.find((e) => e.name === 'tee0')!.drops.leaky ?? 0));
  });

  it('plays and records an 18 000-frame diagram at 30 fps exactly', async () => {
    const diagram = 'abc'.repeat(FRAMES / 3) + '|';
    const log = await runMarbles(pipe(marbleSource(diagram), queue(), identity(), marbleSink()), { profile: 'live', frame: SECOND / 30 });
    expect(toDiagram(log)).toBe(diagram);
    expect(timesOf(log)[FRAMES - 1]).toBe(frameTime(FRAMES - 1));
    expect(valuesOf(log).every((p, i) => p.pts === frameTime(i))).toBe(true);
    expect(log.stats!.drops).toBe(0);
  });
});
