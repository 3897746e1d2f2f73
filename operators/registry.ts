import { Caps } from '../src/caps';
import { EOS, type AnyElement, type PropertySpec, type Pulled, type Reader } from '../src/element';
import type { Operator, Sink, Source } from '../src/operator';
import type { Packet } from '../src/packet';
import { MICROSECOND, MILLISECOND, SECOND } from '../src/time';
import { isPromiseLike, type MaybePromise } from '../src/util/promise';
import { capsFilter } from './caps-filter';
import { fakeSink } from './fake-sink';
import { fakeSrc } from './fake-src';
import { identity } from './identity';
import { merge } from './merge';
import { queue } from './queue';
import { tee, type BranchPolicy } from './tee';
import { fileSinkEntry } from './file-sink';
import { h264ParseEntry } from './h264-parse';
import { mp4DemuxEntry } from './mp4-demux';
import { mp4MuxEntry } from './mp4-mux';
import { rtpH264DepayEntry } from './rtp-h264-depay';
import { rtpH264PayEntry } from './rtp-h264-pay';
import { rtpJitterBufferEntry } from './rtp-jitter-buffer';
import { tensorPreprocessEntry } from './tensor-preprocess';
import { fileSrcEntry } from './file-src';
import { videoTestSrcEntry } from './video-test-src';

export type ElementKind = 'source' | 'transform' | 'sink';

/**
 * Property values parsed from text, keyed by property name (kebab-case); only the properties that were
 * set are present, so each factory applies its own (often profile-dependent) defaults. Values are typed
 * by the property's spec: int/uint/double/time → number, boolean, enum/string → string, caps → Caps.
 */
export type PropertyValues = Readonly<Record<string, any>>;

/** Caps templates of an element's pads, as caps strings (what `g2g inspect` prints). */
export interface PadTemplates {
  readonly sink?: string;
  readonly src?: string;
}

/** The elements a fan-out (tee) or fan-in (merge) element is built around; launch syntax fills them from `t.` references. */
export interface ElementLinks {
  readonly branches?: readonly Sink<any>[];
  readonly inputs?: readonly Source<any>[];
}

export interface ElementEntry {
  /** The TypeScript factory name (`fakeSrc`), also the name in launch syntax. */
  readonly name: string;
  readonly kind: ElementKind;
  readonly description: string;
  readonly properties: readonly PropertySpec[];
  readonly caps: PadTemplates;
  /** 'fan-out': any number of src pads (tee), given as `links.branches`; 'fan-in': any number of sink pads (merge), as `links.inputs`. */
  readonly pads?: 'fan-out' | 'fan-in';
  /** Builds the operator. Must honour `name` (every entry has it), so references and stats use it. */
  create(props: PropertyValues, links?: ElementLinks): Operator;
}

/** Names the unknown element and the registered ones it most resembles. */
export class UnknownElementError extends Error {
  override readonly name = 'UnknownElementError';
  constructor(
    readonly element: string,
    readonly suggestions: readonly string[],
    known: readonly string[],
  ) {
    super(`no element '${element}'${hint(suggestions, known, 'elements')}`);
  }
}

export class UnknownPropertyError extends Error {
  override readonly name = 'UnknownPropertyError';
  constructor(
    readonly element: string,
    readonly property: string,
    readonly suggestions: readonly string[],
    known: readonly string[],
  ) {
    super(`${element} has no property '${property}'${hint(suggestions, known, 'properties')}`);
  }
}

export class PropertyValueError extends Error {
  override readonly name = 'PropertyValueError';
  constructor(
    readonly element: string,
    readonly property: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid value '${value}' for ${element} ${property}: ${reason}`);
  }
}

function hint(suggestions: readonly string[], known: readonly string[], what: string): string {
  if (suggestions.length) return `; did you mean ${suggestions.join(' or ')}?`;
  return known.length ? ` (${what}: ${known.join(', ')})` : '';
}

const normal = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

/** Optimal string alignment distance (edits, counting a swap of neighbours as one). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidates `word` is most likely a typo of, best first: same letters ignoring case and dashes
 * (`fakesrc`, `numBuffers`), containment (`queu`), then a few edits (a third of the word, for words of
 * three letters or more).
 */
export function nearMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = normal(word);
  const edits = w.length < 3 ? 0 : Math.max(1, Math.floor(w.length / 3));
  const scored: [number, string][] = [];
  for (const c of candidates) {
    const n = normal(c);
    if (n === w) scored.push([0, c]);
    else if (w.length >= 3 && (n.includes(w) || w.includes(n))) scored.push([1, c]);
    else {
      const d = distance(w, n);
      if (d <= edits) scored.push([1 + d, c]);
    }
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, max)
    .map(([, c]) => c);
}

const TIME_UNITS: Readonly<Record<string, number>> = { ns: 1, us: MICROSECOND, µs: MICROSECOND, ms: MILLISECOND, s: SECOND, min: 60 * SECOND, h: 3600 * SECOND };

/** `50ms`, `1.5s`, `2min`, `0:00:01.5` (as formatTime prints) or an integer of nanoseconds. */
export function parseTime(text: string): number {
  const t = text.trim();
  const clock = /^(\d+):([0-5]\d):([0-5]\d(?:\.\d+)?)$/.exec(t);
  if (clock) return Math.round((Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3])) * SECOND);
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-zµ]*)$/i.exec(t);
  if (!m) throw new RangeError('expected a time such as 50ms, 2s, 1.5min, 0:00:01.5 or integer nanoseconds');
  if (m[2] === '') {
    if (!/^\d+$/.test(m[1])) throw new RangeError('a time without a unit is integer nanoseconds; add a unit (ns, us, ms, s, min, h)');
    return Number(m[1]);
  }
  const unit = TIME_UNITS[m[2]];
  if (unit === undefined) throw new RangeError(`unknown time unit '${m[2]}' (use ns, us, ms, s, min or h)`);
  return Math.round(Number(m[1]) * unit);
}

/** Parses a property value written as text into the type its spec declares; throws RangeError with the reason. */
export function parsePropertyValue(spec: PropertySpec, text: string): unknown {
  switch (spec.type) {
    case 'int':
    case 'uint': {
      if (!/^[+-]?\d+$/.test(text.trim())) throw new RangeError(`expected ${spec.type === 'uint' ? 'an unsigned' : 'an'} integer`);
      const n = Number(text);
      if (!Number.isSafeInteger(n)) throw new RangeError('integer out of range');
      if (spec.type === 'uint' && n < 0) throw new RangeError('expected an unsigned integer (≥ 0)');
      return n;
    }
    case 'double': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new RangeError('expected a number');
      return n;
    }
    case 'boolean': {
      const v = text.trim().toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      throw new RangeError('expected true, false, 1 or 0');
    }
    case 'enum': {
      const values = spec.values ?? [];
      if (!values.includes(text)) {
        const near = nearMatches(text, values, 1);
        throw new RangeError(`expected one of ${values.join(', ')}${near.length ? ` (did you mean ${near[0]}?)` : ''}`);
      }
      return text;
    }
    case 'time':
      return parseTime(text);
    case 'caps':
      try {
        return Caps.parse(text);
      } catch (e) {
        throw new RangeError(e instanceof Error ? e.message : String(e));
      }
    case 'string':
      return text;
  }
}

const NAME: PropertySpec = { name: 'name', type: 'string', description: 'Instance name, unique in the pipeline (default: the factory name and an index, as fakeSrc0)' };
const NUM_BUFFERS: PropertySpec = { name: 'num-buffers', type: 'int', default: -1, description: 'Number of packets before end-of-stream (-1 = unlimited)' };

/** Ends a reader after `n` items (num-buffers for sources that do not count themselves). */
function limitReader<T>(r: Reader<T>, n: number): Reader<T> {
  let seen = 0;
  const count = (v: Pulled<T>): Pulled<T> => {
    if (v !== EOS) seen++;
    return v;
  };
  return {
    pull(signal): MaybePromise<Pulled<T>> {
      if (seen >= n) return EOS;
      const v = r.pull(signal);
      return isPromiseLike(v) ? Promise.resolve(v).then(count) : count(v);
    },
    close: r.close?.bind(r),
  };
}

/** Limits a source operator's output (its last element's reader) to `n` packets. */
function withNumBuffers(op: Operator, n: number): Operator {
  if (n < 0) return op;
  const els = op.elements;
  const last = els[els.length - 1];
  const open = last.open as (...args: unknown[]) => Reader<Packet>;
  const limited = { ...last, props: { ...last.props, 'num-buffers': n }, open: (...args: unknown[]) => limitReader(open(...args), n) } as AnyElement;
  return { ...op, elements: [...els.slice(0, -1), limited] } as Operator;
}

/**
 * Element factories by name, for launch syntax and `g2g inspect`. Registration is open: later modules
 * (Node-only file and socket elements) add their entries to `defaultRegistry` or to a registry of their own.
 */
export class ElementRegistry {
  private readonly entries = new Map<string, ElementEntry>();

  constructor(entries: Iterable<ElementEntry> = []) {
    for (const e of entries) this.register(e);
  }

  /**
   * Adds an entry. Every entry gets a `name` property; a source without `num-buffers` gets one that ends
   * its stream after that many packets, so every source can be bounded the same way.
   */
  register(entry: ElementEntry): this {
    if (!/^[A-Za-z_][\w-]*$/.test(entry.name)) throw new TypeError(`invalid element name '${entry.name}'`);
    if (this.entries.has(entry.name)) throw new TypeError(`element '${entry.name}' is already registered`);
    const seen = new Set<string>();
    for (const p of entry.properties) {
      if (seen.has(p.name)) throw new TypeError(`${entry.name}: property '${p.name}' is declared twice`);
      if (p.type === 'enum' && !p.values?.length) throw new TypeError(`${entry.name}: enum property '${p.name}' has no values`);
      seen.add(p.name);
    }
    let e = entry;
    if (!seen.has('name')) e = { ...e, properties: [NAME, ...e.properties] };
    if (e.kind === 'source' && !seen.has('num-buffers')) {
      const create = e.create;
      e = {
        ...e,
        properties: [...e.properties, NUM_BUFFERS],
        create: (props, links) => {
          const { 'num-buffers': n, ...rest } = props;
          return withNumBuffers(create(rest, links), n ?? -1);
        },
      };
    }
    this.entries.set(e.name, Object.freeze(e));
    return this;
  }

  get(name: string): ElementEntry | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Every entry, by name. */
  list(): ElementEntry[] {
    return [...this.entries.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The entry for `name`, or an UnknownElementError listing near matches. */
  lookup(name: string): ElementEntry {
    const e = this.entries.get(name);
    if (e) return e;
    const names = this.list().map((x) => x.name);
    throw new UnknownElementError(name, nearMatches(name, names), names);
  }

  /** The spec of `property` of `element`, or an UnknownPropertyError listing near matches. */
  property(element: string | ElementEntry, property: string): PropertySpec {
    const e = typeof element === 'string' ? this.lookup(element) : element;
    const spec = e.properties.find((p) => p.name === property);
    if (spec) return spec;
    const names = e.properties.map((p) => p.name);
    throw new UnknownPropertyError(e.name, property, nearMatches(property, names), names);
  }

  /** Parses one property value from text; PropertyValueError says why it does not fit the type. */
  parseProperty(element: string | ElementEntry, property: string, text: string): unknown {
    const e = typeof element === 'string' ? this.lookup(element) : element;
    const spec = this.property(e, property);
    try {
      return parsePropertyValue(spec, text);
    } catch (err) {
      throw new PropertyValueError(e.name, property, text, `${err instanceof Error ? err.message : String(err)} (${spec.type})`);
    }
  }

  /** Creates an element from properties written as text: `registry.create('fakeSrc', { 'num-buffers': '10' })`. */
  create(name: string, props: Readonly<Record<string, string>> = {}, links?: ElementLinks): Operator {
    const e = this.lookup(name);
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) values[k] = this.parseProperty(e, k, v);
    return e.create(values, links);
  }

  /** A registry with the same entries, to extend without touching this one. */
  clone(): ElementRegistry {
    const r = new ElementRegistry();
    for (const [k, v] of this.entries) r.entries.set(k, v);
    return r;
  }
}

/** -1 (GStreamer's "off") and unset both mean: not set. */
const optionalCount = (v: number | undefined): number | undefined => (v === undefined || v < 0 ? undefined : v);

const FAKE_SRC: ElementEntry = {
  name: 'fakeSrc',
  kind: 'source',
  description: 'Empty or byte-filled packets, as fast as pulled or paced live (GStreamer fakesrc)',
  caps: { src: 'ANY' },
  properties: [
    NUM_BUFFERS,
    { name: 'sizetype', type: 'enum', values: ['empty', 'fixed', 'random'], default: 'empty', description: 'Payload size: none (empty), sizemax bytes (fixed), or sizemin..sizemax bytes (random)' },
    { name: 'sizemin', type: 'uint', default: 0, description: 'Smallest random payload, in bytes' },
    { name: 'sizemax', type: 'uint', default: 4096, description: 'Payload size for fixed, largest for random, in bytes' },
    { name: 'filltype', type: 'enum', values: ['nothing', 'zero', 'pattern'], default: 'nothing', description: 'Payload bytes: as allocated (zeros), zeros, or a counting pattern' },
    { name: 'is-live', type: 'boolean', default: false, description: 'Pace packets on the pipeline clock at framerate and stamp their capture time' },
    { name: 'framerate', type: 'string', default: '30/1', description: 'Packets per second (N/D), for timestamps and live pacing' },
    { name: 'caps', type: 'caps', default: 'ANY', description: 'Output caps template, fixated against downstream (ANY: application/octet-stream)' },
  ],
  create: (p) =>
    fakeSrc({
      name: p.name,
      numBuffers: p['num-buffers'],
      sizetype: p.sizetype,
      sizemin: p.sizemin,
      sizemax: p.sizemax,
      filltype: p.filltype,
      isLive: p['is-live'],
      framerate: p.framerate,
      caps: p.caps?.toString(),
    }),
};

const IDENTITY: ElementEntry = {
  name: 'identity',
  kind: 'transform',
  description: 'Passes packets through; can fail, end, drop or delay to test those paths (GStreamer identity)',
  caps: { sink: 'ANY', src: 'ANY' },
  properties: [
    { name: 'error-after', type: 'int', default: -1, description: 'Fail after this many packets (-1 = never)' },
    { name: 'eos-after', type: 'int', default: -1, description: 'End the stream after this many packets (-1 = never)' },
    { name: 'drop-every', type: 'uint', default: 0, description: 'Drop every Nth packet (0 = never)' },
    { name: 'sleep-time', type: 'time', default: 0, description: 'Wait this long on the pipeline clock per packet (a bare integer is ns, not GStreamer µs)' },
  ],
  create: (p) =>
    identity({
      name: p.name,
      errorAfter: optionalCount(p['error-after']),
      eosAfter: optionalCount(p['eos-after']),
      dropEvery: p['drop-every'] || undefined,
      sleepTime: p['sleep-time'] || undefined,
    }),
};

const QUEUE: ElementEntry = {
  name: 'queue',
  kind: 'transform',
  description: 'Bounded buffer with its own upstream task, so a slow consumer never stalls capture (GStreamer queue)',
  caps: { sink: 'ANY', src: 'ANY' },
  properties: [
    { name: 'max-size-buffers', type: 'uint', default: 0, description: "Capacity in packets (0 = the latency profile's: live 2, throughput 200)" },
    { name: 'leaky', type: 'enum', values: ['no', 'upstream', 'downstream'], description: "When full: block (no), drop new (upstream) or drop oldest (downstream); default: the profile's (live downstream, throughput no)" },
  ],
  create: (p) => queue({ name: p.name, maxSizeBuffers: p['max-size-buffers'] || undefined, leaky: p.leaky }),
};

/** `block`, `leak`, or one of them per branch: `block,leak`. */
function parsePolicy(text: string | undefined, branches: number): BranchPolicy[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  for (const p of items) if (p !== 'block' && p !== 'leak') throw new RangeError(`policy must be block or leak (or a comma-separated list, one per branch), got '${p}'`);
  if (items.length === 1) return new Array<BranchPolicy>(branches).fill(items[0] as BranchPolicy);
  if (items.length !== branches) throw new RangeError(`policy lists ${items.length} policies for ${branches} branches`);
  return items as BranchPolicy[];
}

const TEE: ElementEntry = {
  name: 'tee',
  kind: 'sink',
  pads: 'fan-out',
  description: 'Sends every packet to every branch, each blocking or leaking when behind (GStreamer tee)',
  caps: { sink: 'ANY', src: 'ANY' },
  properties: [
    { name: 'policy', type: 'string', default: 'block', description: 'Per branch when it falls behind: block (lossless) or leak (drop its oldest); one for all, or comma-separated per branch' },
    { name: 'max-size-buffers', type: 'uint', default: 4, description: 'Per-branch buffer, in packets' },
  ],
  create: (p, links) => {
    const branches = links?.branches ?? [];
    return tee({ name: p.name, branches, policy: parsePolicy(p.policy, branches.length), maxSizeBuffers: p['max-size-buffers'] || undefined });
  },
};

const MERGE: ElementEntry = {
  name: 'merge',
  kind: 'source',
  pads: 'fan-in',
  description: 'Merges its inputs into one stream ordered by timestamp (dts, else pts), as a muxer needs',
  caps: { sink: 'ANY', src: 'ANY' },
  properties: [],
  create: (p, links) => merge(links?.inputs ?? [], { name: p.name }),
};

const CAPS_FILTER: ElementEntry = {
  name: 'capsFilter',
  kind: 'transform',
  description: 'Restricts the format on a link to its caps; packets pass untouched (GStreamer capsfilter)',
  caps: { sink: 'ANY', src: 'ANY' },
  properties: [{ name: 'caps', type: 'caps', default: 'ANY', description: 'The caps allowed through (both pad templates become these)' }],
  create: (p) => capsFilter(p.caps ?? Caps.any(), { name: p.name }),
};

const FAKE_SINK: ElementEntry = {
  name: 'fakeSink',
  kind: 'sink',
  description: 'Swallows packets (GStreamer fakesink)',
  caps: { sink: 'ANY' },
  properties: [
    { name: 'sync', type: 'boolean', description: "Wait for each packet's presentation time on the clock (default: the profile's)" },
    { name: 'drop-late', type: 'boolean', default: true, description: 'Drop packets older than the live profile deadline' },
  ],
  create: (p) => fakeSink({ name: p.name, sync: p.sync, dropLate: p['drop-late'] }),
};

/** This package's runtime-agnostic elements. */
export const builtinElements: readonly ElementEntry[] = [FAKE_SRC, IDENTITY, QUEUE, TEE, MERGE, CAPS_FILTER, FAKE_SINK, videoTestSrcEntry, fileSrcEntry, fileSinkEntry, h264ParseEntry, mp4MuxEntry, mp4DemuxEntry, rtpH264PayEntry, rtpH264DepayEntry, rtpJitterBufferEntry, tensorPreprocessEntry];

/** The registry launch syntax and the CLI use unless given another; more elements register here. */
export const defaultRegistry = new ElementRegistry(builtinElements);
