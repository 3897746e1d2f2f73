import { describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { fakeSink, fakeSrc, identity, tee } from '../../operators';
import { expectClosedOnce, expectError, expectMaxAhead, marbleSink, marbleSource, runMarbles, sourceOf, toDiagram, valuesOf, type MarbleLog } from '../../marbles';

const MS = 1_000_000;
const statsOf = (log: MarbleLog, name: string) => log.stats!.elements.find((e) => e.name === name)!;

describe('tee', () => {
  it("'block' branches receive every packet, at the source's times, without copies", async () => {
    const log = await runMarbles(pipe(marbleSource('-a-b-(cd)-|'), tee({ branches: [marbleSink({ name: 'x' }), pipe(identity(), marbleSink({ name: 'y' }))] })));
    expect(toDiagram(log, { sink: 'x' })).toBe('-a-b-(cd)-|');
    expect(toDiagram(log, { sink: 'y' })).toBe('-a-b-(cd)-|');
    const y = valuesOf(log, { sink: 'y' });
    valuesOf(log, { sink: 'x' }).forEach((p, i) => expect(p).toBe(y[i]));
    expect(log.stats!.copies.count).toBe(0);
    expectClosedOnce(log);
  });

  it("a slow 'leak' branch drops while the fast branch gets everything and the source is not slowed", async () => {
    const log = await runMarbles(
      pipe(
        marbleSource('abcdefgh|'),
        tee({ branches: [marbleSink({ name: 'fast' }), marbleSink({ name: 'slow', delay: 2.3 * MS })], policy: ['block', 'leak'], maxSizeBuffers: 2 }),
      ),
    );
    expect(toDiagram(log, { sink: 'fast' })).toBe('abcdefgh|');
    // The slow branch keeps the two newest: c goes when e arrives (c,d queued), e when g arrives.
    expect(toDiagram(log, { sink: 'slow' })).toBe('a-b-d-f--g-h-|');
    expect(statsOf(log, 'tee0').drops).toEqual({ leaky: 2 });
    // Every packet left the source at its own frame, and never more than one ahead of the fast sink.
    expect(toDiagram(sourceOf(log))).toBe('abcdefgh|');
    expectMaxAhead(log, 1, { sink: 'fast' });
  });

  it("a slow 'block' branch slows the source down instead (all packets, later)", async () => {
    const log = await runMarbles(
      pipe(marbleSource('abcdefgh|'), tee({ branches: [marbleSink({ name: 'fast' }), marbleSink({ name: 'slow', delay: 2.3 * MS })], maxSizeBuffers: 2 })),
    );
    expect(toDiagram(log, { sink: 'slow' })).toBe('a-b-c-d--e-f-g--h-|');
    expect(valuesOf(log, { sink: 'fast' })).toHaveLength(8);
    expect(toDiagram(sourceOf(log))).not.toBe('abcdefgh|');
    expect(statsOf(log, 'tee0').drops).toEqual({});
  });

  it('an error in one branch fails the pipeline, naming the element and its packet', async () => {
    const log = await runMarbles(
      pipe(marbleSource('abcd|'), tee({ branches: [pipe(identity({ errorAfter: 1, name: 'boom' }), marbleSink({ name: 'bad' })), marbleSink({ name: 'good' })] })),
    );
    expectError(log, { element: 'boom', pts: 1 * MS });
    expect(toDiagram(log, { sink: 'bad' })).toBe('a#');
    expect(toDiagram(log, { sink: 'good' })).toBe('a(b#)');
    expectClosedOnce(log);
  });
});

describe('tee on abort and branch failure while the trunk is blocked', () => {
  it('aborting while a block branch is full ends the run and closes every element once', async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), tee({ branches: [marbleSink({ delay: 3 * MS }), marbleSink()], maxSizeBuffers: 2 })), { abortAt: 5 });
    expect(log.outcome).toBe('abort');
    expectClosedOnce(log);
  });

  it('a failing branch ends the run even when the other branch is full', async () => {
    const log = await runMarbles(pipe(marbleSource('(abcdefgh|)'), tee({ branches: [pipe(identity({ errorAfter: 1 }), marbleSink()), marbleSink({ delay: 3 * MS })], maxSizeBuffers: 2 })));
    expect(log.outcome).toBe('error');
    expectClosedOnce(log);
  });

  it('counts delivery at the branches, not at the tee', async () => {
    const stats = await pipe(fakeSrc({ numBuffers: 10 }), tee({ branches: [fakeSink(), fakeSink()] })).run();
    expect(stats.delivered).toBe(20);
  });
});
