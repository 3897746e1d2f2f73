import { G2gError } from '../errors';
import type { Operator } from '../operator';
import type { ElementDescriptor, ElementLinks } from './descriptor';
import { nearMatches } from './near-matches';

/** A descriptor of any kind, properties, extras and operator: what a registry holds. */
export type AnyDescriptor = ElementDescriptor<any, any, any, any>;

/** Names the unknown element and the registered ones it most resembles. */
export class UnknownElementError extends G2gError {
  constructor(readonly element: string, readonly suggestions: readonly string[], known: readonly string[]) {
    super('UNKNOWN_ELEMENT', `no element '${element.length > 80 ? `${element.slice(0, 77)}…` : element}'${hint(suggestions, known, 'elements')}`);
  }
}

export class UnknownPropertyError extends G2gError {
  constructor(readonly element: string, readonly property: string, readonly suggestions: readonly string[], known: readonly string[]) {
    super(
      'UNKNOWN_PROPERTY',
      `${element} has no property '${property.length > 80 ? `${property.slice(0, 77)}…` : property}'${hint(suggestions, known, 'properties')}`
    );
  }
}

function hint(suggestions: readonly string[], known: readonly string[], what: string): string {
  if (suggestions.length) return `; did you mean ${suggestions.join(' or ')}?`;
  return known.length ? ` (${what}: ${known.join(', ')})` : '';
}

/**
 * Element descriptors by name, for launch syntax and `g2g inspect`. A registry holds exactly the list it
 * is made with (`new ElementRegistry([...builtinElements, ...nodeElements])`); nothing registers itself.
 */
export class ElementRegistry {
  private readonly entries = new Map<string, AnyDescriptor>();

  constructor(descriptors: Iterable<AnyDescriptor> = []) {
    for (const d of descriptors) {
      if (this.entries.has(d.name)) throw new TypeError(`element '${d.name}' is listed twice`);
      this.entries.set(d.name, d);
    }
  }

  /** A new registry with these descriptors added. */
  with(...descriptors: AnyDescriptor[]): ElementRegistry {
    return new ElementRegistry([...this.entries.values(), ...descriptors]);
  }

  get(name: string): AnyDescriptor | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every descriptor, by name. */
  list(): AnyDescriptor[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The descriptor for `name`, or an UnknownElementError listing near matches. */
  lookup(name: string): AnyDescriptor {
    const e = this.entries.get(name);
    if (e) return e;
    const names = this.list().map((x) => x.name);
    throw new UnknownElementError(name, nearMatches(name, names), names);
  }

  /** The option name of launch property `property` of `element`, or an UnknownPropertyError listing near matches. */
  property(element: string | AnyDescriptor, property: string): string {
    const e = typeof element === 'string' ? this.lookup(element) : element;
    const option = e.option(property);
    if (option !== undefined) return option;
    const names = e.launchNames();
    throw new UnknownPropertyError(e.name, property, nearMatches(property, names), names);
  }

  /** Parses one property value from launch text; PropertyValueError says why it does not fit. */
  parseProperty(element: string | AnyDescriptor, property: string, text: string): unknown {
    const e = typeof element === 'string' ? this.lookup(element) : element;
    this.property(e, property);
    return e.parse(property, text);
  }

  /** Creates an element from properties written as text: `registry.create('fakeSrc', { 'num-buffers': '10' })`. */
  create(name: string, props: Readonly<Record<string, string>> = {}, links?: ElementLinks): Operator {
    const e = this.lookup(name);
    const options: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) options[this.property(e, k)] = e.parse(k, v);
    return e.create(options, links);
  }

  /** The whole registry as data, for `g2g inspect --json`. */
  toJSON(): object {
    return { elements: this.list().map((d) => d.toJSON()) };
  }
}
