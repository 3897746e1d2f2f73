import { describe, expect, it } from 'vitest';
import {
  Caps,
  defineElement,
  defineSource,
  ElementRegistry,
  packet,
  pipe,
  prop,
  PropertyValueError,
  UnknownElementError,
  UnknownPropertyError,
  VirtualClock,
} from '../../src';
import fc from 'fast-check';
import { boundedDistance, MAX_WORD, nearMatches } from '../../src/descriptor/near-matches';
import { builtinElements, builtinRegistry, fakeSink, fakeSrc, limitSource, NUM_BUFFERS, queue, videoTestSrc } from '../../operators';

/** One property of a throwaway element, parsed from launch text. */
function parse(p: Parameters<typeof defineElement>[0]['properties'][string], text: string): unknown {
  const d = defineElement({
    name: 'x',
    kind: 'sink',
    description: '',
    caps: {},
    properties: { p },
  });
  return d.parse('p', text);
}

describe('property values', () => {
  const good: [string, Parameters<typeof parse>[0], string, unknown][] = [
    ['int', prop.int({ doc: '' }), '-1', -1],
    ['int', prop.int({ doc: '' }), '+42', 42],
    ['uint hex', prop.uint({ doc: '' }), '0x10', 16],
    ['uint', prop.uint({ doc: '' }), '0', 0],
    ['double', prop.double({ doc: '' }), '2.5', 2.5],
    ['double', prop.double({ doc: '' }), '-1e3', -1000],
    ['boolean', prop.boolean({ doc: '' }), 'true', true],
    ['boolean', prop.boolean({ doc: '' }), 'FALSE', false],
    ['boolean', prop.boolean({ doc: '' }), '1', true],
    ['string', prop.string({ doc: '' }), 'any thing', 'any thing'],
    ['duration ns', prop.duration({ unit: 'ns', doc: '' }), '1000', 1000],
    ['duration ms', prop.duration({ unit: 'ms', doc: '' }), '1000', 1_000_000_000],
    ['duration ms', prop.duration({ unit: 'ms', doc: '' }), '1.5', 1_500_000],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '200ms', 200_000_000],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '1.5s', 1_500_000_000],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '2000000ns', 2_000_000],
    ['duration', prop.duration({ unit: 'ns', doc: '' }), '250us', 250_000],
    ['duration', prop.duration({ unit: 'ns', doc: '' }), '7µs', 7_000],
    ['duration', prop.duration({ unit: 'ns', doc: '' }), '2min', 120_000_000_000],
    ['duration', prop.duration({ unit: 'ns', doc: '' }), '0:00:01.5', 1_500_000_000],
    ['color', prop.color({ doc: '' }), '#ff0000', 0xffff0000],
    ['color', prop.color({ doc: '' }), '0x80ff0000', 0x80ff0000],
    // Every decimal reads as String(n) prints it, exponent included.
    ['double', prop.double({ doc: '' }), '1e+29', 1e29],
    ['double', prop.double({ doc: '' }), '5e-324', 5e-324],
    ['double', prop.double({ doc: '' }), '.5', 0.5],
    ['duration ns', prop.duration({ unit: 'ns', doc: '' }), '1e9', 1e9],
    ['duration ms', prop.duration({ unit: 'ms', doc: '' }), '1.5e3', 1.5e9],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '2.5e-1s', 250_000_000],
  ];
  for (const [what, p, text, value] of good) it(`${what} '${text}' → ${String(value)}`, () => expect(parse(p, text)).toBe(value));

  it('parses enums, caps, fractions and doubles into their values', () => {
    expect(parse(prop.enum(['no', 'upstream'], { doc: '' }), 'upstream')).toBe('upstream');
    expect((parse(prop.caps({ doc: '' }), 'video/x-raw, format=NV12') as Caps).equals(Caps.parse('video/x-raw,format=(string)NV12'))).toBe(true);
    expect(parse(prop.fraction({ doc: '' }), '30000/1001')).toMatchObject({
      num: 30000,
      den: 1001,
    });
    expect(parse(prop.doubles({ length: 3, doc: '' }), '0.5,0.25,1')).toEqual([0.5, 0.25, 1]);
  });

  const bad: [string, Parameters<typeof parse>[0], string, RegExp][] = [
    ['int', prop.int({ doc: '' }), 'ten', /expected an integer/],
    ['int', prop.int({ doc: '' }), '1.0', /expected an integer/],
    ['int', prop.int({ doc: '' }), '99999999999999999999', /expected an integer/],
    ['int range', prop.int({ min: -1, doc: '' }), '-2', /expected an integer ≥ -1/],
    ['uint', prop.uint({ doc: '' }), '-1', /unsigned/],
    ['uint range', prop.uint({ max: 64, doc: '' }), '65', /in \[0, 64\]/],
    ['double', prop.double({ doc: '' }), 'abc', /expected a number/],
    ['double', prop.double({ doc: '' }), '0x10', /expected a number/],
    ['double', prop.double({ doc: '' }), 'Infinity', /expected a number/],
    ['duration', prop.duration({ unit: 'ns', doc: '' }), '1e+29', /duration out of range/],
    ['duration ns', prop.duration({ unit: 'ns', doc: '' }), '1.5e0', /integer nanoseconds/],
    ['doubles', prop.doubles({ length: 3, doc: '' }), '1,0x2,3', /3 comma-separated numbers/],
    ['boolean', prop.boolean({ doc: '' }), 'yes', /true, false, 1 or 0/],
    ['enum', prop.enum(['no', 'upstream'], { doc: '' }), 'upstrem', /expected one of no, upstream \(did you mean upstream\?\)/],
    ['duration ns', prop.duration({ unit: 'ns', doc: '' }), '1.5', /integer nanoseconds/],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '5 parsec', /unknown duration unit 'parsec'/],
    ['duration', prop.duration({ unit: 'ms', doc: '' }), '-5ms', /expected a duration/],
    ['caps', prop.caps({ doc: '' }), 'video/x-raw,width=[1', /caps|expected/],
    ['fraction', prop.fraction({ doc: '' }), '0/1', /positive fraction/],
    ['doubles', prop.doubles({ length: 3, doc: '' }), '1,2', /3 comma-separated numbers/],
    ['doubles positive', prop.doubles({ length: 3, positive: true, doc: '' }), '1,0,1', /each > 0/],
    [
      'string pattern',
      prop.string({
        pattern: /^a/,
        accepts: 'a word starting with a',
        doc: '',
      }),
      'b',
      /a word starting with a/,
    ],
  ];
  for (const [what, p, text, why] of bad) {
    it(`${what} '${text}' is rejected with the element, property, value and what is accepted`, () => {
      expect(() => parse(p, text)).toThrow(PropertyValueError);
      expect(() => parse(p, text)).toThrow(why);
      expect(() => parse(p, text)).toThrow(`invalid value '${text}' for x p: `);
    });
  }

  it('checks a default at declaration and TypeScript values like launch text', () => {
    expect(() => prop.uint({ default: -1, doc: '' })).toThrow(RangeError);
    const d = defineElement({
      name: 'x',
      kind: 'sink',
      description: '',
      caps: {},
      properties: { n: prop.uint({ max: 4, doc: '' }) },
      build: () => fakeSink(),
    });
    expect(() => d.create({ n: 5 })).toThrow("invalid value '5' for x n: expected an unsigned integer in [0, 4]");
  });
});

describe('near matches', () => {
  const names = builtinRegistry.list().map((e) => e.name);
  it('finds typos, case and dash differences', () => {
    expect(nearMatches('fakesrc', names)[0]).toBe('fakeSrc');
    expect(nearMatches('FAKE_SINK', names)[0]).toBe('fakeSink');
    expect(nearMatches('idnetity', names)).toEqual(['identity']);
    expect(nearMatches('queu', names)).toEqual(['queue']);
    expect(nearMatches('numBuffers', ['num-buffers', 'sizemax'])).toEqual(['num-buffers']);
    expect(nearMatches('frobnicator', names)).toEqual([]);
  });
  it('still finds realistic typos in long names', () => {
    expect(nearMatches('rtpJiterBufer', names)).toEqual(['rtpJitterBuffer']);
    expect(nearMatches('max-size-bufers', ['max-size-buffers', 'max-size-bytes', 'leaky'])).toEqual(['max-size-buffers', 'max-size-bytes']);
    const long = 'a-property-name-of-exactly-sixty-four-characters-for-the-limit-x';
    expect(long).toHaveLength(MAX_WORD);
    expect(nearMatches(long.replace('sixty', 'sixyt').replace('limit', 'limt'), [long, 'other'])).toEqual([long]);
  });

  it('compares no word longer than MAX_WORD', () => {
    // Equal lengths and no containment: an unbounded distance would fill 2·10^5 × 2·10^5 cells (minutes).
    const word = 'ab'.repeat(100_000);
    expect(nearMatches(word, ['ba'.repeat(100_000), ...names])).toEqual([]);
    expect(nearMatches('q'.repeat(MAX_WORD + 1), ['q'.repeat(MAX_WORD)])).toEqual([]);
  });

  it('skips candidates far longer than any word it suggests for', () => {
    expect(nearMatches('tee1', ['tee1' + 'x'.repeat(10_000), 'tee2'])).toEqual(['tee2']);
  });
});

/** The full optimal-string-alignment table: the reference boundedDistance must agree with. */
function fullDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

describe('bounded edit distance', () => {
  it('is the full distance, capped at max + 1', () => {
    // Few letters, so strings share a lot and every kind of edit (swaps included) is exercised.
    const word = fc.string({
      unit: fc.constantFrom('a', 'b', 'c'),
      maxLength: 14,
    });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 8 }), (a, b, max) => {
        expect(boundedDistance(a, b, max)).toBe(Math.min(fullDistance(a, b), max + 1));
      }),
      { numRuns: 5000 }
    );
  });

  it('works only in the band around the diagonal', () => {
    // 3·10^5 letters each: the full table would be 9·10^10 cells (minutes); the band of max = 2 is 1.5·10^6.
    const a = 'ab'.repeat(150_000);
    const b = `${a.slice(0, 100_000)}ba${a.slice(100_002)}`;
    expect(boundedDistance(a, b, 2)).toBe(1);
    const c = `${b.slice(0, 200_000)}ba${b.slice(200_002, 250_000)}ba${b.slice(250_002)}`;
    expect(boundedDistance(a, c, 2)).toBe(3); // over the cutoff: max + 1
  });
});

describe('the built-in registry', () => {
  it('lists every runtime-agnostic element once, sorted', () => {
    const names = builtinRegistry.list().map((e) => e.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(names).toEqual(
      expect.arrayContaining(['capsFilter', 'fakeSink', 'fakeSrc', 'fileSink', 'fileSrc', 'h264Parse', 'identity', 'merge', 'queue', 'tee', 'videoTestSrc'])
    );
    expect(() => new ElementRegistry([...builtinElements, builtinElements[0]])).toThrow('listed twice');
  });

  it('lets every source take num-buffers', () => {
    for (const e of builtinRegistry.list().filter((x) => x.kind === 'source')) expect(e.option('num-buffers'), e.name).toBe('numBuffers');
  });

  it('names unknown elements and properties with near matches', () => {
    expect(() => builtinRegistry.lookup('Queue')).toThrow(new UnknownElementError('Queue', ['queue'], []));
    expect(() => builtinRegistry.property('queue', 'max-size-buffer')).toThrow(UnknownPropertyError);
    expect(() => builtinRegistry.property('queue', 'max-size-buffer')).toThrow("queue has no property 'max-size-buffer'; did you mean max-size-buffers?");
    expect(() => builtinRegistry.parseProperty('queue', 'leaky', 'yes')).toThrow(
      "invalid value 'yes' for queue leaky: expected one of no, upstream, downstream"
    );
  });

  it('creates elements from text properties, printing only what differs from the defaults', () => {
    const op = builtinRegistry.create('queue', {
      'max-size-buffers': '5',
      leaky: 'downstream',
      name: 'q',
    });
    expect(op.elements[0]).toMatchObject({
      factory: 'queue',
      name: 'q',
      props: { 'max-size-buffers': '5', leaky: 'downstream' },
      settings: { maxSizeBuffers: 5, leaky: 'downstream' },
    });
    expect(builtinRegistry.create('queue', { 'max-size-buffers': '0' }).elements[0].props).toEqual({});
  });

  it('keeps EOS from a limited source that ends first', async () => {
    const stats = await pipe(builtinRegistry.create('merge', { 'num-buffers': '100' }, { inputs: [fakeSrc({ numBuffers: 4 })] }) as never, fakeSink()).run();
    expect(stats.delivered).toBe(4);
  });
});

describe('a declared element', () => {
  const closes = { n: 0 };
  const ENDLESS = defineElement({
    name: 'endless',
    kind: 'source',
    description: 'endless test source',
    caps: { src: Caps.any() },
    properties: {
      numBuffers: NUM_BUFFERS,
      every: prop.duration({ unit: 'ms', default: 0, doc: 'unused' }),
    },
    build: (s) =>
      limitSource(
        defineSource({
          srcCaps: Caps.any(),
          fixate: () => Caps.parse('application/x-test'),
          open: (ctx) => ({
            pull: () => packet({ caps: ctx.outputCaps }),
            close: () => void closes.n++,
          }),
        }),
        s.numBuffers
      ),
  });

  it('is built from launch text with the same settings as from TypeScript', async () => {
    const r = new ElementRegistry([ENDLESS]);
    const src = r.create('endless', {
      'num-buffers': '3',
      name: 'e',
      every: '2s',
    });
    expect(src.elements[0].settings).toEqual(ENDLESS.create({ numBuffers: 3, name: 'e', every: 2e9 }).elements[0].settings);
    expect(src.elements[0].props).toEqual({ 'num-buffers': '3', every: '2s' });
    let n = 0;
    const stats = await pipe(src as never, fakeSink({ onPacket: () => void n++ })).run({ clock: new VirtualClock() });
    expect(n).toBe(3);
    expect(stats.elements[0].name).toBe('e');
    expect(closes.n).toBe(1);
  });

  it('refuses malformed declarations', () => {
    const base = { kind: 'sink' as const, description: '', caps: {} };
    expect(() => defineElement({ ...base, name: 'two words', properties: {} })).toThrow('invalid element name');
    expect(() =>
      defineElement({
        ...base,
        name: 'x',
        properties: { name: prop.string({ doc: '' }) },
      })
    ).toThrow("'name' is every element's");
    expect(() =>
      defineElement({
        ...base,
        name: 'x',
        properties: { Bad: prop.string({ doc: '' }) },
      })
    ).toThrow('camelCase');
    expect(() => prop.enum([], { doc: '' })).toThrow('needs values');
    expect(() => defineElement({ ...base, name: 'x', properties: {} }).create()).toThrow('declared but not implemented');
  });
});

describe('what is shown of a value', () => {
  it('never prints or keeps a password: URL user kept, password dropped, user-pw left out', async () => {
    const { cliRegistry } = await import('../../node/cli/registry');
    const { parseLaunch } = await import('../../operators');
    const { rtspSrc } = await import('../../node/elements/rtsp-src');
    const p = parseLaunch('rtspSrc location=rtsp://admin:hunter2@cam:8554/s user-pw=topsecret ! fakeSink', cliRegistry());
    const text = p.toString();
    expect(text).toContain('location=rtsp://admin@cam:8554/s');
    expect(text).not.toMatch(/hunter2|topsecret|user-pw/);
    expect(parseLaunch(text, cliRegistry()).toString()).toBe(text);
    const el = rtspSrc({
      location: 'rtsp://admin:hunter2@cam/s',
      userId: 'u',
      userPw: 'topsecret',
    }).elements[0];
    expect(JSON.stringify(el.settings)).not.toMatch(/hunter2|topsecret/);
    expect(el.settings).toMatchObject({
      location: 'rtsp://admin@cam/s',
      userId: 'u',
    });
    // A bad value is shown redacted in the error; a bad URL fails where the element is made.
    expect(() => rtspSrc({ location: 'http://admin:hunter2@cam/s' })).toThrow("invalid value 'http://admin@cam/s' for rtspSrc location");
    expect(() => rtspSrc({ location: 'rtsp://admin:hunter2@cam:99999/s' })).toThrow(/port/);
    expect(() => rtspSrc({ location: 'rtsp://admin:hunter2@cam:99999/s' })).not.toThrow(/hunter2/);
  });

  it('prints -0 as 0, stably, and rounds computed durations to whole nanoseconds', () => {
    const a = builtinRegistry.create('fakeSrc', { sizemin: '-0' });
    expect(a.elements[0].props).toEqual({});
    const t = builtinRegistry.create('tensorPreprocess', {
      width: '8',
      height: '8',
      mean: '-0,0,0',
      'pad-value': '-0',
    });
    expect(t.elements[0].props).toEqual({ width: '8', height: '8' });
    const id = defineElement({
      name: 'd',
      kind: 'sink',
      description: '',
      caps: {},
      properties: { t: prop.duration({ unit: 'ns', doc: '' }) },
      build: () => fakeSink(),
    });
    expect(id.create({ t: 1e9 / 30 }).elements[0].settings?.t).toBe(33_333_333);
  });
});

describe('durations', () => {
  it('read the clock form exactly and refuse what no number of nanoseconds holds', async () => {
    const { parseDuration, formatDuration } = await import('../../src');
    expect(parseDuration('1:02:03.000000004')).toBe(3_723_000_000_004);
    expect(parseDuration('2500:00:00.000000001')).toBe(2500 * 3600 * 1e9 + 1);
    expect(() => parseDuration('999999999:59:59.999999999')).toThrow('out of range');
    expect(() => parseDuration('1constructor')).toThrow("unknown duration unit 'constructor'");
    for (const ns of [0, 1, 999, 1000, 1_500_000, 50_000_000, 2e9, 7_000_000_001]) expect(parseDuration(formatDuration(ns))).toBe(ns);
  });
});

describe('factory options from JavaScript', () => {
  it('a misspelt or kebab-case property fails naming the property meant; extras and exact names pass', () => {
    expect(() => (queue as (o: object) => unknown)({ maxSizeBufers: 3 })).toThrow("queue has no property 'maxSizeBufers'; did you mean maxSizeBuffers?");
    expect(() => (queue as (o: object) => unknown)({ 'max-size-buffers': 3 })).toThrow(/did you mean maxSizeBuffers\?/);
    expect(() => (fakeSrc as (o: object) => unknown)({ numbuffers: 3 })).toThrow(/did you mean numBuffers\?/);
    expect(queue({ maxSizeBuffers: 3 }).elements[0].factory).toBe('queue');
    expect(fakeSink({ onPacket: () => undefined, sync: false }).elements[0].factory).toBe('fakeSink');
    // Extras a property's name away (overlayX beside overlay) pass when the element declares them.
    expect(videoTestSrc({ overlay: 'text', text: 'A', overlayX: 8, overlayY: 8 }).elements[0].factory).toBe('videoTestSrc');
    expect(() => (videoTestSrc as (o: object) => unknown)({ overlayy: 'text' })).toThrow(/did you mean overlay\?/);
  });
});
