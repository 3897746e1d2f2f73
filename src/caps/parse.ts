import { G2gError } from '../errors';
/**
 * Parser for GStreamer caps strings (gst_caps_from_string syntax):
 *   caps      := 'ANY' | 'EMPTY' | 'NONE' | '' | structure (';' structure)* [';']
 *   structure := name ['(' feature (',' feature)* ')'] (',' field)* [',']
 *   field     := name '=' value
 *   value     := ['(' type ')'] (scalar | '"' quoted '"' | '[' min ',' max [',' step] ']' | '{' value (',' value)* '}')
 * Untyped scalars are inferred like GStreamer: int, double, fraction, boolean, string.
 * Not supported (rejected with a CapsParseError): arrays `< >`, double ranges,
 * empty lists, `(ANY)` features, flag sets and other GLib types; ANY, EMPTY and
 * NONE as a structure's name (they stand alone). Linear in the input, which is
 * bounded: MAX_CAPS_LENGTH characters, MAX_NUMBER_DIGITS digits a number,
 * MAX_LIST_ITEMS items a list or feature set.
 */
import { NAME_RE } from './features';
import { Structure } from './structure';
import { compareFractions, fraction, fractionRange, intRange, type FieldValue, type Fraction, type ListItem, type ValueType } from './value';

export class CapsParseError extends G2gError {
  override readonly name = 'CapsParseError';
  constructor(
    readonly reason: string,
    /** 0-based offset into `input`. */
    readonly position: number,
    readonly input: string
  ) {
    super('CAPS_PARSE', `${reason} at position ${position} in caps ${shown(input, position)}`);
  }
}

/** Longest caps string parsed: far above any real one, and it bounds the work (and the message) for hostile input. */
export const MAX_CAPS_LENGTH = 64 * 1024;
/** Most digits in a number: a safe integer has 16, a double's shortest form 17; more is no number anyone means. */
export const MAX_NUMBER_DIGITS = 64;
/** Most items in one list (`{ a, b, … }`): list and feature normalisation compare items pairwise. */
export const MAX_LIST_ITEMS = 1024;

const WINDOW = 120;

/** The input as the message quotes it: a window around `position` when long, so a huge input makes no huge message. */
function shown(input: string, position: number): string {
  if (input.length <= WINDOW) return JSON.stringify(input);
  const start = Math.max(0, Math.min(position - WINDOW / 2, input.length - WINDOW));
  const end = Math.min(input.length, start + WINDOW);
  return `${start > 0 ? '…' : ''}${JSON.stringify(input.slice(start, end))}${end < input.length ? '…' : ''} (${input.length} characters)`;
}

const TYPE_ALIASES: Readonly<Record<string, ValueType>> = {
  int: 'int',
  i: 'int',
  double: 'double',
  d: 'double',
  float: 'double',
  f: 'double',
  string: 'string',
  str: 'string',
  s: 'string',
  boolean: 'boolean',
  bool: 'boolean',
  b: 'boolean',
  fraction: 'fraction',
  // GStreamer's channel-mask type (`channel-mask=(bitmask)0x0000000000000003` in `gst-launch -v`): an int here.
  bitmask: 'int',
};

const SIMPLE_CHAR_RE = /[A-Za-z0-9_+\-/:.]/;
const INT_RE = /^[+-]?(?:\d+|0[xX][0-9a-fA-F]+)$/;
// `\d+(?:\.\d*)?`, not `\d+\.?\d*`: the latter splits a digit run in n ways, so a long number followed by
// anything else (`999…9/1`, tried as a double before a fraction) backtracks quadratically.
const DOUBLE_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const FRACTION_RE = /^([+-]?\d+)\/([+-]?\d+)$/;
/** What `parseCaps` reads as a whole (`ANY`, `EMPTY`, `NONE`), never a structure's name. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['ANY', 'EMPTY', 'NONE']);
const TRUE_WORDS = ['true', 'yes', 't', '1'];
const FALSE_WORDS = ['false', 'no', 'f', '0'];

/** A scalar and how it was typed, so ranges can check their bounds' types. */
interface Scalar {
  readonly value: number | string | boolean | Fraction;
  readonly type: ValueType;
}

class Parser {
  private pos = 0;

  constructor(private readonly src: string) {}

  fail(reason: string, at = this.pos): never {
    throw new CapsParseError(reason, at, this.src);
  }

  private skipWs(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private expect(ch: string): void {
    this.skipWs();
    if (this.peek() !== ch) this.fail(`expected '${ch}'${this.found()}`);
    this.pos++;
  }

  private found(): string {
    const c = this.peek();
    return c === undefined ? ' but input ended' : ` but found '${c}'`;
  }

  /** Longest run of unquoted-string characters. */
  private simple(): string {
    const start = this.pos;
    while (this.pos < this.src.length && SIMPLE_CHAR_RE.test(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private name(what: string): string {
    this.skipWs();
    const start = this.pos;
    const n = this.simple();
    if (!NAME_RE.test(n)) this.fail(n === '' ? `expected ${what}${this.found()}` : `invalid ${what} '${n}'`, start);
    return n;
  }

  caps(): Structure[] {
    const out: Structure[] = [];
    for (;;) {
      out.push(this.structure());
      this.skipWs();
      if (this.pos >= this.src.length) return out;
      this.expect(';');
      this.skipWs();
      if (this.pos >= this.src.length) return out; // trailing ';'
    }
  }

  private structure(): Structure {
    const start = this.pos;
    const name = this.name('structure name');
    // `ANY` prints as itself: a structure of that name would print as ANY and read back as ANY caps.
    if (RESERVED_NAMES.has(name)) this.fail(`${name} caps stand alone: '${name}' cannot be a media type or be combined with one`, start);
    const features: string[] = [];
    this.skipWs();
    if (this.peek() === '(') {
      this.pos++;
      do {
        this.skipWs();
        const at = this.pos;
        const f = this.name('caps feature');
        if (f === 'ANY') this.fail('ANY caps features are not supported', at);
        if (features.length === MAX_LIST_ITEMS) this.fail(`more than ${MAX_LIST_ITEMS} caps features (the limit)`, at);
        features.push(f);
        this.skipWs();
      } while (this.peek() === ',' && ++this.pos);
      this.expect(')');
    }
    const fields: Record<string, FieldValue> = Object.create(null);
    for (;;) {
      this.skipWs();
      const c = this.peek();
      if (c === undefined || c === ';') break;
      if (c !== ',') this.fail(`expected ',' or ';'${this.found()}`);
      this.pos++;
      this.skipWs();
      if (this.pos >= this.src.length || this.peek() === ';') break; // trailing ','
      const at = this.pos;
      const key = this.name('field name');
      if (key in fields) this.fail(`duplicate field '${key}'`, at);
      this.expect('=');
      fields[key] = this.value(undefined, true);
    }
    try {
      return new Structure(name, fields, features);
    } catch (e) {
      return this.fail((e as Error).message, start);
    }
  }

  /** `(type)` prefix if any; an inner annotation overrides the outer one. */
  private typeAnnotation(outer: ValueType | undefined): ValueType | undefined {
    this.skipWs();
    if (this.peek() !== '(') return outer;
    this.pos++;
    this.skipWs();
    const at = this.pos;
    const t = this.simple();
    const type = Object.hasOwn(TYPE_ALIASES, t) ? TYPE_ALIASES[t] : undefined;
    if (type === undefined) this.fail(t === '' ? `expected type name${this.found()}` : `unknown type '${t}'`, at);
    this.expect(')');
    this.skipWs();
    return type;
  }

  private value(outer: ValueType | undefined, allowList: boolean): FieldValue {
    const type = this.typeAnnotation(outer);
    const at = this.pos;
    switch (this.peek()) {
      case '{': {
        if (!allowList) this.fail('nested lists are not supported');
        this.pos++;
        this.skipWs();
        if (this.peek() === '}') this.fail('empty lists are not supported');
        const items: ListItem[] = [];
        do {
          if (items.length === MAX_LIST_ITEMS) this.fail(`more than ${MAX_LIST_ITEMS} items in a list (the limit)`, at);
          items.push(this.value(type, false) as ListItem);
        } while (this.skipWsThen(',') && ++this.pos);
        this.expect('}');
        return { kind: 'list', values: items };
      }
      case '[':
        return this.range(type, at);
      case '<':
        return this.fail('arrays (< >) are not supported');
      default:
        return this.scalar(type).value;
    }
  }

  private skipWsThen(ch: string): boolean {
    this.skipWs();
    return this.peek() === ch;
  }

  private range(type: ValueType | undefined, at: number): FieldValue {
    this.pos++;
    const min = this.scalar(this.typeAnnotation(type));
    this.expect(',');
    const max = this.scalar(this.typeAnnotation(type));
    let step: Scalar | undefined;
    this.skipWs();
    if (this.peek() === ',') {
      this.pos++;
      step = this.scalar(this.typeAnnotation(type));
    }
    this.expect(']');
    if (min.type !== max.type) this.fail(`range bounds differ in type (${min.type} vs ${max.type})`, at);
    try {
      if (min.type === 'int') {
        if (step && step.type !== 'int') this.fail('int range step must be an int', at);
        return intRange(min.value as number, max.value as number, step ? (step.value as number) : 1);
      }
      if (min.type === 'fraction') {
        if (step) this.fail('fraction ranges take no step', at);
        const lo = min.value as Fraction;
        const hi = max.value as Fraction;
        return compareFractions(lo, hi) === 0 ? lo : fractionRange(lo, hi);
      }
    } catch (e) {
      if (e instanceof CapsParseError) throw e;
      this.fail((e as Error).message, at);
    }
    return this.fail(`${min.type} ranges are not supported`, at);
  }

  private scalar(type: ValueType | undefined): Scalar {
    this.skipWs();
    const at = this.pos;
    let token: string;
    let quoted = false;
    if (this.peek() === '"') {
      quoted = true;
      this.pos++;
      token = '';
      for (;;) {
        const c = this.src[this.pos++];
        if (c === undefined) this.fail('unterminated quoted string', at);
        if (c === '"') break;
        if (c === '\\') {
          const e = this.src[this.pos++];
          if (e === undefined) this.fail('unterminated quoted string', at);
          token += e;
        } else token += c;
      }
    } else {
      token = this.simple();
      if (token === '') this.fail(`expected a value${this.found()}`);
    }
    if (type !== 'string' && !(quoted && type === undefined) && longestDigitRun(token) > MAX_NUMBER_DIGITS)
      this.fail(`a number with more than ${MAX_NUMBER_DIGITS} digits (the limit)`, at);
    const v = convert(token, quoted && type === undefined ? 'string' : type);
    if (v === undefined) this.fail(`invalid ${type} value '${token}'`, at);
    return v;
  }
}

function longestDigitRun(token: string): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    run = c >= 48 && c <= 57 ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

function parseInt0(token: string): number | undefined {
  if (!INT_RE.test(token)) return undefined;
  const neg = token.startsWith('-');
  const body = token.replace(/^[+-]/, '');
  const n = /^0x/i.test(body) ? parseInt(body.slice(2), 16) : Number(body);
  const v = neg ? -n : n + 0;
  return Number.isSafeInteger(v) ? v + 0 : undefined;
}

function parseFraction(token: string): Fraction | undefined {
  const m = FRACTION_RE.exec(token);
  if (m) {
    const num = Number(m[1]);
    const den = Number(m[2]);
    return Number.isSafeInteger(num) && Number.isSafeInteger(den) && den !== 0 ? fraction(num, den) : undefined;
  }
  const n = parseInt0(token);
  return n === undefined ? undefined : fraction(n, 1);
}

function parseBoolean(token: string, words: { t: string[]; f: string[] }): boolean | undefined {
  const w = token.toLowerCase();
  return words.t.includes(w) ? true : words.f.includes(w) ? false : undefined;
}

const num = (value: number): Scalar => ({
  value,
  type: Number.isSafeInteger(value) ? 'int' : 'double',
});

function convert(token: string, type: ValueType | undefined): Scalar | undefined {
  switch (type) {
    case 'string':
      return { value: token, type };
    case 'int': {
      const v = parseInt0(token);
      return v === undefined ? undefined : { value: v, type };
    }
    case 'double': {
      const v = parseInt0(token) ?? (DOUBLE_RE.test(token) ? Number(token) : undefined);
      return v === undefined || !Number.isFinite(v) ? undefined : num(v + 0);
    }
    case 'fraction': {
      const v = parseFraction(token);
      return v === undefined ? undefined : { value: v, type };
    }
    case 'boolean': {
      const v = parseBoolean(token, { t: TRUE_WORDS, f: FALSE_WORDS });
      return v === undefined ? undefined : { value: v, type };
    }
    case undefined: {
      // GStreamer tries int, double, fraction, boolean, then string. Only the
      // unambiguous boolean words are inferred, so a bare `t` stays a string.
      return (
        convert(token, 'int') ??
        (DOUBLE_RE.test(token) ? convert(token, 'double') : undefined) ??
        (FRACTION_RE.test(token) ? convert(token, 'fraction') : undefined) ??
        (parseBoolean(token, { t: ['true', 'yes'], f: ['false', 'no'] }) !== undefined ? convert(token, 'boolean') : undefined) ?? {
          value: token,
          type: 'string',
        }
      );
    }
  }
}

/** 'ANY' or the structures (none = EMPTY). */
export function parseCaps(input: string): 'ANY' | Structure[] {
  if (input.length > MAX_CAPS_LENGTH) throw new CapsParseError(`caps longer than ${MAX_CAPS_LENGTH} characters (the limit)`, MAX_CAPS_LENGTH, input);
  const trimmed = input.trim();
  if (trimmed === 'ANY') return 'ANY';
  if (trimmed === '' || trimmed === 'EMPTY' || trimmed === 'NONE') return [];
  return new Parser(input).caps();
}
