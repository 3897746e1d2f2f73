import { Caps } from '../caps/caps';
import type { Fraction } from '../caps/value';
import { parseArgb } from '../video/color';
import { parseFramerate } from '../video/format';
import { formatDuration, parseDuration, DURATION_UNITS, type DurationUnit } from './duration';
import { nearMatches } from './near-matches';

export type PropertyType = 'int' | 'uint' | 'double' | 'boolean' | 'string' | 'enum' | 'duration' | 'caps' | 'fraction' | 'doubles' | 'color';

/** Whether a property must be given, has a default, or may stay unset (the element then decides, e.g. by profile). */
export type Presence = 'required' | 'default' | 'optional';

/** A property's contract as data: what `g2g inspect --json` prints and what tools generate values from. */
export interface PropertyInfo {
  /** Launch-syntax name (kebab-case). */
  readonly name: string;
  /** TypeScript option name (camelCase). */
  readonly option: string;
  readonly type: PropertyType;
  readonly doc: string;
  readonly required: boolean;
  /** The default as launch syntax writes it; absent when there is none. */
  readonly default?: string;
  /** What an unset value means when there is no fixed default ("the profile's: live 2, throughput 200"). */
  readonly defaultDoc?: string;
  /** What values are accepted, in words. */
  readonly accepts: string;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  /** Durations: the unit of a bare number. */
  readonly unit?: DurationUnit;
  /** doubles: how many. */
  readonly length?: number;
  /** doubles: every one > 0. */
  readonly positive?: boolean;
  /** Strings: a regular expression every value matches. */
  readonly pattern?: string;
  /** Never printed (passwords). */
  readonly secret?: boolean;
}

/**
 * One property of an element: its type, range, default and documentation, declared once (GStreamer's
 * ParamSpec). `T` is the value the element receives, `In` what the TypeScript API accepts, `P` its presence.
 */
export class Property<T, In = T, P extends Presence = Presence> {
  declare readonly __presence?: P;
  declare readonly __input?: (x: In) => void;
  /** Undefined when there is none (the element decides; `defaultDoc` says how). */
  readonly default: T | undefined;

  constructor(
    readonly type: PropertyType,
    readonly doc: string,
    defaultValue: T | undefined,
    readonly required: boolean,
    private readonly impl: {
      readonly accepts: string;
      /** Launch text → a value for `check`; throws RangeError. */
      readonly parse: (text: string) => In;
      /** A TypeScript value → the checked, normalised value; throws RangeError. */
      readonly check: (value: In) => T;
      readonly format: (value: T) => string;
      readonly equals?: (a: T, b: T) => boolean;
      readonly info?: Partial<PropertyInfo>;
      /** Strings: what may be shown of a value (printing, errors). */
      readonly redact?: (s: string) => string;
    },
    readonly defaultDoc?: string,
    readonly secret = false
  ) {
    this.default = defaultValue;
  }

  get accepts(): string {
    return this.impl.accepts;
  }

  parse(text: string): T {
    return this.impl.check(this.impl.parse(text));
  }

  check(value: In): T {
    return this.impl.check(value);
  }

  format(value: T): string {
    return this.impl.format(value);
  }

  /** Any value (even an invalid one) as errors and stamped settings show it: a secret never, a redacting string without its secret part. */
  display(value: unknown): string {
    if (this.secret) return '(hidden)';
    if (typeof value === 'string') return this.impl.redact ? this.impl.redact(value) : value;
    if (Array.isArray(value)) return value.join(',');
    if (value && typeof value === 'object' && 'num' in value && 'den' in value) return `${value.num}/${value.den}`;
    return String(value);
  }

  /** True when `display` hides or changes values (a secret, a URL with a password). */
  get hides(): boolean {
    return this.secret || this.impl.redact !== undefined;
  }

  equals(a: T, b: T): boolean {
    return this.impl.equals ? this.impl.equals(a, b) : Object.is(a, b);
  }

  /** Equal to the default (so not printed). */
  isDefault(value: T): boolean {
    return this.default !== undefined && this.equals(value, this.default);
  }

  info(name: string, option: string): PropertyInfo {
    return {
      name,
      option,
      type: this.type,
      doc: this.doc,
      required: this.required,
      ...(this.default !== undefined ? { default: this.format(this.default) } : {}),
      ...(this.defaultDoc !== undefined ? { defaultDoc: this.defaultDoc } : {}),
      accepts: this.accepts,
      ...(this.secret ? { secret: true } : {}),
      ...this.impl.info,
    };
  }
}

export type AnyProperty = Property<any, any, Presence>;

/** What every `prop` builder takes: the documentation, and a default or `required: true`. */
export interface PropertyOptions<T> {
  readonly doc: string;
  readonly default?: T;
  readonly required?: true;
  /** What leaving it unset means, when there is no fixed default. */
  readonly defaultDoc?: string;
}

type PresenceOf<O> = O extends { required: true } ? 'required' : O extends { default: unknown } ? 'default' : 'optional';

/** Numeric bounds, inclusive, of `prop.int`, `prop.uint`, `prop.double`, `prop.duration` and `prop.doubles`. */
export interface RangeOptions {
  readonly min?: number;
  readonly max?: number;
}

function rangeWords(what: string, r: RangeOptions, fmt: (n: number) => string = String): string {
  if (r.min !== undefined && r.max !== undefined) return `${what} in [${fmt(r.min)}, ${fmt(r.max)}]`;
  if (r.min !== undefined) return `${what} ≥ ${fmt(r.min)}`;
  if (r.max !== undefined) return `${what} ≤ ${fmt(r.max)}`;
  return what;
}

function checkRange(n: number, r: RangeOptions, accepts: string): number {
  if ((r.min !== undefined && n < r.min) || (r.max !== undefined && n > r.max)) throw new RangeError(`expected ${accepts}`);
  return n;
}

function make<T, In, O extends PropertyOptions<In>>(
  type: PropertyType,
  o: O,
  impl: ConstructorParameters<typeof Property<T, In>>[4],
  secret = false
): Property<T, In, PresenceOf<O>> {
  const p = new Property<T, In, PresenceOf<O>>(type, o.doc, undefined, o.required === true, impl, o.defaultDoc, secret);
  // The default goes through the same check as any value, so a bad default fails at declaration.
  if (o.default !== undefined) (p as { default: T | undefined }).default = impl.check(o.default as unknown as In);
  return p;
}

function integer(type: 'int' | 'uint', o: PropertyOptions<number> & RangeOptions & { readonly hex?: boolean }) {
  const r = { min: o.min ?? (type === 'uint' ? 0 : undefined), max: o.max };
  const accepts = rangeWords(type === 'uint' ? 'an unsigned integer' : 'an integer', r, o.hex ? hex : String);
  return make<number, number, typeof o>(type, o, {
    accepts,
    parse: (text) => {
      const t = text.trim();
      if (t.length > 32 || !/^(?:[+-]?\d+|0x[0-9a-f]+)$/i.test(t)) throw new RangeError(`expected ${accepts}`);
      return Number(t);
    },
    check: (n) => {
      if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new RangeError(`expected ${accepts}`);
      return checkRange(n + 0, r, accepts); // + 0: -0 is 0, so it prints and compares as 0
    },
    format: o.hex ? hex : String,
    info: { ...r, ...(o.hex ? { pattern: 'hex' } : {}) },
  });
}

// Negative numbers print in decimal: the parser reads hex only unsigned (as `Number` does).
const hex = (n: number) => (n < 0 ? String(n) : `0x${n.toString(16).padStart(8, '0')}`);

function int<const O extends PropertyOptions<number> & RangeOptions & { readonly hex?: boolean }>(o: O) {
  return integer('int', o) as Property<number, number, PresenceOf<O>>;
}

function uint<const O extends PropertyOptions<number> & RangeOptions & { readonly hex?: boolean }>(o: O) {
  return integer('uint', o) as Property<number, number, PresenceOf<O>>;
}

/**
 * How launch text writes a non-integer number (double, doubles, the number of a duration): decimal, with an
 * optional exponent, which is exactly what `String(n)` prints for a finite double (`0.1`, `1e+29`, `5e-324`).
 * One grammar, so what one prints every other reads, and no `0x`, `0b` or `Infinity` that `Number` would take.
 */
export const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A decimal number of launch text, NaN when it is not one (or is too long to be one anyone wrote). */
function decimal(text: string): number {
  const t = text.trim();
  return t.length <= 64 && DECIMAL_RE.test(t) ? Number(t) : NaN;
}

function double<const O extends PropertyOptions<number> & RangeOptions>(o: O) {
  const accepts = rangeWords('a number', o);
  return make<number, number, O>('double', o, {
    accepts,
    parse: (text) => {
      const n = decimal(text);
      if (Number.isNaN(n)) throw new RangeError(`expected ${accepts}`);
      return n;
    },
    check: (n) => {
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new RangeError(`expected ${accepts}`);
      return checkRange(n + 0, o, accepts);
    },
    // Shortest text that reads back to the same double (JS's own); DECIMAL_RE reads its exponent too.
    format: String,
    info: { min: o.min, max: o.max },
  });
}

function boolean<const O extends PropertyOptions<boolean>>(o: O) {
  const accepts = 'true, false, 1 or 0';
  return make<boolean, boolean, O>('boolean', o, {
    accepts,
    parse: (text) => {
      const v = text.trim().toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw new RangeError(`expected ${accepts}`);
    },
    check: (b) => {
      if (typeof b !== 'boolean') throw new RangeError(`expected ${accepts}`);
      return b;
    },
    format: String,
  });
}

function string<
  const O extends PropertyOptions<string> & {
    readonly pattern?: RegExp;
    readonly accepts?: string;
    readonly secret?: boolean;
    readonly redact?: (s: string) => string;
  }
>(o: O) {
  const accepts = o.accepts ?? (o.pattern ? `a string matching ${o.pattern.source}` : 'a string');
  return make<string, string, O>(
    'string',
    o,
    {
      accepts,
      parse: (text) => text,
      check: (s) => {
        if (typeof s !== 'string' || (o.pattern && !o.pattern.test(s))) throw new RangeError(`expected ${accepts}`);
        return s;
      },
      // A redacted value (a URL without its password) is what gets printed: still valid, never the secret.
      format: o.redact ?? ((s) => s),
      redact: o.redact,
      info: o.pattern ? { pattern: o.pattern.source } : {},
    },
    o.secret === true
  );
}

function enumOf<const V extends string, const O extends PropertyOptions<NoInfer<V>>>(values: readonly V[], o: O) {
  if (values.length === 0) throw new TypeError('an enum property needs values');
  const accepts = `one of ${values.join(', ')}`;
  return make<V, V, O>('enum', o, {
    accepts,
    parse: (text) => {
      if (values.includes(text as V)) return text as V;
      const near = text.length <= 64 ? nearMatches(text, values, 1) : [];
      throw new RangeError(`expected ${accepts}${near.length ? ` (did you mean ${near[0]}?)` : ''}`);
    },
    check: (v) => {
      if (!values.includes(v)) throw new RangeError(`expected ${accepts}`);
      return v;
    },
    format: (v) => v,
    info: { values },
  });
}

/** A duration in integer nanoseconds; launch syntax takes units (`200ms`, `1.5s`) or a bare number in `unit`. */
function duration<const O extends PropertyOptions<number> & RangeOptions & { readonly unit: DurationUnit }>(o: O) {
  const accepts = `${rangeWords('a duration', { min: o.min ?? 0, max: o.max }, formatDuration)} (200ms, 1.5s, 2000000ns; a bare number is ${o.unit})`;
  return make<number, number, O>('duration', o, {
    accepts,
    parse: (text) => parseDuration(text, o.unit),
    check: (n) => {
      // TypeScript callers compute durations (SECOND / 30): whole nanoseconds, as the timebase is.
      if (typeof n !== 'number' || !Number.isFinite(n) || !Number.isSafeInteger(Math.round(n))) throw new RangeError(`expected ${accepts}`);
      return checkRange(Math.round(n) + 0, { min: o.min ?? 0, max: o.max }, accepts);
    },
    format: formatDuration,
    info: { unit: o.unit, min: o.min ?? 0, max: o.max },
  });
}

function caps<const O extends PropertyOptions<Caps | string>>(o: O) {
  const accepts = 'caps, as video/x-raw, format=I420';
  return make<Caps, Caps | string, O>('caps', o, {
    accepts,
    parse: (text) => text,
    check: (c) => {
      if (c instanceof Caps) return c;
      if (typeof c !== 'string') throw new RangeError(`expected ${accepts}`);
      try {
        return Caps.parse(c);
      } catch (e) {
        throw new RangeError(e instanceof Error ? e.message : String(e));
      }
    },
    format: (c) => c.toString(),
    equals: (a, b) => a.equals(b),
  });
}

/** A rate such as 30/1 or 30000/1001; the TypeScript API also takes a number or a Fraction. */
function fraction<const O extends PropertyOptions<Fraction | string | number>>(o: O) {
  const accepts = 'a positive fraction N/D (30/1, 30000/1001)';
  const bad = (): never => {
    throw new RangeError(`expected ${accepts}`);
  };
  return make<Fraction, Fraction | string | number, O>('fraction', o, {
    accepts,
    parse: (text) => text,
    check: (v) => {
      // Two safe integers and a slash (33 characters at most) plus room for spaces; more is no rate.
      if (typeof v === 'string' && v.length > 64) bad();
      let f: Fraction;
      try {
        f = parseFramerate(v);
      } catch {
        return bad();
      }
      if (!(f.num > 0 && f.den > 0)) bad();
      return f;
    },
    format: (f) => `${f.num}/${f.den}`,
    equals: (a, b) => a.num === b.num && a.den === b.den,
  });
}

/** A colour as 0xAARRGGBB (the TypeScript API takes the number). */
function color<const O extends PropertyOptions<number>>(o: O) {
  const accepts = 'a colour as 0xAARRGGBB, #RRGGBB or an integer';
  return make<number, number, O>('color', o, {
    accepts,
    parse: (text) => {
      if (text.length > 32) throw new RangeError(`expected ${accepts}`);
      return parseArgb(text);
    },
    check: (n) => {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`expected ${accepts}`);
      return n + 0; // -0 is 0: it prints as 0x00000000, which reads back as 0
    },
    format: hex,
    info: { min: 0, max: 0xffffffff },
  });
}

/** A fixed number of doubles (`0.5,0.5,0.5`), as per-channel means. */
function doubles<const O extends PropertyOptions<readonly number[]> & RangeOptions & { readonly length: number; readonly positive?: boolean }>(o: O) {
  const each = o.positive ? ', each > 0' : o.min !== undefined || o.max !== undefined ? `, each ${rangeWords('', o).trim()}` : '';
  const accepts = `${o.length} comma-separated numbers${each}`;
  return make<readonly number[], readonly number[], O>('doubles', o, {
    accepts,
    parse: (text) => {
      if (text.length > 64 * o.length) throw new RangeError(`expected ${accepts}`);
      return text.split(',').map(decimal);
    },
    check: (a) => {
      if (!Array.isArray(a) || a.length !== o.length || !a.every((n) => typeof n === 'number' && Number.isFinite(n)))
        throw new RangeError(`expected ${accepts}`);
      for (const n of a) if (o.positive ? !(n > 0) : false) throw new RangeError(`expected ${accepts}`);
      for (const n of a) checkRange(n, o, accepts);
      return Object.freeze(a.map((n) => n + 0));
    },
    format: (a) => a.join(','),
    equals: (a, b) => a.length === b.length && a.every((n, i) => Object.is(n, b[i])),
    info: {
      length: o.length,
      min: o.min,
      max: o.max,
      ...(o.positive ? { positive: true } : {}),
    },
  });
}

/** Property builders: `prop.uint({ default: 4, doc: '…' })`. */
export const prop = {
  int,
  uint,
  double,
  boolean,
  string,
  enum: enumOf,
  duration,
  caps,
  fraction,
  doubles,
  color,
};
