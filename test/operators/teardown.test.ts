import { describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { identity, queue, tee } from '../../operators';
import { expectClosedOnce, expectError, expectTeardown, marbleSink, marbleSource, runMarbles, timesOf, toDiagram } from '../../marbles';

const MS = 1_000_000;

/** Every operator at once: a queue, identities and a tee with a fast and a slow (leaky) branch. */
const everything = (src: string, opts: { errorAfter?: number } = {}) =>
  pipe(
    marbleSource(src),
    identity({ errorAfter: opts.errorAfter, name: 'id' }),
    queue(),
    tee({
      branches: [pipe(identity(), marbleSink({ name: 'fast' })), marbleSink({ name: 'slow', delay: 3.3 * MS })],
      policy: ['block', 'leak'],
      maxSizeBuffers: 2,
    }),
  );

describe('teardown: every element closes exactly once', () => {
  it('on success, when the last sink is done', async () => {
    const log = await runMarbles(everything('abcdef|'));
    expect(log.outcome).toBe('eos');
    expect(toDiagram(log, { sink: 'fast' })).toBe('abcdef|');
    // The slow branch (3.3 frames a packet, buffer of 2) loses b at 3 and d at 5; it ends last, at 13.2.
    expect(toDiagram(log, { sink: 'slow' })).toBe('a--c--e--f---|');
    expect(log.elements.map((e) => e.name)).toEqual(['marbleSource0', 'id', 'queue0', 'tee0', 'identity0', 'fast', 'slow']);
    expectTeardown(log, '^------------!');
  });

  it('on error, naming the element and the packet', async () => {
    const log = await runMarbles(everything('a-b-c-d|', { errorAfter: 2 }));
    expectError(log, { element: 'id', pts: 4 * MS });
    expect(toDiagram(log, { sink: 'fast' })).toBe('a-b-#');
    expectTeardown(log, '^---!');
  });

  it('on abort (!), within one packet: nothing reaches a sink at or after the abort frame', async () => {
    const log = await runMarbles(everything('abcdefgh-!'));
    expect(log.outcome).toBe('abort');
    expect(toDiagram(log, { sink: 'fast' })).toBe('abcdefgh-!');
    expect(toDiagram(log, { sink: 'slow' })).toBe('a--c--f--!');
    expectTeardown(log, '^--------!');
  });

  it('on abort while a slow sink and a slow transform are mid-packet', async () => {
    const log = await runMarbles(pipe(marbleSource('abcdefgh|'), identity({ sleepTime: 2 * MS }), queue(), marbleSink({ delay: 3 * MS })), {
      abortAt: '-------!',
    });
    // a leaves identity at 2, b at 4, c at 6; the sink is busy with b from 5 to 8 when the abort comes.
    expect(toDiagram(log)).toBe('--a--b-!');
    expect(Math.max(...timesOf(log))).toBeLessThan(7 * MS);
    expectClosedOnce(log);
    expectTeardown(log, '^------!');
  });
});
