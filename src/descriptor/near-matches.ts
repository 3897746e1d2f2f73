const normal = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

/** Longest word a suggestion is looked for: a longer one is no typo, and it bounds the work for hostile input. */
export const MAX_WORD = 64;

/**
 * Optimal string alignment distance (edits, counting a swap of neighbours as one), or `max + 1` when it is
 * more than `max`. Only the diagonal band |i - j| ≤ max can hold a distance ≤ max, so the work is
 * O(|a| · (2·max + 1)), and it stops as soon as a whole row of the band exceeds `max`.
 */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const over = max + 1;
  const width = b.length + 1;
  // Rows i - 2, i - 1 and i of the table, reused in turn. A row reads the band of the two before it, which
  // they wrote, and cells just above the band, which no earlier row reached (still `over`); only the cell
  // left of its own band holds a stale value, so it is reset.
  let back2 = new Array<number>(width).fill(over);
  let back = new Array<number>(width).fill(over);
  let row = new Array<number>(width).fill(over);
  for (let j = 0; j <= Math.min(b.length, max); j++) back[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(b.length, i + max);
    row[lo - 1] = lo === 1 && i <= max ? i : over;
    let best = row[lo - 1];
    for (let j = lo; j <= hi; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(back[j] + 1, row[j - 1] + 1, back[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, back2[j - 2] + 1);
      row[j] = Math.min(d, over);
      if (row[j] < best) best = row[j];
    }
    if (best > max) return over;
    [back2, back, row] = [back, row, back2];
  }
  return back[b.length];
}

/**
 * The candidates `word` is most likely a typo of, best first: same letters ignoring case and dashes
 * (`fakesrc`, `numBuffers`), containment (`queu`), then a few edits (a third of the word, for words of
 * three letters or more). Words longer than MAX_WORD get none.
 */
export function nearMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  if (word.length > MAX_WORD) return [];
  const w = normal(word);
  const edits = w.length < 3 ? 0 : Math.max(1, Math.floor(w.length / 3));
  const scored: [number, string][] = [];
  for (const c of candidates) {
    // A candidate much longer than any word we suggest for is no match either (and costs nothing to skip).
    if (c.length > 2 * MAX_WORD) continue;
    const n = normal(c);
    if (n === w) scored.push([0, c]);
    else if (w.length >= 3 && (n.includes(w) || w.includes(n))) scored.push([1, c]);
    else {
      const d = boundedDistance(w, n, edits);
      if (d <= edits) scored.push([1 + d, c]);
    }
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, max)
    .map(([, c]) => c);
}
