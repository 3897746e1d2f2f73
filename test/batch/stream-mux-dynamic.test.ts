// streamMux sources added and removed while it runs, under virtual time: an added source is pulled at once,
// a removed one's unsent frames are flushed or dropped (counted), and the others are never held.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchOf, batchSplit, capsFilter, streamMux, type RemovedSource } from '../../operators';
import { expectClosedOnce, labelOf, marbleSink, marbleSource, runMarbles, sinkOf, toDiagram } from '../../marbles';
import type { MarbleLog } from '../../marbles';
import { Caps } from '../../src/caps';
import { VirtualClock } from '../../src/clock';
import type { ElementContext, InputReader } from '../../src/element';
import { defineSink, type Sink, type Source } from '../../src/operator';
import { pipe } from '../../src';
import { NegotiationError } from '../../src/pipeline';

const MS = 1_000_000;

/** Each batch as its frames' labels @ the ms it was pushed. */
const batches = (log: MarbleLog): string[] =>
  sinkOf(log).writes.map(
    (w) =>
      `${batchOf(w.packet)
        .map((s) => labelOf(s.packet))
        .join('')}@${w.time / MS}`
  );

/** Runs `fn` at `ms` on the clock, before any element's timer of that instant. */
const at = (clock: VirtualClock, ms: number, fn: () => unknown): void => void clock.sleepUntil(ms * MS).then(fn);

/** A source whose elements' closes are timed (ms), to see a removed source close when removed. */
function closesOf(src: Source, closes: number[]): Source {
  const el = src.elements[0];
  if (el.kind !== 'source') throw new TypeError('a source');
  const open = el.open;
  return {
    ...src,
    elements: [
      {
        ...el,
        open: (ctx: ElementContext, inputs: readonly InputReader<any>[]) => {
          const r = open(ctx, inputs);
          return { pull: (s: AbortSignal) => r.pull(s), close: () => (closes.push(ctx.clock.now() / MS), r.close?.()) };
        },
      },
    ],
  };
}

/** A sink that records each packet's label and ms, and when its end of stream came. */
function recorder(): { sink: Sink; writes: string[]; end: number[] } {
  const writes: string[] = [];
  const end: number[] = [];
  const sink = defineSink({
    sinkCaps: Caps.any(),
    open: (ctx) => ({
      write: (p) => void writes.push(`${labelOf(p)}@${ctx.clock.now() / MS}`),
      end: () => void end.push(ctx.clock.now() / MS),
    }),
  });
  return { sink, writes, end };
}

describe('streamMux: sources added and removed at run time', () => {
  it('a source added mid-run is pulled at once and joins the next batches, by id', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([marbleSource('a-b-c-d|')], { batchSize: 2, batchedPushTimeout: MS });
    const ids: number[] = [];
    at(clock, 3, () => ids.push(mux.add(marbleSource('----x-y|', {}, { name: 'late' }))));
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    expect(ids).toEqual([1]);
    // Alone, each frame goes at its deadline; from 4 on, x and y fill batches with c and d.
    expect(batches(log)).toEqual(['a@1', 'b@3', 'cx@4', 'dy@6']);
    expect(sinkOf(log).writes.flatMap((w) => batchOf(w.packet).map((s) => `${labelOf(s.packet)}${s.source}`))).toEqual(['a0', 'b0', 'c0', 'x1', 'd0', 'y1']);
    expectClosedOnce(log);
  });

  it('a removed source that never answers holds nothing: the others end and its elements close at its removal', async () => {
    const clock = new VirtualClock();
    const closes: number[] = [];
    // A silent camera: no frame, no end. Without its removal the run would never end.
    const mux = streamMux([marbleSource('a-b-c|'), closesOf(marbleSource('-', {}, { name: 'dead' }), closes)], {
      batchSize: 2,
      maxSameSourceFrames: 2,
      batchedPushTimeout: 10 * MS,
    });
    let removed: RemovedSource | undefined;
    at(clock, 3, async () => (removed = await mux.remove(1)));
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    expect(log.outcome).toBe('eos');
    // a and b fill a batch; c would wait for the dead source until its deadline (14), but with it removed
    // at 3 nothing more can join once a has ended (5).
    expect(batches(log)).toEqual(['ab@2', 'c@5']);
    expect(removed).toEqual({ id: 1, flushed: 0, dropped: 0 });
    expect(closes).toEqual([3]);
  });

  it('remove with pending=flush: its frames not yet pushed still go out; nothing dropped', async () => {
    const clock = new VirtualClock();
    // Source 1 is ahead: (xy) at 0, one per batch (max-same-source-frames 1), y waits for the next batch.
    const mux = streamMux([marbleSource('a----b|'), marbleSource('(xy)--z|')], { batchSize: 2, batchedPushTimeout: 4 * MS });
    let removed: RemovedSource | undefined;
    at(clock, 1, async () => (removed = await mux.remove(1, { pending: 'flush' })));
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    // y goes by the usual rules: at its batch's deadline (0 + 4), a may still join it.
    expect(batches(log)).toEqual(['ax@0', 'y@4', 'b@6']);
    expect(removed).toEqual({ id: 1, flushed: 1, dropped: 0 });
    expect(log.stats?.drops).toBe(0);
  });

  it('remove with pending=drop: its unsent frames are dropped and counted; the batch it was in goes on without them', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([marbleSource('a---b|'), marbleSource('(xy)--z|')], { batchSize: 3, batchedPushTimeout: 2 * MS });
    let removed: RemovedSource | undefined;
    // At 1: the open batch holds a and x (y waits for the next one): both x and y are dropped.
    at(clock, 1, async () => (removed = await mux.remove(1, { pending: 'drop' })));
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    expect(batches(log)).toEqual(['a@2', 'b@5']);
    expect(removed).toEqual({ id: 1, flushed: 0, dropped: 2 });
    expect(log.stats?.drops).toBe(2);
  });

  it('sources() reports each source by id; removing twice or an unknown id is refused', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([marbleSource('a-b-c|'), marbleSource('x-y-z|')], { batchSize: 2, batchedPushTimeout: MS });
    const seen: unknown[] = [];
    at(clock, 2, async () => {
      await mux.remove(1, { pending: 'drop' });
      seen.push(mux.sources());
      await mux.remove(1).catch((e: Error) => seen.push(e.message));
      await mux.remove(7).catch((e: Error) => seen.push(e.message));
    });
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    // The removal at 2 comes before y: source 1 gave x only.
    expect(batches(log)).toEqual(['ax@0', 'b@3', 'c@5']);
    expect(seen[0]).toEqual([
      // Read once the removal settled: b (2) has come meanwhile.
      { id: 0, state: 'active', frames: 2, dropped: 0 },
      { id: 1, state: 'removed', frames: 1, dropped: 0 },
    ]);
    expect(seen.slice(1)).toEqual([expect.stringMatching(/source 1 was already removed/), expect.stringMatching(/no source 7/)]);
  });

  it('a source that cannot link is refused at add (NegotiationError) and the run goes on', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([marbleSource('a-b|')], { batchSize: 1 });
    let error: unknown;
    at(clock, 1, () => {
      try {
        mux.add(pipe(marbleSource('x|', {}, { caps: 'video/x-raw' }), capsFilter('audio/x-raw')));
      } catch (e) {
        error = e;
      }
    });
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    expect(error).toBeInstanceOf(NegotiationError);
    expect(batches(log)).toEqual(['a@0', 'b@2']);
  });

  it('keep-alive: a mux may start with no source and outlive its sources, until end()', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([], { keepAlive: true, batchSize: 1 });
    at(clock, 2, () => mux.add(marbleSource('--a-b|')));
    // Source 0 ended at 5; the mux waits for the next camera.
    at(clock, 7, () => mux.add(marbleSource('--------x|')));
    at(clock, 12, () => mux.end());
    const log = await runMarbles(pipe(mux, marbleSink()), { clock });
    expect(log.outcome).toBe('eos');
    expect(batches(log)).toEqual(['a@2', 'b@4', 'x@8']);
    expect(toDiagram(log)).toBe('--?-?---?---|'); // batches print as ?
  });

  it('keep-alive: a graceful end-of-stream ends a mux that waits for sources', async () => {
    const log = await runMarbles(pipe(streamMux([marbleSource('a|')], { keepAlive: true, batchSize: 1 }), marbleSink()), { eosAt: 4 });
    expect(log.outcome).toBe('eos');
    expect(toDiagram(log)).toBe('?---|');
  });

  it('without keep-alive, a mux needs an input', () => {
    expect(() => streamMux([])).toThrow(/at least one input/);
  });

  it('add before the pipeline runs is refused', () => {
    expect(() => streamMux([marbleSource('a|')]).add(marbleSource('b|'))).toThrow(/not running/);
  });

  it('property: with sources added and removed at random, no frame lost but counted drops, none duplicated, per-source order and deadlines kept', async () => {
    const source = fc.record({
      diagram: fc.array(fc.constantFrom('-', 'v'), { minLength: 1, maxLength: 12 }),
      // 0: an input from the start; else added at that ms (its frames before then left out).
      addAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 })),
      remove: fc.option(fc.record({ at: fc.integer({ min: 1, max: 14 }), pending: fc.constantFrom('flush' as const, 'drop' as const) }), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(source, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 6 }),
        async (specs, batchSize, maxSame, timeoutMs) => {
          const all = specs.map((sp, k) => ({ ...sp, addAt: k === 0 ? 0 : sp.addAt })); // streamMux needs one input at least
          const letters = 'abcdefghijklmnopqrstuvwxyz';
          let n = 0;
          const diagrams = all.map((sp) => sp.diagram.map((c, i) => (c === 'v' && i >= sp.addAt ? letters[n++ % 26] : '-')).join('') + '|');
          const want = diagrams.map((d) => [...d].flatMap((c, i) => (c !== '-' && c !== '|' ? [i * MS] : [])));
          const statics = all.flatMap((sp, k) => (sp.addAt === 0 ? [k] : []));
          const clock = new VirtualClock();
          const mux = streamMux(
            statics.map((k) => marbleSource(diagrams[k], {}, { name: `s${k}` })),
            { batchSize, maxSameSourceFrames: maxSame, batchedPushTimeout: timeoutMs * MS }
          );
          // Mux id of each source (undefined: its add came after the mux had ended); removal results.
          const ids: (number | undefined)[] = all.map((_, k) => statics.indexOf(k));
          all.forEach((sp, k) => {
            if (sp.addAt > 0) {
              ids[k] = undefined;
              at(clock, sp.addAt, () => {
                try {
                  ids[k] = mux.add(marbleSource(diagrams[k], {}, { name: `s${k}` }));
                } catch {
                  // The mux had ended: nothing to check for this source.
                }
              });
            }
          });
          const removed = new Map<number, RemovedSource & { at: number; pending: 'flush' | 'drop' }>();
          all.forEach((sp, k) => {
            const r = sp.remove;
            if (r && r.at > sp.addAt)
              at(clock, r.at, async () => {
                const id = ids[k];
                if (id === undefined) return;
                try {
                  removed.set(k, { ...(await mux.remove(id, { pending: r.pending })), at: r.at * MS, pending: r.pending });
                } catch {
                  // Not running any more: it was never removed.
                }
              });
          });
          const log = await runMarbles(pipe(mux, marbleSink()), { clock });
          const done = new Map(removed);
          const states = mux.sources();
          expect(log.outcome).toBe('eos');
          const seen = new Map<number, { pts: number; time: number }[]>();
          let previous = 0;
          for (const w of sinkOf(log).writes) {
            const slots = batchOf(w.packet);
            expect(slots.length).toBeGreaterThan(0);
            expect(slots.length).toBeLessThanOrEqual(batchSize);
            for (const id of new Set(slots.map((x) => x.source))) expect(slots.filter((x) => x.source === id).length).toBeLessThanOrEqual(maxSame);
            const start = Math.max(Math.min(...slots.map((x) => x.packet.pts!)), previous);
            expect(w.time).toBeLessThanOrEqual(start + timeoutMs * MS);
            previous = w.time;
            for (const x of slots) seen.set(x.source, [...(seen.get(x.source) ?? []), { pts: x.packet.pts!, time: w.time }]);
          }
          let drops = 0;
          all.forEach((_, k) => {
            const id = ids[k];
            const got = id === undefined ? [] : seen.get(id) ?? [];
            // In order, none twice, none made up: a prefix of what it played.
            expect(got.map((x) => x.pts)).toEqual(want[k].slice(0, got.length));
            if (id === undefined) return;
            // Every frame taken from it went out or was dropped, counted.
            expect(states[id].frames).toBe(got.length + states[id].dropped);
            const r = done.get(k);
            if (!r) {
              expect(got.length).toBe(want[k].length); // never held by the others' comings and goings
              expect(states[id].dropped).toBe(0);
              return;
            }
            drops += r.dropped;
            expect(r.dropped).toBe(states[id].dropped);
            const after = got.filter((x) => x.time >= r.at).length;
            if (r.pending === 'flush') expect([r.dropped, after]).toEqual([0, r.flushed]);
            else expect([r.flushed, after]).toEqual([0, 0]);
          });
          expect(log.stats?.drops).toBe(drops);
        }
      ),
      { numRuns: 80 }
    );
  });
});

describe('batchSplit: branches for sources added and removed at run time', () => {
  it('branches negotiate on their own: a branch that takes only video gets the frames of video sources', async () => {
    const video = { caps: 'video/x-raw, format=(string)I420, width=(int)2, height=(int)2' };
    const log = await runMarbles(
      pipe(
        streamMux([marbleSource('a-b|', {}, video), marbleSource('x-y|', {}, video)], { batchSize: 2 }),
        batchSplit({
          branches: [pipe(capsFilter('video/x-raw'), marbleSink({ name: 'left' })), pipe(capsFilter('video/x-raw'), marbleSink({ name: 'right' }))],
        })
      )
    );
    expect(log.outcome).toBe('eos');
    expect(sinkOf(log, 'left').writes.map((w) => labelOf(w.packet))).toEqual(['a', 'b']);
    expect(sinkOf(log, 'right').writes.map((w) => labelOf(w.packet))).toEqual(['x', 'y']);
  });

  it('a source added to the mux gets its branch from add; remove ends that branch while the others go on', async () => {
    const clock = new VirtualClock();
    const mux = streamMux([marbleSource('a-b-c-d-e|')], { batchSize: 2, batchedPushTimeout: MS });
    const split = batchSplit({ branches: [marbleSink({ name: 'first' })] });
    const late = recorder();
    at(clock, 2, () => split.add(mux.add(marbleSource('--x-y-z-w|')), late.sink));
    // The camera goes away at 5: its mux source (flushing what it gave) and its branch.
    at(clock, 5, async () => {
      await mux.remove(1);
      await split.remove(1);
    });
    const log = await runMarbles(pipe(mux, split), { clock });
    expect(log.outcome).toBe('eos');
    expect(sinkOf(log, 'first').writes.map((w) => labelOf(w.packet))).toEqual(['a', 'b', 'c', 'd', 'e']);
    // x (2) and y (4) went out with b and c; the branch ended once they were in, before the others' end.
    expect(late.writes).toEqual(['x@2', 'y@4']);
    expect(late.end).toEqual([5]);
    expect(log.stats?.drops).toBe(0);
  });

  it('a branch cannot be added twice for one source, nor for an unknown one removed', async () => {
    const clock = new VirtualClock();
    const split = batchSplit({ branches: [marbleSink()] });
    const errors: string[] = [];
    at(clock, 1, async () => {
      for (const f of [() => split.add(0, marbleSink()), () => split.remove(3)]) {
        try {
          await f();
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
    });
    await runMarbles(pipe(streamMux([marbleSource('a-b|')]), split), { clock });
    expect(errors).toEqual([expect.stringMatching(/source 0 has a branch already/), expect.stringMatching(/source 3 has no branch/)]);
  });
});
