/**
 * Caps: a set of formats, expressed as ANY or as a union of structures (EMPTY
 * when there are none). All operations are set operations, as in GStreamer.
 */
import { G2gError } from '../errors';
import { memoryOf, MEMORY_SYSTEM } from './features';
import { parseCaps, RESERVED_NAMES } from './parse';
import { printValue } from './print';
import { Structure, structure } from './structure';
import { isCovered } from './subtract';
import type { FieldValue } from './value';
import { intersectValues } from './valueset';

/**
 * Drops every structure contained in another one (keeping the first of equal
 * ones), preserving order: order is preference order for fixation.
 */
function simplify(list: readonly Structure[]): Structure[] {
  return list.filter((s, i) => !list.some((t, j) => j !== i && s.isSubset(t) && (j < i || !t.isSubset(s))));
}

export class Caps {
  static readonly #ANY = new Caps(true, []);
  static readonly #EMPTY = new Caps(false, []);

  readonly isAny: boolean;
  /** Union members in preference order; empty for ANY and EMPTY. */
  readonly structures: readonly Structure[];
  #string: string | undefined;

  private constructor(isAny: boolean, structures: readonly Structure[]) {
    this.isAny = isAny;
    this.structures = Object.freeze(structures);
  }

  static any(): Caps {
    return Caps.#ANY;
  }

  static empty(): Caps {
    return Caps.#EMPTY;
  }

  /** Throws CapsParseError (with `position`) on malformed input. */
  static parse(s: string): Caps {
    const r = parseCaps(s);
    return r === 'ANY' ? Caps.#ANY : Caps.of(...r);
  }

  /** Kept as given (no simplification), so printing round-trips. */
  static of(...structures: Structure[]): Caps {
    for (const s of structures) {
      if (!(s instanceof Structure)) throw new TypeError('Caps.of expects Structure instances');
      // It would print as ANY (or EMPTY) and parse back as those caps.
      if (RESERVED_NAMES.has(s.name)) throw new G2gError('CAPS_NAME', `'${s.name}' is not a media type; for ${s.name} caps use Caps.parse('${s.name}')`);
    }
    return structures.length === 0 ? Caps.#EMPTY : new Caps(false, structures);
  }

  /** Pairwise structure intersections, in this caps' preference order. */
  intersect(other: Caps): Caps {
    if (this === other || other.isAny) return this;
    if (this.isAny) return other;
    const out: Structure[] = [];
    for (const a of this.structures) {
      for (const b of other.structures) {
        const s = a.intersect(b);
        if (s) out.push(s);
      }
    }
    return out.length === 0 ? Caps.#EMPTY : new Caps(false, simplify(out));
  }

  /** Simplified by dropping structures contained in another; ranges are not merged. */
  union(other: Caps): Caps {
    if (this.isAny || other.isAny) return Caps.#ANY;
    if (other.isEmpty() || this === other) return this;
    if (this.isEmpty()) return other;
    return new Caps(false, simplify([...this.structures, ...other.structures]));
  }

  /** this ⊆ other, exactly (see subtract.ts). */
  isSubset(other: Caps): boolean {
    if (this === other || other.isAny) return true;
    if (this.isAny) return false;
    // Cheap common case first: each structure inside a single one of `other`.
    if (this.structures.every((s) => other.structures.some((t) => s.isSubset(t)))) return true;
    return isCovered(this.structures, other.structures);
  }

  isEmpty(): boolean {
    return !this.isAny && this.structures.length === 0;
  }

  isFixed(): boolean {
    return !this.isAny && this.structures.length === 1 && this.structures[0].isFixed();
  }

  /** GStreamer's gst_caps_fixate: first structure; lists -> first item, ranges -> minimum. */
  fixate(): Caps {
    if (this.isAny || this.isEmpty()) throw new RangeError(`cannot fixate ${this.toString()} caps`);
    if (this.isFixed()) return this;
    return new Caps(false, [this.structures[0].fixate()]);
  }

  /** Set equality. Canonical printing makes equal strings a sufficient shortcut. */
  equals(other: Caps): boolean {
    if (this === other) return true;
    if (this.isAny || other.isAny) return this.isAny === other.isAny;
    return this.toString() === other.toString() || (this.isSubset(other) && other.isSubset(this));
  }

  toString(): string {
    return (this.#string ??= this.isAny ? 'ANY' : this.structures.length === 0 ? 'EMPTY' : this.structures.map(String).join('; '));
  }

  /** Meant for fixed caps: the first structure's value of `field`. */
  get(field: string): FieldValue | undefined {
    return this.structures[0]?.get(field);
  }

  get mediaType(): string | undefined {
    return this.structures[0]?.name;
  }

  /** Memory feature of the first structure; SystemMemory when none (or ANY/EMPTY). */
  get memory(): string {
    const s = this.structures[0];
    return s === undefined ? MEMORY_SYSTEM : memoryOf(s.features);
  }
}

/**
 * One-structure caps from parts: `caps('video/x-raw', { format: 'NV12' }, [MEMORY_WEBGPU])`. To read caps
 * written as a string (`'video/x-raw, format=NV12'`) use `Caps.parse`; given one, this says so.
 */
export function caps(name: string, fields?: Readonly<Record<string, FieldValue>>, features?: readonly string[]): Caps {
  if (/[\s,;=()]/.test(name))
    throw new G2gError('CAPS_NAME', `caps(): ${JSON.stringify(name)} is not a media type; to parse a caps string use Caps.parse(${JSON.stringify(name)})`);
  return Caps.of(structure(name, fields, features));
}

function describeFeatures(s: Structure): string {
  return s.features.length === 0 ? `memory:${MEMORY_SYSTEM}` : s.features.join(', ');
}

/**
 * Why `a ∩ b` is empty, one line per structure pair (for negotiation errors),
 * e.g. "video/x-raw: format: { NV12, I420 } vs RGBA; width: [ 1, 640 ] vs 1920".
 * Empty when they intersect.
 */
export function explainMismatch(a: Caps, b: Caps): string[] {
  if (a.isEmpty()) return ['left caps are EMPTY'];
  if (b.isEmpty()) return ['right caps are EMPTY'];
  if (!a.intersect(b).isEmpty()) return [];
  const lines: string[] = [];
  for (const x of a.structures) {
    for (const y of b.structures) {
      if (x.name !== y.name) {
        lines.push(`${x.name} vs ${y.name}`);
      } else if (!x.sameKind(y)) {
        lines.push(`${x.name}: features ${describeFeatures(x)} vs ${describeFeatures(y)}`);
      } else {
        const fields = Object.keys(x.fields)
          .filter((k) => y.fields[k] !== undefined && intersectValues(x.fields[k], y.fields[k]) === null)
          .map((k) => `${k}: ${printValue(x.fields[k])} vs ${printValue(y.fields[k])}`);
        lines.push(`${x.name}: ${fields.join('; ')}`);
      }
    }
  }
  return lines;
}
