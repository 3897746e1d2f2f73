import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AnnexBSplitter,
  BitReader,
  escapeRbsp,
  findStartCode,
  H264Error,
  hasEmulationPrevention,
  joinAnnexB,
  joinAvc,
  splitAnnexB,
  splitAvc,
  unescapeInPlace,
  unescapeRbsp,
} from '../../src/codecs/h264';
import { BitWriter } from './helpers';

describe('BitReader', () => {
  it('reads fixed-width fields MSB first, across byte boundaries, up to 32 bits', () => {
    const r = new BitReader(new Uint8Array([0b10110011, 0b01000000, 0xff, 0xff, 0xff, 0xff]));
    expect(r.u1()).toBe(1);
    expect(r.u(3)).toBe(0b011);
    expect(r.u(6)).toBe(0b001101);
    expect(r.u(6)).toBe(0);
    expect(r.u(32)).toBe(0xffffffff);
    expect(r.bitsLeft).toBe(0);
  });

  it('decodes the Exp-Golomb codes of clause 9.1 (Table 9-2)', () => {
    // 1 | 010 | 011 | 00100 | 00101 | 0001000 -> ue 0,1,2,3,4,7
    const w = new BitWriter().u(1, 1).u(3, 0b010).u(3, 0b011).u(5, 0b00100).u(5, 0b00101).u(7, 0b0001000);
    const r = new BitReader(w.bytesOut());
    expect([r.ue(), r.ue(), r.ue(), r.ue(), r.ue(), r.ue()]).toEqual([0, 1, 2, 3, 4, 7]);
    // se(v) maps codeNum k to (-1)^(k+1) * ceil(k/2): 0, 1, -1, 2, -2
    const s = new BitReader(new BitWriter().ue(0).ue(1).ue(2).ue(3).ue(4).bytesOut());
    expect([s.se(), s.se(), s.se(), s.se(), s.se()]).toEqual([0, 1, -1, 2, -2]);
  });

  it('round-trips random sequences of u(n), ue and se (property)', () => {
    const field = fc.oneof(
      fc.tuple(fc.constant('u' as const), fc.integer({ min: 1, max: 32 }), fc.nat()).map(([k, n, v]) => ({ k, n, v: v % 2 ** n })),
      fc.tuple(fc.constant('ue' as const), fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 2 })).map(([k, n, v]) => ({ k, n, v })),
      fc.tuple(fc.constant('se' as const), fc.constant(0), fc.integer({ min: -(2 ** 30), max: 2 ** 30 })).map(([k, n, v]) => ({ k, n, v })),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 40 }), (fields) => {
        const w = new BitWriter();
        for (const f of fields) {
          if (f.k === 'u') w.u(f.n, f.v);
          else if (f.k === 'ue') w.ue(f.v);
          else w.se(f.v);
        }
        const r = new BitReader(w.bytesOut());
        for (const f of fields) expect(f.k === 'u' ? r.u(f.n) : f.k === 'ue' ? r.ue() : r.se()).toBe(f.v);
      }),
    );
  });

  it('throws H264Error(truncated) past the end, and (invalid) on an over-long code', () => {
    const r = new BitReader(new Uint8Array([0xff]));
    r.u(6);
    expect(() => r.u(3)).toThrowError(expect.objectContaining({ kind: 'truncated' }));
    expect(() => new BitReader(new Uint8Array(2)).ue()).toThrowError(expect.objectContaining({ kind: 'truncated' }));
    expect(() => new BitReader(new Uint8Array(8)).ue()).toThrowError(expect.objectContaining({ kind: 'invalid' }));
    expect(() => new BitReader(new Uint8Array([0x20])).ueMax(2, 'x')).toThrowError(H264Error);
  });

  it('answers more_rbsp_data() from the position of the stop bit', () => {
    const r = new BitReader(new Uint8Array([0b10110000]));
    r.u(2);
    expect(r.moreRbspData()).toBe(true);
    r.u(1);
    expect(r.moreRbspData()).toBe(false);
    expect(new BitReader(new Uint8Array([0x80, 0, 0])).moreRbspData()).toBe(false);
  });
});

describe('emulation prevention', () => {
  it('removes 03 after 00 00, and only there', () => {
    const nal = new Uint8Array([0x65, 0, 0, 3, 1, 0, 0, 3, 0, 3, 0, 0, 4]);
    expect([...unescapeRbsp(nal)]).toEqual([0x65, 0, 0, 1, 0, 0, 0, 3, 0, 0, 4]);
    expect(hasEmulationPrevention(nal)).toBe(true);
    const plain = new Uint8Array([0x67, 0, 3, 0, 1]);
    expect(unescapeRbsp(plain).buffer).toBe(plain.buffer); // a view, no copy, when there is nothing to remove
  });

  it('escape then unescape is the identity, and escaped data holds no start code (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }).map((a) => a.map((b) => (b < 8 ? b & 3 : b))), (rbsp) => {
        const esc = escapeRbsp(rbsp);
        expect(findStartCode(esc)).toBe(-1);
        // 00 00 00..02 must never occur in a NAL payload
        for (let i = 2; i < esc.length; i++) expect(esc[i - 2] === 0 && esc[i - 1] === 0 && esc[i] <= 2).toBe(false);
        const copy = esc.slice();
        const n = unescapeInPlace(copy);
        const back = copy.subarray(0, n);
        // A trailing 00 gains a 03 so that it cannot merge with a following start code; unescaping drops
        // that 03 only after 00 00, so compare the original length.
        expect([...back.subarray(0, rbsp.length)]).toEqual([...rbsp]);
        expect(back.length - rbsp.length).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('start codes and NAL splitting', () => {
  const nals = [new Uint8Array([0x67, 1, 2, 3]), new Uint8Array([0x68, 9]), new Uint8Array([0x65, 0, 0, 3, 1, 0xff])];

  it('findStartCode finds 3-byte start codes and skips everything else', () => {
    const d = new Uint8Array([9, 0, 0, 2, 0, 0, 0, 1, 5, 0, 0, 1]);
    expect(findStartCode(d)).toBe(5);
    expect(findStartCode(d, 6)).toBe(9);
    expect(findStartCode(d, 10)).toBe(-1);
  });

  it('splitAnnexB and joinAnnexB are inverse; leading garbage and trailing zeros go', () => {
    const stream = joinAnnexB(nals);
    expect(splitAnnexB(stream).map((n) => [...n])).toEqual(nals.map((n) => [...n]));
    const messy = new Uint8Array([7, 7, ...stream.subarray(0, 8), 0, 0, ...stream.subarray(8), 0, 0, 0]);
    expect(splitAnnexB(messy).map((n) => [...n])).toEqual(nals.map((n) => [...n]));
  });

  it('AnnexBSplitter gives the same NALs for every chunking, views when a NAL lies in one chunk (property)', () => {
    const stream = new Uint8Array([1, 2, ...joinAnnexB(nals), 0, 0, 1, 0x41, 0, 0, 0, 0, 1, 0x09, 0xf0]);
    const whole = splitAnnexB(stream).map((n) => [...n]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const s = new AnnexBSplitter();
        const got: number[][] = [];
        let pos = 0;
        for (let i = 0; pos < stream.length; i++) {
          const n = sizes[i % sizes.length];
          for (const nal of s.push(stream.subarray(pos, pos + n))) got.push([...nal]);
          pos += n;
        }
        for (const nal of s.flush()) got.push([...nal]);
        expect(got).toEqual(whole);
        expect(s.skippedBytes).toBe(3); // 1, 2 and the zero_byte
      }),
    );
    const s = new AnnexBSplitter();
    const out = [...s.push(stream), ...s.flush()];
    expect(out[1].buffer).toBe(stream.buffer);
  });

  it('splitAvc and joinAvc are inverse for every length size; bad lengths throw H264Error', () => {
    for (const ls of [1, 2, 4] as const) {
      expect(splitAvc(joinAvc(nals, ls), ls).map((n) => [...n])).toEqual(nals.map((n) => [...n]));
    }
    const sample = joinAvc(nals);
    expect(() => splitAvc(sample.subarray(0, sample.length - 1))).toThrowError(expect.objectContaining({ kind: 'truncated' }));
    expect(() => joinAvc([new Uint8Array(300)], 1)).toThrowError(H264Error);
  });
});
