import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BRIGHTNESS, brightness } from '../../examples/brightness';
import { ElementRegistry, pipe, PropertyValueError, type CpuMemory, type Packet } from 'glass2glass';
import { builtinElements, fakeSink, parseLaunch, videoTestSrc } from 'glass2glass/operators';

/** The README's element, used from TypeScript and from launch syntax. */
describe('an element written in one file (examples/brightness.ts)', () => {
  const lumaOf = async (run: (sink: ReturnType<typeof fakeSink>) => Promise<unknown>) => {
    const seen: number[] = [];
    await run(fakeSink({ onPacket: (p: Packet) => void seen.push((p.memory as CpuMemory).data[0]) }));
    return seen;
  };

  it('works from TypeScript with its declared default', async () => {
    // black is Y=16 in video range
    const seen = await lumaOf((sink) => pipe(videoTestSrc({ pattern: 'black', format: 'I420', numBuffers: 2 }), brightness(), sink).run());
    expect(seen).toEqual([32, 32]);
  });

  it('works in launch syntax from a registry that lists it, and prints back', async () => {
    const registry = new ElementRegistry([...builtinElements, BRIGHTNESS]);
    const p = parseLaunch('videoTestSrc pattern=black format=I420 num-buffers=1 ! brightness delta=-20 ! brightness ! fakeSink', registry);
    expect(p.toString()).toContain('brightness name=brightness0 delta=-20 ! brightness name=brightness1 ! ');
    expect(parseLaunch(p.toString(), registry).toString()).toBe(p.toString());
    expect((await p.run()).delivered).toBe(1);
    const fromText = registry.create('brightness', { delta: '-20' }) as ReturnType<typeof brightness>;
    const seen = await lumaOf((sink) => pipe(videoTestSrc({ pattern: 'black', format: 'I420', numBuffers: 1 }), fromText, sink).run());
    expect(seen).toEqual([0]);
    expect(registry.lookup('brightness').toJSON()).toMatchObject({
      properties: [{ name: 'name' }, { name: 'delta', type: 'int', default: '16', min: -255, max: 255 }],
    });
  });

  it('refuses a value out of range, from TypeScript and launch alike', () => {
    const registry = new ElementRegistry([...builtinElements, BRIGHTNESS]);
    expect(() => brightness({ delta: 300 })).toThrow(PropertyValueError);
    expect(() => brightness({ delta: 300 })).toThrow("invalid value '300' for brightness delta: expected an integer in [-255, 255]");
    expect(() => parseLaunch('videoTestSrc ! brightness delta=300 ! fakeSink', registry)).toThrow(
      "invalid value '300' for brightness delta: expected an integer in [-255, 255]"
    );
  });

  it("is what the README shows (below the file's header comment)", () => {
    const file = readFileSync(new URL('../../examples/brightness.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = /```ts\n\/\/ brightness\.ts[^\n]*\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBe(file.slice(file.indexOf('*/\n') + 3));
  });
});
