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
