export interface Classification {
  readonly index: number;
  readonly score: number;
  readonly label?: string;
}

export interface TopkOptions {
  /** Class names by index. */
  readonly labels?: readonly string[];
  /** Apply softmax first (for models that output logits). Default false. */
  readonly softmax?: boolean;
}

/** Numerically stable softmax (subtracts the maximum). */
export function softmax(x: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  const out = new Float32Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
  for (let i = 0; i < x.length; i++) out[i] /= sum;
  return out;
}

/**
 * The k best classes of one score vector, best first; ties keep the lower index first (a stable order
 * that tests can rely on). NaN scores never rank.
 */
export function topkClassification(scores: ArrayLike<number>, k: number, options: TopkOptions = {}): Classification[] {
  if (!Number.isSafeInteger(k) || k < 1) throw new RangeError(`topk k must be a positive integer, got ${k}`);
  if (options.labels && options.labels.length !== scores.length) throw new RangeError(`topk has ${options.labels.length} labels for ${scores.length} scores`);
  const s = options.softmax ? softmax(scores) : scores;
  // Partial selection: a sorted list of at most k, O(n·k), which beats a full sort for the usual k ≤ 10.
  const best: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const v = s[i];
    if (Number.isNaN(v)) continue;
    if (best.length === k && v <= s[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    best[j] = i;
    while (j > 0 && s[best[j - 1]] < v) {
      best[j] = best[j - 1];
      best[j - 1] = i;
      j--;
    }
  }
  return best.map((index) => (options.labels ? { index, score: s[index], label: options.labels[index] } : { index, score: s[index] }));
}
