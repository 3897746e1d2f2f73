/**
 * Model-based check: caps over a finite universe of candidate points, with an
 * independent membership function. The candidates include a representative of
 * every region the generated atoms can distinguish (each grid value, a point
 * strictly between neighbouring fraction endpoints, an out-of-range value, a
 * value of another type, another name/feature set), so set equality on the
 * candidates is set equality, and isSubset can be checked exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Caps,
  fraction,
  fractionRange,
  intRange,
  list,
  structure,
  type FieldValue,
  type Fraction,
  type ListItem,
  type Structure,
} from '../../src/caps';
import { splitStructure } from './arbitraries';

type Point = number | string | boolean | Fraction;

const NAMES = ['video/x-raw', 'audio/x-raw', 'other/x'];
const FEATURE_SETS = [[], ['memory:CUDAMemory'], ['meta:Other']];
const GEN_NAMES = NAMES.slice(0, 2);
const GEN_FEATURES = FEATURE_SETS.slice(0, 2);

// Generated atoms: strings A, B; ints in [0, 4]; fractions on a 1/2 grid in [0, 3/2],
// whose midpoints (from splitStructure) lie on a 1/4 grid; booleans. Fraction
// candidates on a 1/8 grid thus include a point inside every gap.
const CANDIDATES: Record<string, Point[]> = {
  format: ['A', 'B', 'zz', 7],
  width: [-1, 0, 1, 2, 3, 4, 'x'],
  fr: [...Array.from({ length: 14 }, (_, k) => fraction(k, 8)), 'x'],
  flag: [true, false, 'x'],
};
const FIELD_NAMES = Object.keys(CANDIDATES);

const cmp = (a: Fraction, b: Fraction): number => a.num * b.den - b.num * a.den;

/** Independent of src/caps/valueset.ts on purpose. */
function itemContains(v: ListItem, x: Point): boolean {
  if (typeof v !== 'object') return v === x;
  if (typeof x !== 'object') {
    return v.kind === 'intRange' && typeof x === 'number' && x >= v.min && x <= v.max && (x - v.min) % v.step === 0;
  }
  switch (v.kind) {
    case 'fraction':
      return cmp(v, x) === 0;
    case 'fractionRange':
      return cmp(v.min, x) <= 0 && cmp(x, v.max) <= 0;
    case 'intRange':
      return false;
  }
}

const valueContains = (v: FieldValue, x: Point): boolean =>
  typeof v === 'object' && v.kind === 'list' ? v.values.some((i) => itemContains(i, x)) : itemContains(v, x);

const sameFeatures = (s: Structure, f: string[]): boolean =>
  s.features.length === f.length && f.every((x) => s.features.includes(x));

/** Membership bitmap over all candidate points. */
function members(c: Caps): Uint8Array {
  const sizes = FIELD_NAMES.map((k) => CANDIDATES[k].length);
  const perName = sizes.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(NAMES.length * FEATURE_SETS.length * perName);
  NAMES.forEach((name, ni) =>
    FEATURE_SETS.forEach((feats, fi) => {
      const base = (ni * FEATURE_SETS.length + fi) * perName;
      if (c.isAny) return out.fill(1, base, base + perName);
      for (const s of c.structures) {
        if (s.name !== name || !sameFeatures(s, feats)) continue;
        const allowed = FIELD_NAMES.map((k) =>
          CANDIDATES[k].map((x) => s.fields[k] === undefined || valueContains(s.fields[k], x)),
        );
        for (let p = 0; p < perName; p++) {
          let rest = p;
          let ok = true;
          for (let f = FIELD_NAMES.length - 1; f >= 0 && ok; f--) {
            ok = allowed[f][rest % sizes[f]];
            rest = Math.floor(rest / sizes[f]);
          }
          if (ok) out[base + p] = 1;
        }
      }
    }),
  );
  return out;
}

const setEq = (a: Uint8Array, b: Uint8Array): boolean => a.every((x, i) => x === b[i]);
const setSub = (a: Uint8Array, b: Uint8Array): boolean => a.every((x, i) => x <= b[i]);

const half = fc.integer({ min: 0, max: 3 }).map((n) => fraction(n, 2));
const items: Record<string, fc.Arbitrary<ListItem>> = {
  format: fc.constantFrom('A', 'B'),
  width: fc.oneof(
    fc.integer({ min: 0, max: 4 }),
    fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }))
      .map(([a, b, st]) => intRange(Math.min(a, b), Math.max(a, b), st)),
  ),
  fr: fc.oneof(
    half,
    fc.tuple(half, half).map(([a, b]) => (cmp(a, b) <= 0 ? fractionRange(a, b) : fractionRange(b, a))),
  ),
  flag: fc.boolean(),
};
const fieldArbs = Object.fromEntries(
  Object.entries(items).map(([k, item]) => [
    k,
    fc.oneof(item, fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => list(...xs))),
  ]),
) as Record<string, fc.Arbitrary<FieldValue>>;

const structArb = fc
  .tuple(fc.constantFrom(...GEN_NAMES), fc.constantFrom(...GEN_FEATURES), fc.record(fieldArbs, { requiredKeys: [] }))
  .map(([n, f, fields]) => structure(n, fields as Record<string, FieldValue>, f));
const modelCapsArb: fc.Arbitrary<Caps> = fc.oneof(
  { arbitrary: fc.constant(Caps.any()), weight: 1 },
  { arbitrary: fc.constant(Caps.empty()), weight: 1 },
  { arbitrary: fc.array(structArb, { minLength: 1, maxLength: 4 }).map((s) => Caps.of(...s)), weight: 12 },
);

describe('caps against a brute-force set model', () => {
  it('intersect, union, isSubset, equals and fixate agree with the model', () => {
    let subsets = 0;
    let strict = 0;
    fc.assert(
      fc.property(modelCapsArb, modelCapsArb, (a, b0) => {
        const b = b0.union(a.intersect(b0)); // keeps b a set, biases towards overlap
        const ma = members(a);
        const mb = members(b);
        expect(setEq(members(a.intersect(b)), ma.map((x, i) => x & mb[i]))).toBe(true);
        expect(setEq(members(a.union(b)), ma.map((x, i) => x | mb[i]))).toBe(true);
        expect(a.isSubset(b)).toBe(setSub(ma, mb));
        expect(b.isSubset(a)).toBe(setSub(mb, ma));
        expect(a.equals(b)).toBe(setEq(ma, mb));
        if (a.isSubset(b)) subsets++;
        if (a.isSubset(b) && !a.equals(b)) strict++;
        if (!a.isAny && !a.isEmpty()) {
          const mf = members(a.fixate());
          // One value per constrained field: one point times the free fields' candidates.
          const fixed = a.fixate().structures[0];
          const free = FIELD_NAMES.filter((k) => fixed.fields[k] === undefined);
          expect(mf.reduce((n, x) => n + x, 0)).toBe(free.reduce((n, k) => n * CANDIDATES[k].length, 1));
          expect(setSub(mf, ma)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    expect(subsets).toBeGreaterThan(50);
    expect(strict).toBeGreaterThan(10);
  });

  it('isSubset is exact when structures cover each other only jointly', () => {
    // a against its split form (a union equal to a) with one piece maybe dropped, plus noise c.
    let joint = 0;
    fc.assert(
      fc.property(modelCapsArb, modelCapsArb, fc.nat(), fc.nat(), fc.boolean(), (a, c, seed, drop, doDrop) => {
        const parts = a.structures.flatMap((s) => splitStructure(s, seed));
        if (doDrop && parts.length > 0) parts.splice(drop % parts.length, 1);
        const cover = a.isAny ? c : Caps.of(...parts).union(c);
        const ma = members(a);
        const mc = members(cover);
        expect(a.isSubset(cover)).toBe(setSub(ma, mc));
        expect(cover.isSubset(a)).toBe(setSub(mc, ma));
        if (a.isSubset(cover) && !a.structures.every((s) => cover.structures.some((t) => s.isSubset(t)))) joint++;
      }),
      { numRuns: 1000 },
    );
    expect(joint).toBeGreaterThan(100);
  });
});
