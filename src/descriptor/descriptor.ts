import type { Caps } from '../caps/caps';
import type { AnyElement } from '../element';
import { G2gError } from '../errors';
import { UNNAMED_FACTORY, type Operator, type Sink, type Source } from '../operator';
import { prop, type AnyProperty, type Presence, type Property, type PropertyInfo } from './property';
import { boundedDistance } from './near-matches';
import { UnknownPropertyError } from './registry';

export type ElementKind = 'source' | 'transform' | 'sink';

/** An element's properties, keyed by TypeScript option name (camelCase); launch syntax uses the kebab-case form. */
export type Properties = Readonly<Record<string, AnyProperty>>;

type ValueOf<P> = P extends Property<infer T, any, any> ? T : never;
type InputOf<P> = P extends Property<any, infer I, any> ? I : never;
type PresenceOf<P> = P extends Property<any, any, infer R extends Presence> ? R : never;

/** The factory's options, derived from the properties: required ones required, the rest optional. */
export type OptionsOf<P extends Properties> = { name?: string } & {
  [K in keyof P as PresenceOf<P[K]> extends 'required' ? K : never]: InputOf<P[K]>;
} & { [K in keyof P as PresenceOf<P[K]> extends 'required' ? never : K]?: InputOf<P[K]> };

/** What the element's implementation receives: every value checked, defaults filled in. */
export type SettingsOf<P extends Properties> = { readonly name: string | undefined } & {
  readonly [K in keyof P]: PresenceOf<P[K]> extends 'optional' ? ValueOf<P[K]> | undefined : ValueOf<P[K]>;
};

/** A factory's parameters: the options are required exactly when some of them are (a required property, an extra such as tee's branches). */
export type FactoryArgs<P extends Properties, X> = {} extends OptionsOf<P> & X
  ? [options?: OptionsOf<P> & X, links?: ElementLinks]
  : [options: OptionsOf<P> & X, links?: ElementLinks];

/** Caps templates of an element's pads. */
export interface PadTemplates {
  readonly sink?: Caps;
  readonly src?: Caps;
}

/** The elements a fan-out (tee) or fan-in (merge) element is built around; launch syntax fills them from `t.` references. */
export interface ElementLinks {
  readonly branches?: readonly Sink<any>[];
  readonly inputs?: readonly Source<any>[];
}

/** What a descriptor declares: the element's whole contract, then how to build it. */
export interface ElementSpec<K extends ElementKind, P extends Properties, X, Op extends Operator> {
  /** The factory name (`h264Parse`), also the name in launch syntax. */
  readonly name: string;
  readonly kind: K;
  /** One line. */
  readonly description: string;
  readonly caps: PadTemplates;
  /** 'fan-out': any number of src pads (tee), given as `links.branches`; 'fan-in': any number of sink pads (merge), as `links.inputs`. */
  readonly pads?: 'fan-out' | 'fan-in';
  /**
   * Its answer to the allocation query (VIDEO_META, RELEASE, or 'forward' for elements that hand packets on
   * untouched). Applied to the element unless its build sets `metas` itself (when it depends on settings).
   */
  readonly metas?: readonly string[] | 'forward';
  /** What it promises beyond caps and metas, in words: live/throughput behaviour, threads, what it keeps. */
  readonly notes?: string;
  readonly properties: P;
  /**
   * Names of its extras (options that are not properties) that are near a property's name (`overlayX` beside
   * `overlay`): declared so the misspelt-property check lets them pass.
   */
  readonly extraNames?: readonly string[];
  /**
   * Builds the operator from checked settings. `extras` are the options that are not properties (callbacks,
   * objects: never in launch syntax); `links` the branches or inputs of a fan-out/fan-in element.
   */
  readonly build?: Build<P, X, Op>;
}

/** Makes the operator from checked settings, the non-property options, and the links of a fan-out/fan-in element. */
export type Build<P extends Properties, X, Op extends Operator> = (settings: SettingsOf<P>, extras: X, links: ElementLinks) => Op;

/** A property value that does not fit its declaration; names the element, the property, the value and what is accepted. */
export class PropertyValueError extends G2gError {
  constructor(readonly element: string, readonly property: string, readonly value: string, readonly reason: string) {
    super('PROPERTY_VALUE', `invalid value '${clip(value)}' for ${element} ${property}: ${reason}`);
  }
}

/** Two values, each valid alone, that do not go together (h264Dec pool=true with threads=2). */
export class PropertyConflictError extends G2gError {
  constructor(readonly element: string, readonly properties: readonly string[], reason: string) {
    super('PROPERTY_CONFLICT', `${element} ${properties.join(' and ')}: ${reason}`);
  }
}

/** A required property left out. */
export class MissingPropertyError extends G2gError {
  constructor(readonly element: string, readonly property: string, accepts: string) {
    super('PROPERTY_MISSING', `${element} needs ${property}= (${accepts})`);
  }
}

/** Why a value was refused, always saying what is accepted. */
function reason(e: unknown, accepts: string): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.includes(accepts) ? m : `${m} (expected ${accepts})`;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s);

/** camelCase option → GStreamer-style launch name. */
export const launchName = (option: string) => option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

const NAME = prop.string({
  doc: 'Instance name, unique in the pipeline (default: the factory name and an index, as fakeSrc0)',
  pattern: /^[A-Za-z_][\w-]*$/,
  accepts: "letters, digits, '_' and '-', not starting with a digit",
});

/**
 * One element, declared once: from this come its factory (`create`, typed by the properties), launch
 * parsing, `g2g inspect`, defaults, validation and printing.
 */
export class ElementDescriptor<K extends ElementKind = ElementKind, P extends Properties = Properties, X = {}, Op extends Operator = Operator> {
  readonly name: string;
  readonly kind: K;
  readonly description: string;
  readonly caps: PadTemplates;
  readonly pads: 'fan-out' | 'fan-in' | undefined;
  readonly metas: readonly string[] | 'forward' | undefined;
  readonly notes: string | undefined;
  /** Every property, `name` first (the implicit instance name), by option name. */
  readonly properties: { readonly name: Property<string, string, 'optional'> } & P;
  private readonly byLaunchName = new Map<string, string>();
  private build: Build<P, any, any> | undefined;

  constructor(private readonly spec: ElementSpec<K, P, X, Op>) {
    if (!/^[A-Za-z_][\w-]*$/.test(spec.name)) throw new TypeError(`invalid element name '${spec.name}'`);
    if ('name' in spec.properties) throw new TypeError(`${spec.name}: 'name' is every element's; do not declare it`);
    this.name = spec.name;
    this.kind = spec.kind;
    this.description = spec.description;
    this.caps = spec.caps;
    this.pads = spec.pads;
    this.metas = spec.metas;
    this.notes = spec.notes;
    this.properties = Object.freeze({ name: NAME, ...spec.properties });
    this.build = spec.build;
    for (const option of Object.keys(this.properties)) {
      if (!/^[a-z][A-Za-z0-9]*$/.test(option)) throw new TypeError(`${spec.name}: property '${option}' must be camelCase`);
      this.byLaunchName.set(launchName(option), option);
    }
  }

  /** Settings as kept on the element (inspection, tests): secrets left out, redacted strings as printed. */
  private shown(settings: SettingsOf<P>): SettingsOf<P> {
    const entries = Object.entries(this.properties as Properties);
    if (!entries.some(([, p]) => p.hides)) return settings;
    const out: Record<string, unknown> = { ...settings };
    for (const [option, p] of entries) {
      if (p.secret) delete out[option];
      else if (p.hides && out[option] !== undefined) out[option] = p.display(out[option]);
    }
    return Object.freeze(out) as SettingsOf<P>;
  }

  /** Launch-syntax property names, in declaration order. */
  launchNames(): string[] {
    return [...this.byLaunchName.keys()];
  }

  /** The option name of launch property `name` (`num-buffers` → `numBuffers`), if there is one. */
  option(name: string): string | undefined {
    return this.byLaunchName.get(name);
  }

  /** Checks options against the declaration and fills defaults; PropertyValueError or MissingPropertyError otherwise. */
  settings(options: Readonly<Record<string, unknown>>): SettingsOf<P> {
    const out: Record<string, unknown> = {};
    for (const [option, p] of Object.entries(this.properties as Properties)) {
      const v = options[option];
      if (v === undefined) {
        if (p.required) throw new MissingPropertyError(this.name, launchName(option), p.accepts);
        out[option] = p.default;
        continue;
      }
      try {
        out[option] = p.check(v);
      } catch (e) {
        throw new PropertyValueError(this.name, launchName(option), p.display(v), reason(e, p.accepts));
      }
    }
    return Object.freeze(out) as SettingsOf<P>;
  }

  /**
   * Options are properties and extras, and extras are known only to the type checker: a key that is neither
   * passes. But one that is a property's name misspelt (`maxSizeBufers`) or in launch form (`max-size-buffers`)
   * would be a silently ignored setting, so it fails, naming the property meant.
   */
  private checkTypos(options: Readonly<Record<string, unknown>>): void {
    for (const key of Object.keys(options)) {
      if (Object.hasOwn(this.properties, key) || this.spec.extraNames?.includes(key) || key.length > 64) continue;
      const k = normalName(key);
      const edits = k.length < 6 ? 0 : 1 + Math.floor(k.length / 12);
      for (const option of Object.keys(this.properties)) {
        const o = normalName(option);
        if (o === k || (edits > 0 && boundedDistance(k, o, edits) <= edits)) throw new UnknownPropertyError(this.name, key, [option], []);
      }
    }
  }

  /** Parses launch text for property `name` (kebab-case) into its value. */
  parse(name: string, text: string): unknown {
    const option = this.byLaunchName.get(name);
    if (option === undefined) throw new TypeError(`${this.name} has no property '${name}'`);
    try {
      return (this.properties as Properties)[option].parse(text);
    } catch (e) {
      const p = (this.properties as Properties)[option];
      throw new PropertyValueError(this.name, name, p.display(text), reason(e, p.accepts));
    }
  }

  /** The properties that differ from their defaults, as launch text, in declaration order (secrets never). */
  print(settings: Readonly<Record<string, unknown>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [option, p] of Object.entries(this.properties as Properties)) {
      const v = settings[option];
      if (option === 'name' || v === undefined || p.secret || p.isDefault(v)) continue;
      out[launchName(option)] = p.format(v);
    }
    return out;
  }

  /** Builds the element from TypeScript options (also what launch syntax ends in). */
  readonly create = (...args: FactoryArgs<P, X>): Op => {
    const [options = {}, links = {}] = args as [Readonly<Record<string, unknown>>?, ElementLinks?];
    if (!this.build) throw new TypeError(`${this.name} is declared but not implemented`);
    this.checkTypos(options as Readonly<Record<string, unknown>>);
    const settings = this.settings(options as Readonly<Record<string, unknown>>);
    const op = this.build(settings, options as X, links) as Op;
    if (op.kind !== this.kind) throw new TypeError(`${this.name}: its build made a ${op.kind}, but it is declared a ${this.kind}`);
    this.tag(op, settings);
    return op;
  };

  /**
   * Gives a declared element its implementation, below the declaration (so the build's settings type can
   * come from it); returns the typed factory. Once only.
   */
  implement<X2 = {}, Op2 extends Operator = Operator>(build: Build<P, X2, Op2>): (...args: FactoryArgs<P, X2>) => Op2 {
    if (this.build) throw new TypeError(`${this.name} is implemented twice`);
    this.build = build;
    return this.create as unknown as (...args: FactoryArgs<P, X2>) => Op2;
  }

  /**
   * The same element with some extras fixed (callbacks, objects), for a registry whose launch lines cannot
   * pass them: `RTSP_SERVER_SINK.withExtras({ auth, onListening })`.
   */
  withExtras(fixed: Partial<X>): ElementDescriptor<K, P, X, Op> {
    const build = this.build;
    if (!build) throw new TypeError(`${this.name} is declared but not implemented`);
    return new ElementDescriptor({ ...this.spec, build: (s, x, links) => build(s, { ...x, ...fixed }, links) as Op });
  }

  /** Every property's contract, `name` first. */
  propertyInfo(): PropertyInfo[] {
    return Object.entries(this.properties as Properties).map(([option, p]) => p.info(launchName(option), option));
  }

  /** The whole contract as data, for `g2g inspect --json`. */
  toJSON(): object {
    return {
      name: this.name,
      kind: this.kind,
      description: this.description,
      ...(this.pads ? { pads: this.pads } : {}),
      caps: { ...(this.caps.sink ? { sink: this.caps.sink.toString() } : {}), ...(this.caps.src ? { src: this.caps.src.toString() } : {}) },
      ...(this.metas ? { metas: this.metas } : {}),
      ...(this.notes ? { notes: this.notes } : {}),
      properties: this.propertyInfo(),
    };
  }

  /**
   * Stamps the built element with what the descriptor knows: factory name, instance name, printable
   * properties, the settings it was made with, and the declared metas unless the build chose its own.
   * The element is the operator's only one, else its last one no other descriptor stamped (udpSink with
   * `rtp` is rtpH264Pay, already stamped, then its own sink).
   */
  private tag(op: Operator, settings: SettingsOf<P>): void {
    const els = op.elements;
    const el = (els.length === 1 ? els[0] : [...els].reverse().find((e) => e.factory === UNNAMED_FACTORY || e.factory === this.name)) as
      | Mutable<AnyElement>
      | undefined;
    if (!el) throw new TypeError(`${this.name}: its build made no element of its own`);
    el.factory = this.name;
    el.name = settings.name;
    el.props = this.print(settings);
    el.settings = this.shown(settings);
    el.descriptor = this as unknown as ElementDescriptor;
    if (this.metas !== undefined && el.kind !== 'source' && el.metas === undefined) el.metas = this.metas;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const normalName = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/** The options of a descriptor's factory: its properties (camelCase) and its extras. */
export type ElementOptions<D> = D extends ElementDescriptor<any, infer P, infer X, any> ? OptionsOf<P> & X : never;

/** Declares an element: `export const IDENTITY = defineElement({ name: 'identity', …, build })`, then `export const identity = IDENTITY.create`. */
export function defineElement<K extends ElementKind, const P extends Properties, Op extends Operator, X = {}>(
  spec: ElementSpec<K, P, X, Op>
): ElementDescriptor<K, P, X, Op> {
  return new ElementDescriptor(spec);
}
