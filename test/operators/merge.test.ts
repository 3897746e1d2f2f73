import { describe, expect, it } from 'vitest';
import { pipe } from '../../src';
import { merge } from '../../operators';
import { expectClosedOnce, expectError, marbleSink, marbleSource, runMarbles, toDiagram, valuesOf } from '../../marbles';

const MS = 1_000_000;

describe('merge', () => {
  it('emits N inputs in timestamp order, each as soon as every input has one waiting', async () => {
    const log = await runMarbles(pipe(merge([marbleSource('a-c-e|'), marbleSource('-b-d-|')]), marbleSink()));
    // a waits for b (frame 1) to know it is the earliest; each later packet for the other input's next.
    expect(toDiagram(log)).toBe('-abcd(e|)');
    expect(valuesOf(log).map((p) => p.pts)).toEqual([0, 1, 2, 3, 4].map((k) => k * MS));
    expectClosedOnce(log);
  });

  it('orders by timestamp, not by arrival', async () => {
    const pts = (ms: number) => ({ pts: ms * MS });
    const log = await runMarbles(
      pipe(
        merge([
          marbleSource('(ad|)', { a: pts(0), d: pts(30) }),
          marbleSource('--(be|)', { b: pts(10), e: pts(40) }),
          marbleSource('-(cf)|', { c: pts(20), f: pts(50) }),
        ]),
        marbleSink(),
      ),
    );
    expect(toDiagram(log)).toBe('--(abcdef|)');
    // dts wins over pts when both are given (decode order, as a muxer needs).
    const byDts = await runMarbles(pipe(merge([marbleSource('(x|)', { x: { pts: 0, dts: 20 } }), marbleSource('(y|)', { y: { pts: 30, dts: 10 } })]), marbleSink()));
    expect(toDiagram(byDts)).toBe('(yx|)');
  });

  it('an input that fails fails the pipeline, naming it', async () => {
    const log = await runMarbles(pipe(merge([marbleSource('a-b-c|'), marbleSource('x-#', {}, { name: 'broken' })]), marbleSink()));
    expectError(log, { element: 'broken' });
    // x (pts 0, same as a) waits for b to be known as the earlier; then the failing input is pulled.
    expect(toDiagram(log)).toBe('a-(x#)');
    expectClosedOnce(log);
  });
});
