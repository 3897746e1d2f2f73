// streamMux / batchSplit under virtual time: every deadline rule of DeepStream's nvstreammux as marbles, and
// a property test over random arrivals (nothing lost or duplicated, per-source order kept, no batch late).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchOf, batchSplit, streamMux } from '../../operators';
import { expectClosedOnce, expectError, labelOf, marbleSink, marbleSource, runMarbles, sinkOf, toDiagram } from '../../marbles';
import { pipe } from '../../src';
import type { MarbleLog } from '../../marbles';

const MS = 1_000_000;

/** Each batch as its frames' labels @ the ms it was pushed. */
const batches = (log: MarbleLog, sink?: string): string[] =>
  sinkOf(log, sink).writes.map(
    (w) =>
      `${batchOf(w.packet)
        .map((s) => labelOf(s.packet))
        .join('')}@${w.time / MS}`
  );

describe('streamMux', () => {
  it('pushes a batch as soon as it is full', async () => {
    const log = await runMarbles(pipe(streamMux([marbleSource('a-c|'), marbleSource('b-d|')], { batchSize: 2 }), marbleSink()));
    expect(batches(log)).toEqual(['ab@0', 'cd@2']);
    expectClosedOnce(log);
  });

  it('a batch not full goes batched-push-timeout after its first frame', async () => {
    // Four slots, two sources: never full; each batch waits 5 ms from its first frame.
    const log = await runMarbles(
      pipe(streamMux([marbleSource('a-----c|'), marbleSource('--b------d|')], { batchSize: 4, batchedPushTimeout: 5 * MS }), marbleSink())
    );
    // a at 0 opens the batch; b (2) joins; pushed at 5. c (6) opens the next, d (9) joins; both sources have
    // ended at 10, before its deadline (11): nothing more can join, so it goes then.
    expect(batches(log)).toEqual(['ab@5', 'cd@10']);
  });

  it('at most max-same-source-frames of one source per batch; the rest wait for the next, in order', async () => {
    const log = await runMarbles(
      pipe(streamMux([marbleSource('(abc)|'), marbleSource('----x|')], { batchSize: 2, maxSameSourceFrames: 1, batchedPushTimeout: 3 * MS }), marbleSink())
    );
    // a alone until its deadline (the fast source may not fill the batch); b joins x when x comes; c goes at
    // the end of both streams (nothing more can join it).
    expect(batches(log)).toEqual(['a@3', 'bx@4', 'c@5']);
  });

  it('at the end the last partial batch goes at once', async () => {
    const log = await runMarbles(pipe(streamMux([marbleSource('a|'), marbleSource('-|')], { batchSize: 4, batchedPushTimeout: 50 * MS }), marbleSink()));
    expect(batches(log)).toEqual(['a@1']);
    expect(toDiagram(log)).toBe('-(?|)');
  });

  it('max-fps drops frames of a source faster than its limit, counted', async () => {
    const log = await runMarbles(pipe(streamMux([marbleSource('abcdef|')], { batchSize: 1, maxFps: 500 }), marbleSink()));
    // 1 ms apart against a 2 ms limit: every other frame.
    expect(batches(log).map((b) => b.split('@')[0])).toEqual(['a', 'c', 'e']);
    expect(log.stats?.drops).toBe(3);
  });

  it('a failing input fails the pipeline, or with source-error=drop is removed while the others go on', async () => {
    const failing = await runMarbles(pipe(streamMux([marbleSource('a-b-c|'), marbleSource('x-#', {}, { name: 'cam2' })], { batchSize: 2 }), marbleSink()));
    expectError(failing, { element: 'cam2' });
    const dropped = await runMarbles(
      pipe(
        streamMux([marbleSource('a-b-c|'), marbleSource('x-#', {}, { name: 'cam2' })], { batchSize: 2, sourceError: 'drop', batchedPushTimeout: MS }),
        marbleSink()
      )
    );
    expect(batches(dropped)).toEqual(['ax@0', 'b@3', 'c@5']);
    expectClosedOnce(dropped);
  });

  it('batchSplit hands each frame back to its source branch, in order', async () => {
    const log = await runMarbles(
      pipe(
        streamMux([marbleSource('a-c-e|'), marbleSource('b-d-|')], { batchSize: 2 }),
        batchSplit({ branches: [marbleSink({ name: 'left' }), marbleSink({ name: 'right' })] })
      )
    );
    expect(sinkOf(log, 'left').writes.map((w) => labelOf(w.packet))).toEqual(['a', 'c', 'e']);
    expect(sinkOf(log, 'right').writes.map((w) => labelOf(w.packet))).toEqual(['b', 'd']);
  });

  it('property: nothing lost or duplicated, per-source order kept, no batch over its size or its deadline', async () => {
    const diagram = fc.array(fc.constantFrom('-', 'v'), { minLength: 1, maxLength: 12 }).map((cs) => cs.join('') + '|');
    await fc.assert(
      fc.asyncProperty(
        fc.array(diagram, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        async (diagrams, batchSize, maxSame, timeoutMs) => {
          const letters = 'abcdefghijklmnopqrstuvwxyz';
          let n = 0;
          // Unique labels per frame: source k's frames named in order.
          const sources = diagrams.map((d, k) =>
            marbleSource(
              d.replace(/v/g, () => letters[n++ % 26]),
              {},
              { name: `s${k}` }
            )
          );
          const log = await runMarbles(pipe(streamMux(sources, { batchSize, maxSameSourceFrames: maxSame, batchedPushTimeout: timeoutMs * MS }), marbleSink()));
          const writes = sinkOf(log).writes;
          const seen: { source: number; frame: number }[] = [];
          let previous = 0;
          for (const w of writes) {
            const slots = batchOf(w.packet);
            expect(slots.length).toBeGreaterThan(0);
            expect(slots.length).toBeLessThanOrEqual(batchSize);
            for (let k = 0; k < diagrams.length; k++) expect(slots.filter((x) => x.source === k).length).toBeLessThanOrEqual(maxSame);
            // A batch starts when its first frame goes in: when it arrived (its pts here), or when the batch
            // before went out if it was waiting; it is pushed by that start + the timeout.
            const start = Math.max(Math.min(...slots.map((x) => x.packet.pts!)), previous);
            expect(w.time).toBeLessThanOrEqual(start + timeoutMs * MS);
            previous = w.time;
            for (const x of slots) seen.push({ source: x.source, frame: x.packet.pts! });
          }
          for (let k = 0; k < diagrams.length; k++) {
            const want = [...diagrams[k]].flatMap((c, i) => (c === 'v' ? [i * MS] : []));
            expect(seen.filter((x) => x.source === k).map((x) => x.frame)).toEqual(want);
          }
        }
      ),
      { numRuns: 60 }
    );
  });
});
