import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JitterBuffer, MAX_DROPOUT, type JitterOutput } from '../../src/rtp/jitter-buffer';
import { MILLISECOND } from '../../src/time';

interface Arrival {
  seq: number;
  at: number;
  id: number;
}

interface Released {
  out: JitterOutput<Arrival>;
  at: number;
}

/** Event-driven run: arrivals in time order, outputs taken at arrivals and at the buffer's own deadlines. */
function simulate(arrivals: readonly Arrival[], latency: number): { released: Released[]; jb: JitterBuffer<Arrival> } {
  const jb = new JitterBuffer<Arrival>({ latency });
  const released: Released[] = [];
  let now = 0;
  const until = (t: number) => {
    for (;;) {
      const o = jb.nextOutput(now);
      if (o) {
        released.push({ out: o, at: now });
        continue;
      }
      const d = jb.pollTimeout();
      if (d === undefined || d > t) return;
      now = Math.max(now, d);
    }
  };
  const sorted = [...arrivals].sort((a, b) => a.at - b.at || a.id - b.id);
  for (const a of sorted) {
    until(a.at);
    now = a.at;
    jb.insert(a.seq, a, now);
    until(now);
  }
  until(Infinity);
  for (const o of jb.drain()) released.push({ out: o, at: now });
  return { released, jb };
}

const L = 50 * MILLISECOND;
const PERIOD = 2 * MILLISECOND;

describe('JitterBuffer (sans-IO)', () => {
  it('in-order packets leave at once: no latency without loss (after the first, held in case an earlier one comes)', () => {
    const arrivals = Array.from({ length: 50 }, (_, i) => ({ seq: i, at: i * PERIOD, id: i }));
    const { released, jb } = simulate(arrivals, L);
    expect(released.map((r) => [r.out.seq, r.at])).toEqual(arrivals.map((a) => [a.seq, Math.max(a.at, L)]));
    expect(jb.counters).toMatchObject({ received: 50, released: 50, lost: 0, late: 0, duplicates: 0, reordered: 0 });
  });

  it('property: any reordering within the latency window is undone, across the sequence wrap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.integer({ min: 0, max: L }), { minLength: 1, maxLength: 150 }),
        (start, delays) => {
          // Packet i leaves at i × period and is delayed by up to the latency: any permutation that creates.
          const arrivals = delays.map((d, i) => ({ seq: (start + i) & 0xffff, at: i * PERIOD + d, id: i }));
          const { released, jb } = simulate(arrivals, L);
          expect(released.map((r) => r.out.item.id)).toEqual(delays.map((_, i) => i));
          expect(released.every((r) => r.out.lost === 0)).toBe(true);
          expect(jb.counters).toMatchObject({ lost: 0, late: 0, duplicates: 0 });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: with loss, duplicates and reordering beyond the window, output is in order, every input is accounted for, none waits more than the latency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.record({ drop: fc.boolean(), dup: fc.nat(3), delay: fc.integer({ min: 0, max: 3 * L }) }), { minLength: 1, maxLength: 120 }),
        (start, plan) => {
          const arrivals: Arrival[] = [];
          let id = 0;
          plan.forEach((p, i) => {
            if (p.drop && i > 0) return;
            for (let k = 0; k <= (p.dup === 3 ? 1 : 0); k++) arrivals.push({ seq: (start + i) & 0xffff, at: i * PERIOD + p.delay + k * MILLISECOND, id: id++ });
          });
          const { released, jb } = simulate(arrivals, L);
          const c = jb.counters;
          // Strictly increasing extended order: nothing released twice or out of order.
          const idx = released.map((r) => (r.out.seq - start + 0x10000) & 0xffff);
          for (let k = 1; k < idx.length; k++) expect(idx[k]).toBeGreaterThan(idx[k - 1]);
          expect(c.received).toBe(arrivals.length);
          expect(c.released + c.late + c.duplicates).toBe(arrivals.length);
          // Lost = the sequence numbers between the first and the last released that never came out.
          expect(c.lost).toBe(idx[idx.length - 1] - idx[0] + 1 - released.length);
          expect(released.reduce((a, r) => a + r.out.lost, 0)).toBe(c.lost);
          for (const r of released) {
            expect(r.at).toBeLessThanOrEqual(r.out.item.at + L);
            if (r.out.lost > 0) expect(r.out.discont).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a missing packet is declared lost after the latency; arriving later it is dropped as late', () => {
    const jb = new JitterBuffer<string>({ latency: L });
    jb.insert(10, 'a', 0);
    expect(jb.nextOutput(0)).toBeUndefined();
    expect(jb.pollTimeout()).toBe(L);
    jb.insert(9, 'z', 1);
    expect(jb.nextOutput(L)!.item).toBe('z');
    expect(jb.nextOutput(L)!.item).toBe('a');
    jb.insert(12, 'c', 5 * MILLISECOND);
    jb.insert(13, 'd', 6 * MILLISECOND);
    expect(jb.nextOutput(6 * MILLISECOND)).toBeUndefined();
    expect(jb.pollTimeout()).toBe(55 * MILLISECOND);
    expect(jb.nextOutput(55 * MILLISECOND - 1)).toBeUndefined();
    expect(jb.nextOutput(55 * MILLISECOND - 1)).toBeUndefined();
    const c = jb.nextOutput(55 * MILLISECOND)!;
    expect(c).toMatchObject({ item: 'c', lost: 1, discont: true });
    expect(jb.nextOutput(55 * MILLISECOND)).toMatchObject({ item: 'd', lost: 0, discont: false });
    expect(jb.insert(11, 'b', 60 * MILLISECOND)).toBe('late');
    expect(jb.insert(13, 'd', 60 * MILLISECOND)).toBe('duplicate');
    expect(jb.insert(14, 'e', 60 * MILLISECOND)).toBe('queued');
    expect(jb.insert(14, 'e', 60 * MILLISECOND)).toBe('duplicate');
    expect(jb.counters).toMatchObject({ late: 1, duplicates: 2, lost: 1 });
  });

  it('a jump beyond MAX_DROPOUT is a restart only when the next packet follows it', () => {
    const jb = new JitterBuffer<number>({ latency: L });
    const out = () => {
      const r: number[] = [];
      for (let o; (o = jb.nextOutput(1e12)); ) r.push(o.item);
      return r;
    };
    jb.insert(100, 1, 0);
    jb.insert(101, 2, 0);
    expect(jb.nextOutput(L)).toMatchObject({ item: 1 });
    expect(jb.insert(100 + MAX_DROPOUT + 500, 99, 0)).toBe('probation');
    jb.insert(102, 3, 0);
    expect(out()).toEqual([2, 3]);
    expect(jb.insert(40000, 4, 0)).toBe('probation');
    expect(jb.insert(40001, 5, 0)).toBe('queued');
    const o = jb.nextOutput(0)!;
    expect(o).toMatchObject({ item: 4, discont: true });
    expect(out()).toEqual([5]);
    expect(jb.counters).toMatchObject({ resyncs: 1, late: 1 });
  });

  it('drain releases everything held, in order, gaps counted', () => {
    const jb = new JitterBuffer<number>({ latency: L });
    for (const s of [5, 8, 7, 10]) jb.insert(s, s, 0);
    expect(jb.drain().map((o) => [o.item, o.lost])).toEqual([
      [5, 0],
      [7, 1],
      [8, 0],
      [10, 1],
    ]);
    expect(jb.length).toBe(0);
  });

  it('validates its options', () => {
    expect(() => new JitterBuffer({ latency: -1 })).toThrow(RangeError);
    expect(() => new JitterBuffer({ latency: NaN })).toThrow(RangeError);
    expect(() => new JitterBuffer({ latency: 1, capacity: 70000 })).toThrow(/32768/);
  });
});
