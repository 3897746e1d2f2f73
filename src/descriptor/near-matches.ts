const normal = (s: string) => s.toLowerCase().replace(/[-_]/g, '');

/** Longest word compared letter by letter: the distance is quadratic, and a longer one is no typo. */
const MAX_WORD = 64;

/** Optimal string alignment distance (edits, counting a swap of neighbours as one). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidates `word` is most likely a typo of, best first: same letters ignoring case and dashes
 * (`fakesrc`, `numBuffers`), containment (`queu`), then a few edits (a third of the word, for words of
 * three letters or more).
 */
export function nearMatches(word: string, candidates: Iterable<string>, max = 3): string[] {
  if (word.length > MAX_WORD) return [];
  const w = normal(word);
  const edits = w.length < 3 ? 0 : Math.max(1, Math.floor(w.length / 3));
  const scored: [number, string][] = [];
  for (const c of candidates) {
    const n = normal(c);
    if (n === w) scored.push([0, c]);
    else if (w.length >= 3 && (n.includes(w) || w.includes(n))) scored.push([1, c]);
    else if (Math.abs(n.length - w.length) <= edits) {
      const d = distance(w, n);
      if (d <= edits) scored.push([1 + d, c]);
    }
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, max)
    .map(([, c]) => c);
}
