import { describe, expect, it } from 'vitest';
import { Caps, defineSource, packet, pipe, VirtualClock, type PropertySpec } from '../../src';
import {
  builtinElements,
  defaultRegistry,
  ElementRegistry,
  fakeSink,
  fakeSrc,
  nearMatches,
  parsePropertyValue,
  parseTime,
  PropertyValueError,
  UnknownElementError,
  UnknownPropertyError,
  type ElementEntry,
} from '../../operators';

const spec = (type: PropertySpec['type'], values?: string[]): PropertySpec => ({ name: 'p', type, values, description: '' });

describe('property values', () => {
  const good: [PropertySpec['type'], string, unknown][] = [
    ['int', '-1', -1],
    ['int', '+42', 42],
    ['uint', '0', 0],
    ['double', '2.5', 2.5],
    ['double', '-1e3', -1000],
    ['boolean', 'true', true],
    ['boolean', 'FALSE', false],
    ['boolean', '1', true],
    ['boolean', '0', false],
    ['string', 'any thing', 'any thing'],
    ['time', '1000', 1000],
    ['time', '50ms', 50_000_000],
    ['time', '2s', 2_000_000_000],
    ['time', '1.5s', 1_500_000_000],
    ['time', '250us', 250_000],
    ['time', '7µs', 7_000],
    ['time', '3ns', 3],
    ['time', '2min', 120_000_000_000],
    ['time', '1h', 3_600_000_000_000],
    ['time', '0:00:01.5', 1_500_000_000],
    ['time', '1:02:03.000000004', 3_723_000_000_004],
  ];
  for (const [type, text, value] of good) {
    it(`${type} '${text}' → ${String(value)}`, () => expect(parsePropertyValue(spec(type), text)).toBe(value));
  }

  it('parses enums against their values', () => {
    expect(parsePropertyValue(spec('enum', ['no', 'upstream']), 'upstream')).toBe('upstream');
    expect(() => parsePropertyValue(spec('enum', ['no', 'upstream']), 'upstrem')).toThrow('expected one of no, upstream (did you mean upstream?)');
  });

  it('parses caps into Caps', () => {
    const v = parsePropertyValue(spec('caps'), 'video/x-raw, format=NV12');
    expect(v).toBeInstanceOf(Caps);
    expect((v as Caps).equals(Caps.parse('video/x-raw,format=(string)NV12'))).toBe(true);
  });

  const bad: [PropertySpec['type'], string, RegExp][] = [
    ['int', 'ten', /expected an integer/],
    ['int', '1.0', /expected an integer/],
    ['int', '1e3', /expected an integer/],
    ['int', '', /expected an integer/],
    ['int', '99999999999999999999', /out of range/],
    ['uint', '-1', /unsigned/],
    ['double', 'abc', /expected a number/],
    ['double', '', /expected a number/],
    ['boolean', 'yes', /true, false, 1 or 0/],
    ['time', '1.5', /integer nanoseconds/],
    ['time', '5 parsec', /unknown time unit 'parsec'/],
    ['time', '-5ms', /expected a time/],
    ['time', 'soon', /expected a time/],
    ['caps', 'video/x-raw,width=[1', /caps/],
  ];
  for (const [type, text, why] of bad) {
    it(`${type} '${text}' is rejected`, () => expect(() => parsePropertyValue(spec(type), text)).toThrow(why));
  }

  it('parseTime reads what formatTime prints', () => expect(parseTime('0:00:00.166666667')).toBe(166_666_667));
});

describe('near matches', () => {
  const names = ['fakeSrc', 'fakeSink', 'identity', 'queue', 'tee', 'capsFilter'];
  it('finds case, dash and typo variants, best first', () => {
    expect(nearMatches('fakesrc', names)).toEqual(['fakeSrc']);
    expect(nearMatches('FAKE_SINK', names)).toEqual(['fakeSink']);
    expect(nearMatches('idnetity', names)).toEqual(['identity']);
    expect(nearMatches('queu', names)).toEqual(['queue']);
    expect(nearMatches('capsfilter', names)).toEqual(['capsFilter']);
    expect(nearMatches('numBuffers', ['num-buffers', 'sizemax'])).toEqual(['num-buffers']);
  });
  it('suggests nothing for unrelated or very short words', () => {
    expect(nearMatches('x', ['t'])).toEqual([]);
    expect(nearMatches('frobnicator', names)).toEqual([]);
  });
});

describe('the default registry', () => {
  it('has this issue\'s elements', () => {
    const names = defaultRegistry.list().map((e) => e.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(names).toEqual(expect.arrayContaining(['capsFilter', 'fakeSink', 'fakeSrc', 'fileSink', 'fileSrc', 'h264Parse', 'identity', 'merge', 'queue', 'tee', 'videoTestSrc']));
  });

  it('gives every element a name property, kebab-case property names and typed defaults', () => {
    for (const e of defaultRegistry.list()) {
      expect(e.properties[0].name, e.name).toBe('name');
      for (const p of e.properties) {
        expect(p.name, `${e.name}.${p.name}`).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(p.description.length, `${e.name}.${p.name}`).toBeGreaterThan(0);
        if (p.default === undefined) continue;
        const want = { int: 'number', uint: 'number', double: 'number', time: 'number', boolean: 'boolean', string: 'string', enum: 'string', caps: 'string' }[p.type];
        expect(typeof p.default, `${e.name}.${p.name}`).toBe(want);
        if (p.type === 'enum') expect(p.values).toContain(p.default);
      }
    }
  });

  it('lets every source take num-buffers', () => {
    const sources = defaultRegistry.list().filter((e) => e.kind === 'source');
    expect(sources.map((e) => e.name)).toEqual(expect.arrayContaining(['fakeSrc', 'fileSrc', 'merge', 'videoTestSrc']));
    for (const e of sources) expect(e.properties.some((p) => p.name === 'num-buffers'), e.name).toBe(true);
  });

  it('declares the caps templates its elements have', () => {
    for (const e of defaultRegistry.list()) {
      // Elements with a required property (fileSrc/fileSink: location) get it.
      const required: Record<string, unknown> = {};
      if (e.properties.some((p) => p.name === 'location')) required.location = '/nonexistent';
      if (e.name === 'tensorPreprocess') Object.assign(required, { width: 64, height: 64 });
      const op = e.create(required, { branches: [fakeSink()], inputs: [fakeSrc()] });
      expect(op.kind, e.name).toBe(e.kind);
      const el = op.elements[0];
      expect(el.factory).toBe(e.name);
      // An instance's caps lie within the declared template (properties such as a size narrow them).
      if (el.kind !== 'source') expect(el.sinkCaps.isSubset(Caps.parse(e.caps.sink!)), `${e.name} sink: ${el.sinkCaps} within ${e.caps.sink}`).toBe(true);
      else expect(e.caps.src).toBeDefined();
      if (el.kind !== 'sink') expect(el.srcCaps.isSubset(Caps.parse(e.caps.src!)), `${e.name} src: ${el.srcCaps} within ${e.caps.src}`).toBe(true);
      else if (e.pads !== 'fan-out') expect(e.caps.src).toBeUndefined();
    }
  });

  it('creates elements from text properties', () => {
    const op = defaultRegistry.create('queue', { 'max-size-buffers': '5', leaky: 'downstream', name: 'q' });
    expect(op.elements[0]).toMatchObject({ factory: 'queue', name: 'q', props: { 'max-size-buffers': 5, leaky: 'downstream' } });
  });

  it('names unknown elements and properties with near matches', () => {
    expect(() => defaultRegistry.lookup('Queue')).toThrow(new UnknownElementError('Queue', ['queue'], []));
    expect(() => defaultRegistry.property('queue', 'max-size-buffer')).toThrow(UnknownPropertyError);
    expect(() => defaultRegistry.property('queue', 'max-size-buffer')).toThrow("queue has no property 'max-size-buffer'; did you mean max-size-buffers?");
    expect(() => defaultRegistry.parseProperty('queue', 'leaky', 'yes')).toThrow(PropertyValueError);
    expect(() => defaultRegistry.parseProperty('queue', 'leaky', 'yes')).toThrow("invalid value 'yes' for queue leaky: expected one of no, upstream, downstream (enum)");
  });
});

/** An endless source that counts closes, registered without num-buffers. */
function endlessEntry(closes: { n: number }): ElementEntry {
  return {
    name: 'endless',
    kind: 'source',
    description: 'endless test source',
    caps: { src: 'ANY' },
    properties: [],
    create: (p) =>
      defineSource({
        factory: 'endless',
        name: p.name,
        props: {},
        srcCaps: Caps.any(),
        fixate: () => Caps.parse('application/x-test'),
        open: (ctx) => ({
          pull: () => packet({ caps: ctx.outputCaps }),
          close: () => void closes.n++,
        }),
      }),
  };
}

describe('registration', () => {
  it('adds name and num-buffers to a source that lacks them; num-buffers ends its stream', async () => {
    const closes = { n: 0 };
    const r = new ElementRegistry().register(endlessEntry(closes));
    expect(r.lookup('endless').properties.map((p) => p.name)).toEqual(['name', 'num-buffers']);
    const src = r.create('endless', { 'num-buffers': '3', name: 'e' });
    expect(src.elements[0].props['num-buffers']).toBe(3);
    let n = 0;
    const stats = await pipe(src as never, fakeSink({ onPacket: () => void n++ })).run({ clock: new VirtualClock() });
    expect(n).toBe(3);
    expect(stats.elements[0].name).toBe('e');
    expect(closes.n).toBe(1);
  });

  it('leaves the source endless without num-buffers', async () => {
    const r = new ElementRegistry().register(endlessEntry({ n: 0 }));
    const src = r.create('endless');
    let n = 0;
    const controller = new AbortController();
    const run = pipe(src as never, fakeSink({ onPacket: () => void (++n === 1000 && controller.abort()) })).run({ signal: controller.signal });
    await expect(run).rejects.toThrow();
    expect(n).toBe(1000);
  });

  it('rejects duplicates and malformed entries', () => {
    const r = new ElementRegistry(builtinElements);
    const base = { kind: 'transform' as const, description: '', caps: {}, properties: [], create: () => fakeSink() };
    expect(() => r.register({ ...base, name: 'queue' })).toThrow("element 'queue' is already registered");
    expect(() => r.register({ ...base, name: 'two words' })).toThrow('invalid element name');
    expect(() => r.register({ ...base, name: 'x', properties: [spec('int'), spec('int')] })).toThrow("property 'p' is declared twice");
    expect(() => r.register({ ...base, name: 'y', properties: [spec('enum')] })).toThrow('has no values');
  });

  it('clones without sharing later registrations', () => {
    const a = new ElementRegistry(builtinElements);
    const b = a.clone().register(endlessEntry({ n: 0 }));
    expect(b.has('endless')).toBe(true);
    expect(a.has('endless')).toBe(false);
    expect(b.has('fakeSrc')).toBe(true);
  });

  it('keeps EOS from a limited source that ends first', async () => {
    const r = new ElementRegistry(builtinElements);
    const stats = await pipe(r.create('merge', { 'num-buffers': '100' }, { inputs: [fakeSrc({ numBuffers: 4 })] }) as never, fakeSink()).run();
    expect(stats.delivered).toBe(4);
  });
});
