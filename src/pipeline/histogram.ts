/**
 * A log-linear histogram of non-negative values (ns) with bounded memory and ~1.6% relative error,
 * so per-packet latency of a pipeline running for days costs a fixed 8 KiB.
 */
const SUB_BUCKETS = 64; // per power of two: 1/64 ≈ 1.6% resolution
const MAX_EXP = 48; // up to 2^48 ns ≈ 3.3 days

export class Histogram {
  private readonly counts = new Float64Array(MAX_EXP * SUB_BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  record(value: number): void {
    const v = value < 0 ? 0 : value;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.counts[Histogram.index(v)]++;
  }

  private static index(v: number): number {
    if (v < SUB_BUCKETS) return Math.floor(v);
    const exp = Math.floor(Math.log2(v)) - 6; // v in [2^(exp+6), 2^(exp+7))
    const sub = Math.floor(v / 2 ** exp) - SUB_BUCKETS; // 0..63
    return Math.min(MAX_EXP * SUB_BUCKETS - 1, (exp + 1) * SUB_BUCKETS + sub);
  }

  private static lower(i: number): number {
    if (i < SUB_BUCKETS) return i;
    const exp = Math.floor(i / SUB_BUCKETS) - 1;
    const sub = i % SUB_BUCKETS;
    return (SUB_BUCKETS + sub) * 2 ** exp;
  }

  /** The value at quantile q (0..1): the midpoint of the bucket holding it, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) {
        const lo = Histogram.lower(i);
        const hi = Histogram.lower(i + 1);
        return Math.min(this.max, Math.max(this.min, (lo + hi) / 2));
      }
    }
    return this.max;
  }

  summary(): LatencySummary {
    if (this.count === 0) return { count: 0, mean: NaN, p50: NaN, p95: NaN, p99: NaN, min: NaN, max: NaN };
    return {
      count: this.count,
      mean: this.sum / this.count,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      min: this.min,
      max: this.max,
    };
  }
}

/** Distribution of a time in ns. */
export interface LatencySummary {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}
