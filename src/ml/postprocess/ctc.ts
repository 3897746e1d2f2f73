export interface CtcResult {
  readonly text: string;
  /** Mean probability of the kept characters (1 for an empty result). */
  readonly score: number;
}

/**
 * PP-OCR's character list: index 0 is the CTC blank, then the dictionary's lines, then a space
 * (PaddleOCR's use_space_char), so class i is `chars[i]`.
 */
export function ctcCharset(dictionary: string, space = true): string[] {
  const lines = dictionary.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ...(space ? [' '] : [])];
}

/**
 * Greedy CTC decoding of one sequence: the best class per time step, repeats merged, blanks (class
 * `blank`, default 0) dropped. `probs` is [steps × classes], row-major.
 */
export function ctcGreedyDecode(probs: ArrayLike<number>, steps: number, classes: number, charset: readonly string[], blank = 0): CtcResult {
  if (!Number.isSafeInteger(steps) || !Number.isSafeInteger(classes) || steps < 0 || classes < 1) throw new RangeError(`ctc needs integer steps and classes, got ${steps}x${classes}`);
  if (probs.length < steps * classes) throw new RangeError(`ctc input has ${probs.length} values for ${steps}x${classes}`);
  if (charset.length !== classes) throw new RangeError(`ctc charset has ${charset.length} entries for ${classes} classes`);
  let text = '';
  let sum = 0;
  let kept = 0;
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < classes; c++) {
      const p = probs[row + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== blank && best !== prev) {
      text += charset[best];
      sum += bestP;
      kept++;
    }
    prev = best;
  }
  return { text, score: kept === 0 ? 1 : sum / kept };
}
