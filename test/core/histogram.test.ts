import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/pipeline/histogram';

describe('Histogram', () => {
  it('quantiles are within 2% of the exact order statistic', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000_000 }), { minLength: 1, maxLength: 300 }), fc.constantFrom(0.5, 0.95, 0.99), (values, q) => {
        const h = new Histogram();
        values.forEach((v) => h.record(v));
        const sorted = [...values].sort((a, b) => a - b);
        const exact = sorted[Math.max(0, Math.ceil(q * values.length) - 1)];
        const got = h.quantile(q);
        return Math.abs(got - exact) <= Math.max(1, exact * 0.02);
      }),
      { numRuns: 500 },
    );
  });

  it('summarises an empty histogram as NaN and tracks min/max/mean', () => {
    const h = new Histogram();
    expect(h.summary().count).toBe(0);
    expect(h.summary().p50).toBeNaN();
    [10, 20, 30].forEach((v) => h.record(v));
    expect(h.summary()).toMatchObject({ count: 3, min: 10, max: 30, mean: 20 });
  });
});
