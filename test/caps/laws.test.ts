/** Algebraic laws of the caps algebra, checked on random caps (see arbitraries.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Caps, fraction, fractionRange, intRange, structure } from '../../src/caps';
import { capsArb, concreteCapsArb, pairArb, splitStructure, structureArb } from './arbitraries';

const RUNS = { numRuns: 600 };

/** Same set, different object: defeats the reference-equality shortcuts. */
const copy = (c: Caps): Caps => Caps.parse(c.toString());

const eq = (a: Caps, b: Caps): boolean => a.equals(b);

describe('intersection', () => {
  it('is commutative (as sets)', () => {
    fc.assert(fc.property(pairArb, ([a, b]) => eq(a.intersect(b), b.intersect(a))), RUNS);
  });

  it('is associative', () => {
    fc.assert(
      fc.property(capsArb, capsArb, capsArb, (a, b, c) =>
        eq(a.intersect(b).intersect(c), a.intersect(b.intersect(c))),
      ),
      RUNS,
    );
  });

  it('is idempotent', () => {
    fc.assert(fc.property(capsArb, (a) => eq(a.intersect(copy(a)), a) && eq(a.intersect(a), a)), RUNS);
  });

  it('is contained in both operands', () => {
    fc.assert(
      fc.property(capsArb, capsArb, (a, b) => {
        const x = a.intersect(b);
        return x.isSubset(a) && x.isSubset(b);
      }),
      RUNS,
    );
  });
});

describe('subset', () => {
  it('a ⊆ b ⇔ a ∩ b = a', () => {
    fc.assert(fc.property(pairArb, ([a, b]) => a.isSubset(b) === eq(a.intersect(b), a)), RUNS);
  });

  it('a ⊆ b ⇔ a ∪ b = b', () => {
    fc.assert(fc.property(pairArb, ([a, b]) => a.isSubset(b) === eq(a.union(b), b)), RUNS);
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(capsArb, capsArb, capsArb, (a, b, c) => {
        const ab = a.intersect(b); // ab ⊆ a always; make a chain ab ⊆ a ⊆ a ∪ c
        return ab.isSubset(a.union(c));
      }),
      RUNS,
    );
  });

  it('holds for a structure split into several structures (joint coverage)', () => {
    // Each structure s becomes s' ∪ s'' along one field; the union must equal s.
    let joint = 0;
    fc.assert(
      fc.property(concreteCapsArb, fc.nat(), (c, seed) => {
        const split = c.structures.flatMap((s) => splitStructure(s, seed));
        const parts = Caps.of(...split);
        if (!c.structures.every((s) => parts.structures.some((t) => s.isSubset(t)))) joint++;
        return eq(parts, c) && parts.isSubset(c) && c.isSubset(parts);
      }),
      RUNS,
    );
    // Most cases must really need several structures to cover one.
    expect(joint).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it('detects a gap left by a split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 2, max: 20 }), (lo, len) => {
        const hi = lo + len;
        const mid = lo + Math.floor(len / 2);
        const whole = Caps.of(structure('v/x', { w: intRange(lo, hi), h: intRange(0, 9) }));
        const parts = Caps.of(
          structure('v/x', { w: intRange(lo, mid - 1) }),
          structure('v/x', { w: intRange(mid + 1, hi), h: intRange(0, 9) }),
        );
        const fracWhole = Caps.of(structure('v/x', { f: fractionRange(fraction(lo, 1), fraction(hi, 1)) }));
        const fracParts = Caps.of(
          structure('v/x', { f: fractionRange(fraction(lo, 1), fraction(2 * mid - 1, 2)) }),
          structure('v/x', { f: fractionRange(fraction(2 * mid + 1, 2), fraction(hi, 1)) }),
        );
        return (
          !whole.isSubset(parts) &&
          !parts.isSubset(whole) && // parts' first structure leaves h unconstrained
          whole.isSubset(parts.union(Caps.of(structure('v/x', { w: mid })))) &&
          !fracWhole.isSubset(fracParts) &&
          fracParts.isSubset(fracWhole)
        );
      }),
      RUNS,
    );
  });
});

describe('union', () => {
  it('contains both operands and is commutative', () => {
    fc.assert(
      fc.property(capsArb, capsArb, (a, b) => {
        const u = a.union(b);
        return a.isSubset(u) && b.isSubset(u) && eq(u, b.union(a));
      }),
      RUNS,
    );
  });

  it('absorbs: a ∪ (a ∩ b) = a and a ∩ (a ∪ b) = a', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => eq(a.union(a.intersect(b)), a) && eq(a.intersect(a.union(b)), a)),
      RUNS,
    );
  });

  it('distributes intersection over union', () => {
    fc.assert(
      fc.property(capsArb, capsArb, capsArb, (a, b, c) =>
        eq(a.intersect(b.union(c)), a.intersect(b).union(a.intersect(c))),
      ),
      RUNS,
    );
  });
});

describe('ANY and EMPTY', () => {
  const ANY = Caps.any();
  const EMPTY = Caps.empty();
  it('are the identities and absorbing elements', () => {
    fc.assert(
      fc.property(capsArb, (a) => {
        return (
          eq(a.intersect(ANY), a) &&
          eq(ANY.intersect(a), a) &&
          a.intersect(EMPTY).isEmpty() &&
          EMPTY.intersect(a).isEmpty() &&
          eq(a.union(EMPTY), a) &&
          eq(EMPTY.union(a), a) &&
          a.union(ANY).isAny &&
          a.isSubset(ANY) &&
          EMPTY.isSubset(a) &&
          ANY.isSubset(a) === a.isAny &&
          a.isSubset(EMPTY) === a.isEmpty() &&
          eq(a, ANY) === a.isAny &&
          eq(a, EMPTY) === a.isEmpty()
        );
      }),
      RUNS,
    );
  });
});

describe('fixate', () => {
  it('yields fixed caps inside the original', () => {
    fc.assert(
      fc.property(concreteCapsArb, (a) => {
        const f = a.fixate();
        return f.isFixed() && f.isSubset(a) && !f.isEmpty() && eq(f.fixate(), f) && f.structures[0].name === a.mediaType;
      }),
      RUNS,
    );
  });

  it('is refused for ANY and EMPTY', () => {
    expect(() => Caps.any().fixate()).toThrow(/ANY/);
    expect(() => Caps.empty().fixate()).toThrow(/EMPTY/);
  });
});

describe('printing', () => {
  it('parse(print(c)) equals c and prints identically', () => {
    fc.assert(
      fc.property(capsArb, (a) => {
        const s = a.toString();
        const b = Caps.parse(s);
        return b.toString() === s && eq(a, b) && b.structures.length === a.structures.length;
      }),
      RUNS,
    );
  });

  it('equal prints imply equal caps, and equals is symmetric', () => {
    fc.assert(
      fc.property(capsArb, capsArb, (a, b) => a.equals(b) === b.equals(a) && (a.toString() !== b.toString() || a.equals(b))),
      RUNS,
    );
  });
});

describe('generators are not trivial', () => {
  it('produce subset, disjoint and overlapping pairs', () => {
    const pairs = fc.sample(pairArb, { numRuns: 3000, seed: 42 });
    let subset = 0;
    let joint = 0;
    let disjoint = 0;
    let overlap = 0;
    for (const [a, b] of pairs) {
      if (a.isSubset(b)) {
        subset++;
        if (!a.structures.every((s) => b.structures.some((t) => s.isSubset(t)))) joint++;
      }
      if (a.intersect(b).isEmpty()) disjoint++;
      else overlap++;
    }
    // Both answers of isSubset are exercised, including joint coverage.
    expect(subset).toBeGreaterThan(900);
    expect(pairs.length - subset).toBeGreaterThan(900);
    expect(joint).toBeGreaterThan(100);
    expect(disjoint).toBeGreaterThan(300);
    expect(overlap).toBeGreaterThan(300);
  });
});

// A structure-level smoke check that the arbitraries emit every value kind.
describe('structure arbitrary', () => {
  it('covers lists, ranges, fractions, features and missing fields', () => {
    const seen = new Set<string>();
    for (const s of fc.sample(structureArb, { numRuns: 500, seed: 7 })) {
      if (s.features.length) seen.add('features');
      if (Object.keys(s.fields).length < 6) seen.add('missing');
      for (const v of Object.values(s.fields)) seen.add(typeof v === 'object' ? v.kind : typeof v);
    }
    expect([...seen].sort()).toEqual(
      ['boolean', 'features', 'fraction', 'fractionRange', 'intRange', 'list', 'missing', 'number', 'string'].sort(),
    );
  });
});
