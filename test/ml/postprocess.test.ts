import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ctcCharset, ctcGreedyDecode } from '../../src/ml/postprocess/ctc';
import { convexHull, dbBoxes, minAreaRect, rectCorners, unclipRect } from '../../src/ml/postprocess/db';
import { softmax, topkClassification } from '../../src/ml/postprocess/topk';

describe('topkClassification', () => {
  it('returns the k best, best first, with labels', () => {
    const r = topkClassification([0.1, 0.7, 0.05, 0.15], 2, { labels: ['a', 'b', 'c', 'd'] });
    expect(r).toEqual([
      { index: 1, score: 0.7, label: 'b' },
      { index: 3, score: 0.15, label: 'd' },
    ]);
  });

  it('softmax option turns logits into probabilities', () => {
    const r = topkClassification([0, Math.log(3)], 1, { softmax: true });
    expect(r[0].index).toBe(1);
    expect(r[0].score).toBeCloseTo(0.75, 6);
    expect([...softmax([1000, 1000])]).toEqual([0.5, 0.5]);
  });

  it('matches a full sort (ties: lower index first) and skips NaN', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(Number.NaN)), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 10 }), (xs, k) => {
        const expected = xs
          .map((v, i) => ({ v, i }))
          .filter(({ v }) => !Number.isNaN(v))
          .sort((a, b) => b.v - a.v || a.i - b.i)
          .slice(0, k)
          .map(({ i }) => i);
        expect(topkClassification(xs, k).map((c) => c.index)).toEqual(expected);
      }),
    );
  });

  it('validates k and labels', () => {
    expect(() => topkClassification([1], 0)).toThrow(RangeError);
    expect(() => topkClassification([1, 2], 1, { labels: ['a'] })).toThrow(RangeError);
  });
});

describe('ctcGreedyDecode', () => {
  const charset = ctcCharset('a\nb\nc\n');
  it('builds the PP-OCR charset: blank, dictionary, space', () => {
    expect(charset).toEqual(['', 'a', 'b', 'c', ' ']);
  });

  /** One-hot rows for a sequence of class indices. */
  const onehot = (seq: number[], classes = 5) => {
    const p = new Float32Array(seq.length * classes);
    seq.forEach((c, t) => (p[t * classes + c] = 0.9));
    return p;
  };

  it('merges repeats and drops blanks', () => {
    // a a _ a b b _ _ c ␠ c → "aab c"... worked by hand: [a][a]→a, _, a, [b b]→b, _, _, c, ␠, c
    const r = ctcGreedyDecode(onehot([1, 1, 0, 1, 2, 2, 0, 0, 3, 4, 3]), 11, 5, charset);
    expect(r.text).toBe('aabc c');
    expect(r.score).toBeCloseTo(0.9, 6);
  });

  it('all blanks decode to the empty string', () => {
    expect(ctcGreedyDecode(onehot([0, 0, 0]), 3, 5, charset)).toEqual({ text: '', score: 1 });
  });

  it('a blank between equal labels keeps both (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 20 }), (labels) => {
        const seq = labels.flatMap((l) => [l, l, 0]);
        expect(ctcGreedyDecode(onehot(seq), seq.length, 5, charset).text).toBe(labels.map((l) => charset[l]).join(''));
      }),
    );
  });

  it('validates sizes', () => {
    expect(() => ctcGreedyDecode(new Float32Array(4), 1, 5, charset)).toThrow(RangeError);
    expect(() => ctcGreedyDecode(new Float32Array(5), 1, 5, ['a'])).toThrow(RangeError);
  });
});

describe('DB text boxes', () => {
  /** A map with filled rectangles of probability p. */
  const map = (w: number, h: number, rects: [number, number, number, number, number][]) => {
    const m = new Float32Array(w * h);
    for (const [x0, y0, rw, rh, p] of rects) for (let y = y0; y < y0 + rh; y++) for (let x = x0; x < x0 + rw; x++) m[y * w + x] = p;
    return m;
  };

  it('minAreaRect of an axis-aligned point grid and of a rotated square', () => {
    const pts = [];
    for (let y = 0; y <= 2; y++) for (let x = 0; x <= 4; x++) pts.push({ x, y });
    const r = minAreaRect(pts);
    expect(r.width * r.height).toBeCloseTo(8, 9);
    expect(r.center.x).toBeCloseTo(2, 9);
    expect(r.center.y).toBeCloseTo(1, 9);
    const diamond = minAreaRect([{ x: 0, y: 1 }, { x: 1, y: 0 }, { x: 2, y: 1 }, { x: 1, y: 2 }]);
    expect(diamond.width * diamond.height).toBeCloseTo(2, 9);
    expect(convexHull([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }, { x: 1, y: 0.2 }, { x: 1, y: 0 }])).toHaveLength(3);
  });

  it('unclip grows each side by area·ratio/perimeter', () => {
    const r = unclipRect({ center: { x: 0, y: 0 }, width: 10, height: 2, axis: { x: 1, y: 0 } }, 1.5);
    const d = (20 * 1.5) / 24;
    expect(r.width).toBeCloseTo(10 + 2 * d, 9);
    expect(r.height).toBeCloseTo(2 + 2 * d, 9);
    const c = rectCorners(r);
    expect(c[0].x).toBeCloseTo(-r.width / 2, 9);
    expect(c[0].y).toBeCloseTo(-r.height / 2, 9);
    expect(c[2].x).toBeCloseTo(r.width / 2, 9);
  });

  it('finds two regions in reading order, drops weak and tiny ones, maps through geometry', () => {
    const w = 40, h = 20;
    const m = map(w, h, [
      [20, 2, 12, 7, 0.9], // right word, line 1
      [2, 3, 10, 7, 0.8], // left word, line 1 (lower top edge, still the same line)
      [2, 12, 10, 6, 0.4], // weak: mean below boxThreshold
      [30, 14, 2, 2, 0.95], // tiny: shorter side below minSize
    ]);
    const boxes = dbBoxes(m, w, h, { unclipRatio: 0 });
    expect(boxes).toHaveLength(2);
    // Pixel centres 2.5..11.5 → bounds x 2.5, width 9.
    expect(boxes[0].bounds.x).toBeCloseTo(2.5, 9);
    expect(boxes[0].bounds.width).toBeCloseTo(9, 9);
    expect(boxes[0].score).toBeCloseTo(0.8, 6);
    expect(boxes[1].bounds.x).toBeCloseTo(20.5, 9);
    // Geometry: map is a 2x downscale of a frame offset by (100, 50).
    const mapped = dbBoxes(m, w, h, { unclipRatio: 0, geometry: { source: { x: 100, y: 50, width: 80, height: 40 }, content: { x: 0, y: 0, width: 40, height: 20 } } });
    expect(mapped[0].bounds.x).toBeCloseTo(105, 9);
    expect(mapped[0].bounds.width).toBeCloseTo(18, 9);
    expect(mapped[0].bounds.y).toBeCloseTo(57, 9);
  });

  it('every region above both thresholds yields a box containing all its pixels (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 4, max: 15 }), fc.integer({ min: 4, max: 10 }), (x0, y0, rw, rh) => {
        const m = map(40, 32, [[x0, y0, rw, rh, 1]]);
        const [b, ...rest] = dbBoxes(m, 40, 32);
        expect(rest).toHaveLength(0);
        expect(b.bounds.x).toBeLessThanOrEqual(x0 + 0.5);
        expect(b.bounds.y).toBeLessThanOrEqual(y0 + 0.5);
        expect(b.bounds.x + b.bounds.width).toBeGreaterThanOrEqual(x0 + rw - 0.5);
        expect(b.bounds.y + b.bounds.height).toBeGreaterThanOrEqual(y0 + rh - 0.5);
      }),
    );
  });
});
