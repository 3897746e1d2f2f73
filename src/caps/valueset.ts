/**
 * Exact set algebra over field values, used for intersection and subset tests.
 *
 * A value is viewed as a finite union of atoms (a list is the union of its
 * items). Subtraction can produce sets that no public value can express (a
 * fraction range with a hole needs open endpoints; "anything but X" for a field
 * a structure leaves unconstrained), so atoms carry open/closed endpoints and a
 * `VSet` may be a complement. None of this escapes the module boundary except
 * through `intersectValues` / `isValueSubset`, whose results are closed sets.
 */
import {
  compareFractions,
  normalizeValue,
  type FieldValue,
  type Fraction,
  type FractionRange,
  type IntRange,
  type ListItem,
} from './value';

/** Ints as BigInt so progressions with large steps/bounds stay exact. */
interface IntAtom {
  readonly t: 'i';
  readonly min: bigint;
  readonly max: bigint;
  /** 1 when min === max. */
  readonly step: bigint;
}

interface FracAtom {
  readonly t: 'f';
  readonly lo: Fraction;
  readonly hi: Fraction;
  readonly loOpen: boolean;
  readonly hiOpen: boolean;
}

export type Atom =
  | { readonly t: 's'; readonly v: string }
  | { readonly t: 'b'; readonly v: boolean }
  /** Numbers that are not safe integers (doubles). Disjoint from IntAtom. */
  | { readonly t: 'd'; readonly v: number }
  | IntAtom
  | FracAtom;

// ---- integer arithmetic progressions -------------------------------------

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
const floorDiv = (a: bigint, b: bigint): bigint => (a % b !== 0n && a < 0n ? a / b - 1n : a / b);
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);
const bmin = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);

function bgcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Inverse of a modulo m (a, m coprime); 0 when m === 1. */
function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

function ap(min: bigint, max: bigint, step: bigint): IntAtom | null {
  if (min > max) return null;
  if (step > 1n) max = min + ((max - min) / step) * step;
  return { t: 'i', min, max, step: min === max ? 1n : step };
}

/** Smallest element of `a` that is >= x (may exceed a.max). */
function firstAtLeast(a: IntAtom, x: bigint): bigint {
  return x > a.min ? a.min + ceilDiv(x - a.min, a.step) * a.step : a.min;
}

/** General steps via the Chinese remainder theorem: the result steps by lcm. */
function intersectAp(a: IntAtom, b: IntAtom): IntAtom | null {
  const lo = bmax(a.min, b.min);
  const hi = bmin(a.max, b.max);
  if (lo > hi) return null;
  if (a.step === 1n && b.step === 1n) return ap(lo, hi, 1n);
  const g = bgcd(a.step, b.step);
  const diff = b.min - a.min;
  if (mod(diff, g) !== 0n) return null;
  const m = b.step / g;
  const k = mod((diff / g) * modInverse(a.step / g, m), m);
  const lcm = a.step * m;
  const x0 = a.min + a.step * k; // satisfies both congruences
  return ap(x0 + ceilDiv(lo - x0, lcm) * lcm, hi, lcm);
}

/**
 * a \ b. Outside b's bounds a survives as is; inside them, the elements of a
 * that b removes form one residue class modulo lcm(steps), so the rest is the
 * other classes: fewer than min(lcm/a.step, |a ∩ b's bounds|) pieces. Many
 * pieces only when b's step dwarfs a's (e.g. [0, 1e9] minus step 100000).
 */
function subtractAp(a: IntAtom, b: IntAtom): IntAtom[] {
  const common = intersectAp(a, b);
  if (!common) return [a];
  const out: IntAtom[] = [];
  const push = (x: IntAtom | null): void => {
    if (x) out.push(x);
  };
  push(ap(a.min, bmin(a.max, b.min - 1n), a.step));
  push(ap(firstAtLeast(a, b.max + 1n), a.max, a.step));
  // Non-empty: it holds `common`.
  const mid = ap(firstAtLeast(a, b.min), bmin(a.max, b.max), a.step) as IntAtom;
  if (mid.min === mid.max) return out;
  const lcm = (a.step / bgcd(a.step, b.step)) * b.step;
  const classes = lcm / a.step;
  const count = (mid.max - mid.min) / a.step + 1n;
  const n = classes < count ? classes : count;
  for (let j = 0n; j < n; j++) {
    const e = mid.min + j * a.step;
    if (mod(e - common.min, lcm) !== 0n) push(ap(e, mid.max, lcm));
  }
  return out;
}

// ---- fraction intervals ---------------------------------------------------

function interval(lo: Fraction, loOpen: boolean, hi: Fraction, hiOpen: boolean): FracAtom | null {
  const c = compareFractions(lo, hi);
  if (c > 0 || (c === 0 && (loOpen || hiOpen))) return null;
  return { t: 'f', lo, hi, loOpen, hiOpen };
}

/** a ∩ (-inf, h) or (-inf, h] */
function capHi(a: FracAtom, h: Fraction, hOpen: boolean): FracAtom | null {
  const c = compareFractions(a.hi, h);
  if (c < 0) return a;
  return interval(a.lo, a.loOpen, h, c === 0 ? a.hiOpen || hOpen : hOpen);
}

/** a ∩ (l, +inf) or [l, +inf) */
function capLo(a: FracAtom, l: Fraction, lOpen: boolean): FracAtom | null {
  const c = compareFractions(a.lo, l);
  if (c > 0) return a;
  return interval(l, c === 0 ? a.loOpen || lOpen : lOpen, a.hi, a.hiOpen);
}

// ---- atoms -------------------------------------------------------------------

function intersectAtom(a: Atom, b: Atom): Atom | null {
  switch (a.t) {
    case 's':
    case 'b':
    case 'd':
      return a.t === b.t && a.v === b.v ? a : null;
    case 'i':
      return b.t === 'i' ? intersectAp(a, b) : null;
    case 'f': {
      if (b.t !== 'f') return null;
      const x = capLo(a, b.lo, b.loOpen);
      return x && capHi(x, b.hi, b.hiOpen);
    }
  }
}

function subtractAtom(a: Atom, b: Atom): Atom[] {
  switch (a.t) {
    case 's':
    case 'b':
    case 'd':
      return a.t === b.t && a.v === b.v ? [] : [a];
    case 'i':
      return b.t === 'i' ? subtractAp(a, b) : [a];
    case 'f': {
      if (b.t !== 'f') return [a];
      const out: Atom[] = [];
      const left = capHi(a, b.lo, !b.loOpen);
      const right = capLo(a, b.hi, !b.hiOpen);
      if (left) out.push(left);
      if (right) out.push(right);
      return out;
    }
  }
}

function itemAtom(v: ListItem): Atom {
  switch (typeof v) {
    case 'string':
      return { t: 's', v };
    case 'boolean':
      return { t: 'b', v };
    case 'number':
      return Number.isSafeInteger(v) ? { t: 'i', min: BigInt(v), max: BigInt(v), step: 1n } : { t: 'd', v };
  }
  switch (v.kind) {
    case 'fraction':
      return { t: 'f', lo: v, hi: v, loOpen: false, hiOpen: false };
    case 'intRange':
      return { t: 'i', min: BigInt(v.min), max: BigInt(v.max), step: BigInt(v.step) };
    case 'fractionRange':
      return { t: 'f', lo: v.min, hi: v.max, loOpen: false, hiOpen: false };
  }
}

export function toAtoms(v: FieldValue): Atom[] {
  return typeof v === 'object' && v.kind === 'list' ? v.values.map(itemAtom) : [itemAtom(v)];
}

/** Back to a canonical public value; only valid for closed atoms (results of intersection). */
function fromAtoms(atoms: readonly Atom[]): FieldValue | null {
  const items: ListItem[] = [];
  for (const a of atoms) {
    switch (a.t) {
      case 's':
      case 'b':
      case 'd':
        items.push(a.v);
        break;
      case 'i':
        if (Number.isSafeInteger(Number(a.step))) {
          items.push({ kind: 'intRange', min: Number(a.min), max: Number(a.max), step: Number(a.step) } as IntRange);
        } else {
          // A step beyond 2^53 inside safe bounds leaves at most 3 elements.
          for (let x = a.min; x <= a.max; x += a.step) items.push(Number(x));
        }
        break;
      case 'f':
        if (a.loOpen || a.hiOpen) throw new Error('internal: open interval cannot become a value');
        items.push({ kind: 'fractionRange', min: a.lo, max: a.hi } as FractionRange);
        break;
    }
  }
  if (items.length === 0) return null;
  return normalizeValue(items.length === 1 ? items[0] : { kind: 'list', values: items });
}

/**
 * Pairwise, in A's order (so list ∩ list keeps the first operand's preference).
 * Duplicates are left in: sets may be large inside subtraction, and public
 * values are deduplicated by normalizeValue.
 */
export function intersectAtoms(as: readonly Atom[], bs: readonly Atom[]): Atom[] {
  const out: Atom[] = [];
  for (const a of as) {
    for (const b of bs) {
      const x = intersectAtom(a, b);
      if (x) out.push(x);
    }
  }
  return out;
}

/** Int step of an atom; 0 for other kinds. */
const stepOf = (a: Atom): bigint => (a.t === 'i' ? a.step : 0n);

/** The largest int step among atoms: a cost hint for subtraction (see subtractAp). */
export function maxStep(atoms: readonly Atom[]): bigint {
  let m = 0n;
  for (const a of atoms) if (stepOf(a) > m) m = stepOf(a);
  return m;
}

export function subtractAtoms(as: readonly Atom[], bs: readonly Atom[]): Atom[] {
  let rest = as.slice();
  // Order does not change the result; dense subtrahends first keeps the minuend
  // small before sparse (large-step) ones fragment it.
  const ordered = bs.length > 1 ? [...bs].sort((x, y) => (stepOf(x) < stepOf(y) ? -1 : stepOf(x) > stepOf(y) ? 1 : 0)) : bs;
  for (const b of ordered) {
    if (rest.length === 0) break;
    rest = rest.flatMap((a) => subtractAtom(a, b));
  }
  return rest;
}

// ---- public-value entry points -------------------------------------------------

export function intersectValues(a: FieldValue, b: FieldValue): FieldValue | null {
  if (a === b) return a;
  if (typeof a !== 'object' && typeof b !== 'object') return a === b ? a : null;
  return fromAtoms(intersectAtoms(toAtoms(a), toAtoms(b)));
}

/** a ⊆ b for single atoms in O(1), without materialising a \ b. */
function atomWithin(a: Atom, b: Atom): boolean {
  switch (a.t) {
    case 's':
    case 'b':
    case 'd':
      return a.t === b.t && a.v === b.v;
    case 'i':
      return (
        b.t === 'i' &&
        a.min >= b.min &&
        a.max <= b.max &&
        mod(a.min - b.min, b.step) === 0n &&
        (a.min === a.max || a.step % b.step === 0n)
      );
    case 'f': {
      if (b.t !== 'f') return false;
      const lo = compareFractions(a.lo, b.lo);
      const hi = compareFractions(a.hi, b.hi);
      return (lo > 0 || (lo === 0 && (a.loOpen || !b.loOpen))) && (hi < 0 || (hi === 0 && (a.hiOpen || !b.hiOpen)));
    }
  }
}

export function isValueSubset(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' && typeof b !== 'object') return a === b;
  const as = toAtoms(a);
  const bs = toAtoms(b);
  // Usual case, and exact when b is a single atom: each atom inside one of b's.
  if (as.every((x) => bs.some((y) => atomWithin(x, y)))) return true;
  return bs.length > 1 && subtractAtoms(as, bs).length === 0;
}

// ---- possibly-complemented sets, for caps subtraction -------------------------

/** `neg: false` is the union of `atoms`; `neg: true` is its complement. */
export interface VSet {
  readonly neg: boolean;
  readonly atoms: readonly Atom[];
}

/** A field a structure does not constrain. */
export const UNIVERSE: VSet = { neg: true, atoms: [] };

export function vsIntersect(s: VSet, b: readonly Atom[]): VSet {
  return { neg: false, atoms: s.neg ? subtractAtoms(b, s.atoms) : intersectAtoms(s.atoms, b) };
}

export function vsSubtract(s: VSet, b: readonly Atom[]): VSet {
  return s.neg ? { neg: true, atoms: [...s.atoms, ...b] } : { neg: false, atoms: subtractAtoms(s.atoms, b) };
}

/** A complement of finitely many atoms is never empty: there are infinitely many strings. */
export function vsIsEmpty(s: VSet): boolean {
  return !s.neg && s.atoms.length === 0;
}
