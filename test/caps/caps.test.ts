import { describe, expect, it } from 'vitest';
import {
  Caps,
  caps,
  explainMismatch,
  fraction,
  intersectValues,
  isValueSubset,
  fractionRange,
  intRange,
  list,
  MEMORY_CUDA,
  MEMORY_DMABUF,
  MEMORY_SYSTEM,
  MEMORY_VIDEO_FRAME,
  MEMORY_WEBGPU,
  structure,
} from '../../src/caps';

const P = (s: string): Caps => Caps.parse(s);
const inter = (a: string, b: string): string => P(a).intersect(P(b)).toString();

describe('intersect', () => {
  it('keeps the first operand’s list order and collapses single results', () => {
    expect(inter('v/x, f={ NV12, I420, RGBA }', 'v/x, f={ RGBA, NV12 }')).toBe('v/x, f=(string){ NV12, RGBA }');
    expect(inter('v/x, f={ RGBA, NV12 }', 'v/x, f={ NV12, I420, RGBA }')).toBe('v/x, f=(string){ RGBA, NV12 }');
    expect(inter('v/x, f={ NV12, I420 }', 'v/x, f={ I420, RGBA }')).toBe('v/x, f=(string)I420');
    expect(inter('v/x, f={ NV12, I420 }', 'v/x, f=RGBA')).toBe('EMPTY');
  });

  it('intersects ranges, collapsing a single value', () => {
    expect(inter('v/x, w=[ 1, 640 ]', 'v/x, w=[ 320, 1920 ]')).toBe('v/x, w=(int)[ 320, 640 ]');
    expect(inter('v/x, w=[ 1, 640 ]', 'v/x, w=[ 640, 1920 ]')).toBe('v/x, w=(int)640');
    expect(inter('v/x, w=[ 1, 640 ]', 'v/x, w=1920')).toBe('EMPTY');
    expect(inter('v/x, w=[ 1, 640 ]', 'v/x, w={ 320, 1920, 480 }')).toBe('v/x, w=(int){ 320, 480 }');
    expect(inter('v/x, r=[ 0/1, 30/1 ]', 'v/x, r=[ 25/1, 60/1 ]')).toBe('v/x, r=(fraction)[ 25/1, 30/1 ]');
    expect(inter('v/x, r=[ 0/1, 30/1 ]', 'v/x, r=[ 30/1, 60/1 ]')).toBe('v/x, r=(fraction)30/1');
    expect(inter('v/x, r=[ 0/1, 30/1 ]', 'v/x, r={ 60/1, 30000/1001 }')).toBe('v/x, r=(fraction)30000/1001');
  });

  it('intersects stepped int ranges (any steps, via lcm)', () => {
    expect(inter('v/x, w=[ 0, 100, 4 ]', 'v/x, w=[ 0, 100, 6 ]')).toBe('v/x, w=(int)[ 0, 96, 12 ]');
    expect(inter('v/x, w=[ 1, 10 ]', 'v/x, w=[ 2, 10, 2 ]')).toBe('v/x, w=(int)[ 2, 10, 2 ]');
    expect(inter('v/x, w=[ 1, 9, 2 ]', 'v/x, w=[ 2, 10, 2 ]')).toBe('EMPTY');
    expect(inter('v/x, w=[ 1, 100, 3 ]', 'v/x, w=[ 0, 100, 5 ]')).toBe('v/x, w=(int)[ 10, 100, 15 ]');
    expect(inter('v/x, w=[ 16, 4096, 16 ]', 'v/x, w=1920')).toBe('v/x, w=(int)1920');
    expect(inter('v/x, w=[ 16, 4096, 16 ]', 'v/x, w=1080')).toBe('EMPTY');
  });

  it('keeps types apart: int vs double vs fraction vs string', () => {
    expect(inter('v/x, a=30', 'v/x, a=30/1')).toBe('EMPTY');
    expect(inter('v/x, a=1.5', 'v/x, a=[ 1, 2 ]')).toBe('EMPTY');
    expect(inter('v/x, a=(string)30', 'v/x, a=30')).toBe('EMPTY');
    expect(inter('v/x, a=(double)2.0', 'v/x, a=2')).toBe('v/x, a=(int)2');
  });

  it('keeps fields present in only one operand', () => {
    expect(inter('video/x-raw, format=NV12', 'video/x-raw, width=640')).toBe('video/x-raw, format=(string)NV12, width=(int)640');
  });

  it('requires equal names and feature sets', () => {
    expect(inter('video/x-raw(memory:CUDAMemory), format=NV12', 'video/x-raw, format=NV12')).toBe('EMPTY');
    expect(inter('video/x-raw, format=NV12', 'audio/x-raw, format=NV12')).toBe('EMPTY');
    expect(inter('video/x-raw(memory:CUDAMemory)', 'video/x-raw(memory:CUDAMemory, meta:X)')).toBe('EMPTY');
    expect(inter('v/x(meta:A, memory:DMABuf), w=1', 'v/x(memory:DMABuf, meta:A)')).toBe('v/x(meta:A, memory:DMABuf), w=(int)1');
    expect(inter('v/x(memory:SystemMemory), w=1', 'v/x')).toBe('v/x, w=(int)1');
  });

  it('unions pairwise results across structures, dropping contained ones', () => {
    expect(inter('video/x-raw(memory:CUDAMemory), format=NV12; video/x-raw, format={ I420, NV12 }', 'video/x-raw, format=NV12')).toBe(
      'video/x-raw, format=(string)NV12'
    );
    expect(inter('v/x, w=[ 1, 10 ]; v/x, w=[ 1, 20 ]', 'v/x, w=[ 5, 8 ]')).toBe('v/x, w=(int)[ 5, 8 ]');
  });

  it('treats ANY as identity and EMPTY as absorbing', () => {
    const c = P('video/x-raw, format=NV12');
    expect(Caps.any().intersect(c)).toBe(c);
    expect(c.intersect(Caps.any())).toBe(c);
    expect(c.intersect(Caps.empty()).isEmpty()).toBe(true);
    expect(Caps.any().intersect(Caps.any()).isAny).toBe(true);
  });
});

describe('isSubset / equals / union', () => {
  it('decides simple containment', () => {
    expect(P('v/x, f=NV12, w=640').isSubset(P('v/x, f={ NV12, I420 }'))).toBe(true);
    expect(P('v/x').isSubset(P('v/x, f=NV12'))).toBe(false); // absent = unconstrained
    expect(P('v/x, w=[ 2, 10, 2 ]').isSubset(P('v/x, w=[ 1, 10 ]'))).toBe(true);
    expect(P('v/x, w=[ 1, 10 ]').isSubset(P('v/x, w=[ 2, 10, 2 ]'))).toBe(false);
    expect(P('v/x(memory:CUDAMemory)').isSubset(P('v/x'))).toBe(false);
    expect(P('v/x').isSubset(Caps.any())).toBe(true);
    expect(Caps.any().isSubset(P('v/x'))).toBe(false);
    expect(Caps.empty().isSubset(P('v/x'))).toBe(true);
  });

  it('is exact when several structures cover one jointly', () => {
    expect(P('v/x, w=[ 1, 10 ]').isSubset(P('v/x, w=[ 1, 5 ]; v/x, w=[ 6, 10 ]'))).toBe(true);
    expect(P('v/x, w=[ 1, 10 ]').isSubset(P('v/x, w=[ 1, 5 ]; v/x, w=[ 7, 10 ]'))).toBe(false);
    expect(P('v/x, w=[ 0, 10 ]').isSubset(P('v/x, w=[ 0, 10, 2 ]; v/x, w=[ 1, 9, 2 ]'))).toBe(true);
    expect(P('v/x, w=[ 0, 11 ]').isSubset(P('v/x, w=[ 0, 10, 3 ]; v/x, w=[ 1, 11, 3 ]; v/x, w=[ 2, 11, 3 ]'))).toBe(true);
    expect(P('v/x, w=[ 0, 12 ]').isSubset(P('v/x, w=[ 0, 10, 3 ]; v/x, w=[ 1, 11, 3 ]; v/x, w=[ 2, 11, 3 ]'))).toBe(false);
    expect(P('v/x, f={ NV12, I420 }').isSubset(P('v/x, f=NV12; v/x, f=I420'))).toBe(true);
    // 2-D: the box [0,9]x[0,9] as two slabs with different splits.
    expect(P('v/x, w=[ 0, 9 ], h=[ 0, 9 ]').isSubset(P('v/x, w=[ 0, 4 ]; v/x, w=[ 5, 9 ], h=[ 0, 9 ]'))).toBe(true);
    expect(P('v/x, w=[ 0, 9 ], h=[ 0, 9 ]').isSubset(P('v/x, w=[ 0, 4 ]; v/x, w=[ 5, 9 ], h=[ 0, 8 ]'))).toBe(false);
  });

  it('is exact at fraction range endpoints (no open ranges needed in the API)', () => {
    expect(P('v/x, r=[ 0/1, 60/1 ]').isSubset(P('v/x, r=[ 0/1, 30/1 ]; v/x, r=[ 30/1, 60/1 ]'))).toBe(true);
    expect(P('v/x, r=[ 0/1, 60/1 ]').isSubset(P('v/x, r=[ 0/1, 30/1 ]; v/x, r=[ 31/1, 60/1 ]'))).toBe(false);
    // Removing the point 30/1 and adding it back covers the whole range.
    expect(P('v/x, r=[ 0/1, 60/1 ]').isSubset(P('v/x, r=[ 0/1, 60/1 ], w=1; v/x, w={ 2, 3 }'))).toBe(false);
    expect(P('v/x, r=[ 0/1, 60/1 ], w=1').isSubset(P('v/x, r=[ 0/1, 30/1 ]; v/x, r=[ 30/1, 60/1 ], w={ 1, 2 }'))).toBe(true);
  });

  it('compares single values and structures exactly, lists covering jointly', () => {
    expect(isValueSubset(intRange(1, 10), list(intRange(1, 5), intRange(6, 10)))).toBe(true);
    expect(isValueSubset(intRange(1, 10), list(intRange(1, 5), intRange(7, 10)))).toBe(false);
    expect(isValueSubset(intRange(0, 10), list(intRange(0, 10, 2), intRange(1, 9, 2)))).toBe(true);
    const r = (a: number, b: number) => fractionRange(fraction(a, 1), fraction(b, 1));
    expect(isValueSubset(r(0, 2), list(r(0, 1), r(1, 2)))).toBe(true);
    expect(isValueSubset(r(0, 2), list(r(0, 1), fractionRange(fraction(3, 2), fraction(2, 1))))).toBe(false);
    expect(isValueSubset(list('a', 'b'), list('b', 'c', 'a'))).toBe(true);
    expect(isValueSubset(fraction(1, 2), r(0, 1))).toBe(true);
    expect(isValueSubset(1, r(0, 1))).toBe(false);
    expect(intersectValues(list(1, intRange(3, 9, 3)), intRange(2, 7))).toEqual(intRange(3, 6, 3));
    expect(intersectValues(list(7, intRange(3, 9, 3), 1), intRange(1, 7))).toEqual(list(7, intRange(3, 6, 3), 1));
    expect(intersectValues(list(1, intRange(3, 9, 3)), 'x')).toBeNull();
    expect(structure('v/x', { w: intRange(1, 10), h: 1 }).isSubset(structure('v/x', { w: list(intRange(1, 5), intRange(6, 10)) }))).toBe(true);
    expect(structure('v/x', { w: 1 }).isSubset(structure('v/x', { w: 1, h: 1 }))).toBe(false);
  });

  it('compares as sets', () => {
    expect(P('v/x, f={ NV12, I420 }').equals(P('v/x, f={ I420, NV12 }'))).toBe(true);
    expect(P('v/x, f={ NV12, I420 }').equals(P('v/x, f=NV12; v/x, f=I420'))).toBe(true);
    expect(P('v/x, f={ NV12, I420 }').equals(P('v/x, f=NV12'))).toBe(false);
    expect(P('v/x; v/x, w=1').equals(P('v/x'))).toBe(true);
    expect(P('EMPTY').equals(Caps.empty())).toBe(true);
    expect(P('ANY').equals(P('v/x'))).toBe(false);
  });

  it('simplifies unions', () => {
    expect(P('v/x, f=NV12').union(P('v/x')).toString()).toBe('v/x');
    expect(P('v/x, w=[ 1, 5 ]').union(P('v/x, w=[ 6, 10 ]')).toString()).toBe('v/x, w=(int)[ 1, 5 ]; v/x, w=(int)[ 6, 10 ]');
    expect(P('v/x').union(Caps.any()).isAny).toBe(true);
    expect(P('v/x, w=1').union(P('v/x, w=1')).toString()).toBe('v/x, w=(int)1');
  });
});

describe('fixate / isFixed', () => {
  it('picks the first structure, first list item and range minima', () => {
    const c = P(
      'video/x-raw, format={ I420, NV12 }, width=[ 320, 1920 ], height=[ 240, 1080, 8 ], ' +
        'framerate=[ 15/1, 60/1 ], m={ [ 5, 9 ], 1 }; video/x-raw, format=RGBA'
    );
    expect(c.isFixed()).toBe(false);
    const f = c.fixate();
    expect(f.isFixed()).toBe(true);
    expect(f.toString()).toBe('video/x-raw, format=(string)I420, width=(int)320, height=(int)240, framerate=(fraction)15/1, m=(int)5');
    expect(f.fixate()).toBe(f);
  });

  it('knows fixed caps', () => {
    expect(P('v/x, w=1').isFixed()).toBe(true);
    expect(P('v/x').isFixed()).toBe(true);
    expect(P('v/x, w=1; v/x, w=2').isFixed()).toBe(false);
    expect(Caps.any().isFixed()).toBe(false);
    expect(Caps.empty().isFixed()).toBe(false);
  });
});

describe('builders and accessors', () => {
  it('builds caps with values and memory features', () => {
    const c = caps(
      'video/x-raw',
      {
        format: list('NV12', 'I420'),
        width: intRange(1, 4096),
        height: intRange(2, 2160, 2),
        framerate: fraction(60, 2),
        range: fractionRange(fraction(0, 1), fraction(30, 1)),
        interlaced: false,
        par: fraction(-2, -4),
      },
      [MEMORY_WEBGPU]
    );
    expect(c.toString()).toBe(
      'video/x-raw(memory:WebGPU), format=(string){ NV12, I420 }, width=(int)[ 1, 4096 ], height=(int)[ 2, 2160, 2 ], ' +
        'framerate=(fraction)30/1, range=(fraction)[ 0/1, 30/1 ], interlaced=(boolean)false, par=(fraction)1/2'
    );
    expect(c.memory).toBe(MEMORY_WEBGPU);
    expect(c.mediaType).toBe('video/x-raw');
    expect(c.equals(Caps.parse(c.toString()))).toBe(true);
    expect(caps('v/x', {}, [MEMORY_SYSTEM]).toString()).toBe('v/x');
    expect(caps('v/x', {}, ['memory:VideoFrame']).memory).toBe(MEMORY_VIDEO_FRAME);
    expect(caps('v/x').memory).toBe(MEMORY_SYSTEM);
    expect(Caps.empty().memory).toBe(MEMORY_SYSTEM);
    expect(Caps.any().mediaType).toBeUndefined();
    expect([MEMORY_CUDA, MEMORY_DMABUF]).toEqual(['CUDAMemory', 'DMABuf']);
    expect(Caps.of(structure('a/b', { x: 1 }), structure('c/d')).structures.map((s) => s.name)).toEqual(['a/b', 'c/d']);
    expect(Caps.of().isEmpty()).toBe(true);
  });

  it('normalises values on construction', () => {
    expect(fraction(4, -6)).toEqual({ kind: 'fraction', num: -2, den: 3 });
    expect(fraction(0, -5)).toEqual({ kind: 'fraction', num: 0, den: 1 });
    expect(intRange(0, 10, 4)).toEqual({ kind: 'intRange', min: 0, max: 8, step: 4 });
    expect(caps('v/x', { w: intRange(3, 3), l: list('a', list('b', 'a')), r: fractionRange(fraction(1, 2), fraction(2, 4)) }).toString()).toBe(
      'v/x, w=(int)3, l=(string){ a, b }, r=(fraction)1/2'
    );
    expect(caps('v/x', { d: 1.5, i: -0, big: 1e21 }).toString()).toBe('v/x, d=(double)1.5, i=(int)0, big=(double)1e+21');
  });

  it('rejects invalid values and names', () => {
    expect(() => fraction(1, 0)).toThrow(RangeError);
    expect(() => fraction(1.5, 2)).toThrow(RangeError);
    expect(() => intRange(5, 1)).toThrow(RangeError);
    expect(() => intRange(1, 5, 0)).toThrow(RangeError);
    expect(() => fractionRange(fraction(2, 1), fraction(1, 1))).toThrow(RangeError);
    expect(() => list()).toThrow(RangeError);
    expect(() => structure('1bad')).toThrow(RangeError);
    expect(() => structure('v/x', { 'bad name': 1 })).toThrow(RangeError);
    expect(() => structure('v/x', { w: Number.NaN })).toThrow(RangeError);
    expect(() => structure('v/x', {}, ['bad feature'])).toThrow(RangeError);
  });

  it('is immutable', () => {
    const c = P('v/x, f={ a, b }, w=[ 1, 2 ]');
    expect(Object.isFrozen(c.structures)).toBe(true);
    expect(Object.isFrozen(c.structures[0].fields)).toBe(true);
    expect(Object.isFrozen(c.structures[0].features)).toBe(true);
    expect(Object.isFrozen(c.get('f'))).toBe(true);
    expect(Object.isFrozen(c.get('w'))).toBe(true);
  });

  it('does not confuse field names with Object.prototype members', () => {
    const c = P('v/x, constructor=1');
    expect(c.get('toString')).toBeUndefined();
    expect(inter('v/x, constructor=1', 'v/x, constructor=2')).toBe('EMPTY');
    expect(inter('v/x', 'v/x, constructor=2')).toBe('v/x, constructor=(int)2');
  });
});

describe('explainMismatch', () => {
  it('names the fields that do not intersect with both values', () => {
    expect(
      explainMismatch(P('video/x-raw, format={ NV12, I420 }, width=[ 1, 640 ], height=480'), P('video/x-raw, format=RGBA, width=1920, height=480'))
    ).toEqual(['video/x-raw: format: { NV12, I420 } vs RGBA; width: [ 1, 640 ] vs 1920']);
  });

  it('names media types and features, one line per structure pair', () => {
    expect(explainMismatch(P('video/x-raw(memory:CUDAMemory), format=NV12; audio/x-raw'), P('video/x-raw, format=NV12, framerate=[ 0/1, 30/1 ]'))).toEqual([
      'video/x-raw: features memory:CUDAMemory vs memory:SystemMemory',
      'audio/x-raw vs video/x-raw',
    ]);
    expect(explainMismatch(P('v/x, r=60/1'), P('v/x, r=[ 0/1, 30/1 ]'))).toEqual(['v/x: r: 60/1 vs [ 0/1, 30/1 ]']);
  });

  it('is empty when the caps intersect, and mentions EMPTY operands', () => {
    expect(explainMismatch(P('v/x, f={ a, b }'), P('v/x, f=b'))).toEqual([]);
    expect(explainMismatch(Caps.any(), P('v/x'))).toEqual([]);
    expect(explainMismatch(Caps.empty(), P('v/x'))).toEqual(['left caps are EMPTY']);
    expect(explainMismatch(Caps.any(), Caps.empty())).toEqual(['right caps are EMPTY']);
  });
});

describe('caps() and Caps.parse', () => {
  it('caps() given a caps string names Caps.parse', () => {
    expect(() => caps('video/x-raw, format=I420')).toThrow(
      /caps\(\): "video\/x-raw, format=I420" is not a media type; to parse a caps string use Caps\.parse\("video\/x-raw, format=I420"\)/
    );
    expect(caps('video/x-raw', { format: 'I420' }).equals(Caps.parse('video/x-raw, format=(string)I420'))).toBe(true);
  });
});
