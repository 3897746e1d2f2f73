import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { setStartCodeFinder, splitAnnexB, splitAnnexBInto } from '../../src/codecs/h264/nal';
import { nativeStartCodeFinder } from '../../node/drivers/start-code';
import { encodedAus, hex } from '../rtp/helpers';
import { requirePeer } from '../peers';

requirePeer('ffmpeg');

afterEach(() => void setStartCodeFinder(undefined));

/** The definition, byte by byte: NAL units lie between 00 00 01 start codes, trailing zero bytes excluded. */
function reference(data: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < data.length; i++) if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) starts.push(i);
  return starts.flatMap((sc, k) => {
    let end = k + 1 < starts.length ? starts[k + 1] : data.length;
    while (end > sc + 3 && data[end - 1] === 0) end--;
    return end > sc + 3 ? [data.subarray(sc + 3, end)] : [];
  });
}

const split = (data: Uint8Array): Uint8Array[] => {
  const out: Uint8Array[] = [];
  splitAnnexBInto(data, out);
  return out;
};

// Start codes of 3 and 4 bytes, bare zeros and ones, and random bytes: the cases a scan can get wrong.
const piece = fc.oneof(
  fc.constant(Uint8Array.of(0, 0, 1)),
  fc.constant(Uint8Array.of(0, 0, 0, 1)),
  fc.constant(Uint8Array.of(0)),
  fc.constant(Uint8Array.of(1)),
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
);
const stream = fc.array(piece, { maxLength: 30 }).map((ps) => {
  const out = new Uint8Array(ps.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of ps) {
    out.set(p, o);
    o += p.length;
  }
  return out;
});

describe('splitAnnexB / splitAnnexBInto', () => {
  for (const finder of ['portable', 'native'] as const) {
    it(`property (${finder} search): the NAL units the definition gives, as plain views of the input`, () => {
      fc.assert(
        fc.property(stream, fc.nat(7), (bytes, pad) => {
          setStartCodeFinder(undefined);
          const expected = reference(bytes).map(hex);
          expect(splitAnnexB(bytes).map(hex)).toEqual(expected);
          // At an offset inside a larger buffer (a Node Buffer, as file reads give), with bytes either side.
          const backing = Buffer.alloc(bytes.length + 2 * pad + 1, 0x55);
          backing.set(bytes, pad);
          const view = backing.subarray(pad, pad + bytes.length);
          if (finder === 'native') setStartCodeFinder(nativeStartCodeFinder);
          const got = split(view);
          expect(got.map(hex)).toEqual(expected);
          for (const n of got) {
            expect(n.buffer).toBe(backing.buffer);
            expect(Object.getPrototypeOf(n)).toBe(Uint8Array.prototype);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('appends to the array it is given', () => {
    const out = [Uint8Array.of(9)];
    splitAnnexBInto(Uint8Array.of(0, 0, 1, 0x65, 7, 0, 0, 0, 1, 0x41, 0, 0), out);
    expect(out.map(hex)).toEqual(['09', '6507', '41']);
  });

  it('splits a real stream as the definition does, with either search', async () => {
    const { bytes } = await encodedAus({ profile: 'high', frames: 10, bframes: 2 });
    const expected = reference(bytes).map(hex);
    expect(split(bytes).map(hex)).toEqual(expected);
    setStartCodeFinder(nativeStartCodeFinder);
    expect(split(bytes).map(hex)).toEqual(expected);
  });
});
