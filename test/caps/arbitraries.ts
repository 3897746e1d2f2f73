/**
 * fast-check generators for caps. Domains are deliberately small so that
 * randomly drawn caps overlap, contain each other and cover each other jointly
 * (otherwise the laws would mostly be checked on disjoint caps).
 */
import fc from 'fast-check';
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

export const NAMES = ['video/x-raw', 'audio/x-raw'] as const;
export const FEATURES: readonly (readonly string[])[] = [
  [],
  ['memory:SystemMemory'], // same as [] after normalisation
  ['memory:CUDAMemory'],
  ['memory:CUDAMemory', 'meta:Overlay'],
  ['meta:Overlay', 'memory:CUDAMemory'], // same set, other order
];

const intItem: fc.Arbitrary<ListItem> = fc.oneof(
  fc.integer({ min: 0, max: 8 }),
  fc
    .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 3 }))
    .map(([a, b, step]) => intRange(Math.min(a, b), Math.max(a, b), step)),
);

/** Fractions on a 1/2 grid in [0, 3]. */
const frac: fc.Arbitrary<Fraction> = fc.integer({ min: 0, max: 6 }).map((n) => fraction(n, 2));
const fracItem: fc.Arbitrary<ListItem> = fc.oneof(
  frac,
  fc.tuple(frac, frac).map(([a, b]) => (a.num * b.den <= b.num * a.den ? fractionRange(a, b) : fractionRange(b, a))),
);

const strItem: fc.Arbitrary<ListItem> = fc.constantFrom('NV12', 'I420', 'RGBA', 'with space', 'q"uote');
const boolItem: fc.Arbitrary<ListItem> = fc.boolean();
const doubleItem: fc.Arbitrary<ListItem> = fc.constantFrom(0.5, 1.5, 2.5, 1e-7, 3);

function valueOf(item: fc.Arbitrary<ListItem>): fc.Arbitrary<FieldValue> {
  return fc.oneof(
    { arbitrary: item, weight: 2 },
    { arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }).map((xs) => list(...xs)), weight: 2 },
  );
}

/** Field name -> value arbitrary; `mixed` sometimes gives a field another type. */
export const FIELDS: Readonly<Record<string, fc.Arbitrary<FieldValue>>> = {
  width: valueOf(intItem),
  framerate: valueOf(fracItem),
  format: valueOf(strItem),
  interlaced: valueOf(boolItem),
  rate: valueOf(fc.oneof(doubleItem, intItem)),
  mixed: valueOf(fc.oneof(intItem, strItem, fracItem)),
};

export const structureArb: fc.Arbitrary<Structure> = fc
  .tuple(
    fc.constantFrom(...NAMES),
    fc.constantFrom(...FEATURES),
    fc.record(FIELDS, { requiredKeys: [] }),
  )
  .map(([name, features, fields]) => structure(name, fields as Record<string, FieldValue>, features));

export const capsArb: fc.Arbitrary<Caps> = fc.oneof(
  { arbitrary: fc.constant(Caps.any()), weight: 1 },
  { arbitrary: fc.constant(Caps.empty()), weight: 1 },
  { arbitrary: fc.array(structureArb, { minLength: 1, maxLength: 3 }).map((s) => Caps.of(...s)), weight: 10 },
);

/** Non-ANY, non-EMPTY caps. */
export const concreteCapsArb: fc.Arbitrary<Caps> = fc
  .array(structureArb, { minLength: 1, maxLength: 3 })
  .map((s) => Caps.of(...s));

/**
 * Rewrites `s` as several structures whose union is exactly `s`, by cutting one
 * field (chosen by `seed`): a list into two lists, an int range into residue
 * classes or two halves, a fraction range into two halves sharing the midpoint.
 * Scalar fields are left alone.
 */
export function splitStructure(s: Structure, seed: number): Structure[] {
  const keys = Object.keys(s.fields);
  if (keys.length === 0) return [s];
  const key = keys[seed % keys.length];
  const v = s.fields[key];
  const mk = (part: FieldValue): Structure => structure(s.name, { ...s.fields, [key]: part }, s.features);
  if (typeof v !== 'object') return [s];
  switch (v.kind) {
    case 'list': {
      const cut = 1 + (seed % (v.values.length - 1)); // canonical lists have >= 2 items
      return [mk(list(...v.values.slice(0, cut))), mk(list(...v.values.slice(cut)))];
    }
    case 'intRange': {
      if (v.step === 1) {
        // two progressions of step 2 with different residues
        return [v.min, v.min + 1].filter((m) => m <= v.max).map((m) => mk(intRange(m, v.max, 2)));
      }
      const mid = v.min + v.step * Math.floor((v.max - v.min) / v.step / 2);
      return [mk(intRange(v.min, mid, v.step)), mk(intRange(mid, v.max, v.step))];
    }
    case 'fractionRange': {
      const m = fraction(v.min.num * v.max.den + v.max.num * v.min.den, 2 * v.min.den * v.max.den);
      return [mk(fractionRange(v.min, m)), mk(fractionRange(m, v.max))];
    }
    case 'fraction':
      return [s];
  }
}

/**
 * Pairs related in the ways the laws care about: independent, a ⊆ b by
 * construction (also through joint coverage by split structures), and near
 * misses (a minus a little).
 */
export const pairArb: fc.Arbitrary<readonly [Caps, Caps]> = fc
  .tuple(capsArb, capsArb, capsArb, fc.nat(), fc.integer({ min: 0, max: 5 }))
  .map(([a, b, c, seed, how]) => {
    const split = (x: Caps): Caps => (x.isAny ? x : Caps.of(...x.structures.flatMap((s) => splitStructure(s, seed))));
    switch (how) {
      case 0:
        return [a, b] as const;
      case 1:
        return [a.intersect(b), b] as const;
      case 2:
        return [a, split(a).union(b)] as const;
      case 3:
        return [a.intersect(b), split(b).union(c)] as const;
      case 4:
        return [a, split(a.intersect(c)).union(b)] as const;
      default:
        return [split(a), a.intersect(b).union(c)] as const;
    }
  });
