/**
 * Field values of caps structures: immutable plain objects tagged by `kind`,
 * plus the scalar JS types. Every value stored in a Structure is canonical
 * (see `normalizeValue`), so structural equality and printing are stable.
 */

export interface Fraction {
  readonly kind: 'fraction';
  readonly num: number;
  /** Always > 0; num/den is reduced. */
  readonly den: number;
}

/** Integers min, min+step, ..., max (max is aligned onto that progression). */
export interface IntRange {
  readonly kind: 'intRange';
  readonly min: number;
  readonly max: number;
  readonly step: number;
}

/** Closed interval of fractions. */
export interface FractionRange {
  readonly kind: 'fractionRange';
  readonly min: Fraction;
  readonly max: Fraction;
}

/** Anything a list may hold: lists are flat (a list of lists is flattened). */
export type ListItem = number | string | boolean | Fraction | IntRange | FractionRange;

/** A set of alternatives; order is preference order (fixation picks the first). */
export interface ValueList {
  readonly kind: 'list';
  readonly values: readonly ListItem[];
}

/**
 * A number is an `int` when it is a safe integer and a `double` otherwise: JS has
 * one number type, so `(double)2.0` and `(int)2` denote the same value here.
 */
export type FieldValue = ListItem | ValueList;

/** Values with no alternatives left. */
export type FixedValue = number | string | boolean | Fraction;

export type ValueType = 'int' | 'double' | 'fraction' | 'string' | 'boolean';

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkSafeInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} must be a safe integer, got ${n}`);
}

export function fraction(num: number, den: number): Fraction {
  checkSafeInt(num, 'fraction numerator');
  checkSafeInt(den, 'fraction denominator');
  if (den === 0) throw new RangeError('fraction denominator must not be 0');
  const g = gcd(num, den) || 1;
  const sign = den < 0 ? -1 : 1;
  // `+ 0` turns -0 into 0 so equal fractions are structurally equal.
  return Object.freeze({ kind: 'fraction', num: (sign * num) / g + 0, den: (sign * den) / g });
}

/** Exact comparison; falls back to BigInt when cross products leave the safe range. */
export function compareFractions(a: Fraction, b: Fraction): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  if (Number.isSafeInteger(l) && Number.isSafeInteger(r)) return l < r ? -1 : l > r ? 1 : 0;
  const lb = BigInt(a.num) * BigInt(b.den);
  const rb = BigInt(b.num) * BigInt(a.den);
  return lb < rb ? -1 : lb > rb ? 1 : 0;
}

export function intRange(min: number, max: number, step = 1): IntRange {
  checkSafeInt(min, 'int range min');
  checkSafeInt(max, 'int range max');
  checkSafeInt(step, 'int range step');
  if (step < 1) throw new RangeError(`int range step must be >= 1, got ${step}`);
  if (min > max) throw new RangeError(`int range min ${min} > max ${max}`);
  // Align max onto the progression; BigInt because max - min may exceed 2^53.
  if (step > 1) max = Number(BigInt(min) + ((BigInt(max) - BigInt(min)) / BigInt(step)) * BigInt(step));
  if (min === max) step = 1;
  return Object.freeze({ kind: 'intRange', min: min + 0, max: max + 0, step });
}

export function fractionRange(min: Fraction, max: Fraction): FractionRange {
  const lo = fraction(min.num, min.den);
  const hi = fraction(max.num, max.den);
  if (compareFractions(lo, hi) > 0) {
    throw new RangeError(`fraction range min ${lo.num}/${lo.den} > max ${hi.num}/${hi.den}`);
  }
  return Object.freeze({ kind: 'fractionRange', min: lo, max: hi });
}

export function list(...values: FieldValue[]): ValueList {
  const flat: ListItem[] = [];
  for (const v of values) {
    if (isList(v)) flat.push(...v.values);
    else flat.push(v);
  }
  if (flat.length === 0) throw new RangeError('a value list needs at least one value');
  return Object.freeze({ kind: 'list', values: Object.freeze(flat) });
}

export function isList(v: FieldValue): v is ValueList {
  return typeof v === 'object' && v.kind === 'list';
}

export function isFraction(v: FieldValue): v is Fraction {
  return typeof v === 'object' && v.kind === 'fraction';
}

/**
 * Canonical form: validated, fractions reduced, -0 -> 0, degenerate ranges and
 * single-element lists collapsed to a plain value, duplicate list items removed.
 */
export function normalizeValue(v: FieldValue): FieldValue {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) throw new RangeError(`field values must be finite numbers, got ${v}`);
      return v + 0;
    case 'string':
    case 'boolean':
      return v;
    case 'object':
      if (v === null) break;
      switch (v.kind) {
        case 'fraction':
          return fraction(v.num, v.den);
        case 'intRange': {
          const r = intRange(v.min, v.max, v.step);
          return r.min === r.max ? r.min : r;
        }
        case 'fractionRange': {
          const r = fractionRange(v.min, v.max);
          return compareFractions(r.min, r.max) === 0 ? r.min : r;
        }
        case 'list': {
          const items: ListItem[] = [];
          const add = (raw: FieldValue): void => {
            const n = normalizeValue(raw);
            if (isList(n)) n.values.forEach(add);
            else if (!items.some((x) => valuesEqual(x, n))) items.push(n);
          };
          v.values.forEach(add);
          if (items.length === 0) throw new RangeError('a value list needs at least one value');
          return items.length === 1 ? items[0] : Object.freeze({ kind: 'list', values: Object.freeze(items) });
        }
      }
  }
  throw new TypeError(`unsupported field value: ${String(v)}`);
}

/** Structural equality of canonical values (list order matters). */
export function valuesEqual(a: FieldValue, b: FieldValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'fraction':
      return a.num === (b as Fraction).num && a.den === (b as Fraction).den;
    case 'intRange': {
      const r = b as IntRange;
      return a.min === r.min && a.max === r.max && a.step === r.step;
    }
    case 'fractionRange': {
      const r = b as FractionRange;
      return valuesEqual(a.min, r.min) && valuesEqual(a.max, r.max);
    }
    case 'list': {
      const l = b as ValueList;
      return a.values.length === l.values.length && a.values.every((x, i) => valuesEqual(x, l.values[i]));
    }
  }
}

export function isFixedValue(v: FieldValue): v is FixedValue {
  return typeof v !== 'object' || v.kind === 'fraction';
}

/** GStreamer's gst_value_fixate: lists take their first item, ranges their minimum. */
export function fixateValue(v: FieldValue): FixedValue {
  if (typeof v !== 'object') return v;
  switch (v.kind) {
    case 'fraction':
      return v;
    case 'intRange':
      return v.min;
    case 'fractionRange':
      return v.min;
    case 'list':
      return fixateValue(v.values[0]);
  }
}

/** The GStreamer type name of a value, or undefined for a list mixing types. */
export function valueType(v: FieldValue): ValueType | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isSafeInteger(v) ? 'int' : 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
  }
  switch (v.kind) {
    case 'intRange':
      return 'int';
    case 'fraction':
    case 'fractionRange':
      return 'fraction';
    case 'list': {
      const t = valueType(v.values[0]);
      return v.values.every((x) => valueType(x) === t) ? t : undefined;
    }
  }
}
