/** One caps structure: media type name + features + constrained fields. */
import { featuresKey, memoryOf, NAME_RE, normalizeFeatures } from './features';
import { printStructure } from './print';
import { fixateValue, isFixedValue, normalizeValue, type FieldValue } from './value';
import { intersectValues, isValueSubset } from './valueset';

export class Structure {
  readonly name: string;
  /** Normalised (`memory:` prefixed, no `memory:SystemMemory`), in given order. */
  readonly features: readonly string[];
  /** Canonical values; a field that is absent is unconstrained. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** @internal Order-insensitive features identity. */
  readonly featuresKey: string;
  #string: string | undefined;

  constructor(name: string, fields: Readonly<Record<string, FieldValue>> = {}, features: readonly string[] = []) {
    if (!NAME_RE.test(name)) throw new RangeError(`invalid structure name: ${JSON.stringify(name)}`);
    // Null prototype: field names such as "constructor" must not hit Object.prototype.
    const own: Record<string, FieldValue> = Object.create(null);
    for (const key of Object.keys(fields)) {
      if (!NAME_RE.test(key)) throw new RangeError(`invalid field name: ${JSON.stringify(key)}`);
      own[key] = normalizeValue(fields[key]);
    }
    this.name = name;
    this.features = Object.freeze(normalizeFeatures(features));
    this.featuresKey = featuresKey(this.features);
    this.fields = Object.freeze(own);
  }

  /** Memory type from the features; `SystemMemory` when none. */
  get memory(): string {
    return memoryOf(this.features);
  }

  get(field: string): FieldValue | undefined {
    return this.fields[field];
  }

  isFixed(): boolean {
    return Object.values(this.fields).every(isFixedValue);
  }

  fixate(): Structure {
    if (this.isFixed()) return this;
    const fields: Record<string, FieldValue> = {};
    for (const key of Object.keys(this.fields)) fields[key] = fixateValue(this.fields[key]);
    return new Structure(this.name, fields, this.features);
  }

  /** Same media type and same feature set: the precondition for any overlap. */
  sameKind(other: Structure): boolean {
    return this.name === other.name && this.featuresKey === other.featuresKey;
  }

  /** null when disjoint. Fields of both are kept (absent = unconstrained). */
  intersect(other: Structure): Structure | null {
    if (this === other) return this;
    if (!this.sameKind(other)) return null;
    const fields: Record<string, FieldValue> = Object.assign(Object.create(null), this.fields);
    for (const key of Object.keys(other.fields)) {
      const b = other.fields[key];
      const a = fields[key];
      if (a === undefined) {
        fields[key] = b;
      } else {
        const x = intersectValues(a, b);
        if (x === null) return null;
        fields[key] = x;
      }
    }
    return new Structure(this.name, fields, this.features);
  }

  /** Exact: every field `other` constrains must be present here with a subset value. */
  isSubset(other: Structure): boolean {
    if (this === other) return true;
    if (!this.sameKind(other)) return false;
    for (const key of Object.keys(other.fields)) {
      const a = this.fields[key];
      if (a === undefined || !isValueSubset(a, other.fields[key])) return false;
    }
    return true;
  }

  toString(): string {
    return (this.#string ??= printStructure(this.name, this.features, this.fields));
  }
}

export function structure(
  name: string,
  fields?: Readonly<Record<string, FieldValue>>,
  features?: readonly string[],
): Structure {
  return new Structure(name, fields, features);
}
