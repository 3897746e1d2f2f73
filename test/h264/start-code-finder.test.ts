import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AccessUnitAssembler } from '../../src/codecs/h264';
import { findStartCode, setStartCodeFinder } from '../../src/codecs/h264/nal';
import { nativeStartCodeFinder } from '../../node/drivers/start-code';
import { encodeH264, readBytes } from '../fixtures/h264';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

afterEach(() => void setStartCodeFinder(undefined));

function units(data: Uint8Array, chunk: number): string[] {
  const a = new AccessUnitAssembler();
  const out: string[] = [];
  const take = (us: readonly { data: Uint8Array; keyframe: boolean }[]) => us.forEach((u) => out.push(`${u.data.length}:${u.keyframe}:${u.data[u.data.length - 1]}`));
  for (let i = 0; i < data.length; i += chunk) take(a.push(data.subarray(i, i + chunk)));
  take(a.flush());
  return out;
}

describe('the native start-code finder (Node)', () => {
  it('finds exactly what the portable scan finds, on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }).map((a) => a.map((b) => (b < 160 ? b % 2 : b))), fc.nat(300), (data, from) => {
        const f = Math.min(from, data.length);
        expect(nativeStartCodeFinder(data, f)).toBe(findStartCode(data, f));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same access units as the portable scan on a real stream, in any chunking', async () => {
    const data = readBytes(await encodeH264({ profile: 'high', frames: 30, bframes: 2 }));
    for (const chunk of [1, 7, 4096, data.length]) {
      setStartCodeFinder(undefined);
      const portable = units(data, chunk);
      setStartCodeFinder(nativeStartCodeFinder);
      expect(units(data, chunk)).toEqual(portable);
    }
  });
});
