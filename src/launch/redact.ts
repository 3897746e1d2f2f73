/**
 * What of a launch line may be echoed (errors show it with a caret): every password blanked out, the rest as
 * written. Passwords are found in the text itself, since a line that failed to parse has no AST: the
 * `user:password@` of any URL, and the value of a property whose name says it is one (`user-pw=…`).
 */

/** Stands for a hidden part, whatever its length (the length would say something about the secret). */
export const HIDDEN = '***';

/** A half-open range [start, end) of the text. */
export type Span = readonly [start: number, end: number];

/** The text as shown, and where a position of the original text lands in it. */
export interface Redacted {
  readonly text: string;
  readonly at: (position: number) => number;
}

/** Property names that hold a password or token (`user-pw`, `password`, `api-token`), case-insensitive. */
const SECRET_KEY = /(?:^|[-_])(?:pw|pwd|pass|passwd|password|passphrase|secret|token)$/i;
const KEY_CHAR = /[\w-]/;
const SPACE = /\s/;
const OPEN: Readonly<Record<string, string>> = {
  '(': ')',
  '[': ']',
  '{': '}',
  '<': '>',
};

/**
 * The password of every URL: after `://`, the authority runs to the first `/`, `?` or `#` (not to a space:
 * a quoted value may hold one), and its credentials to its last `@`, as parseRtspUrl splits them; the user
 * name, up to the first `:`, stays. Where no `/` follows a URL and a later `@` does, more than the password
 * is hidden: the safe side.
 */
function urlPasswords(text: string, out: Span[]): void {
  for (let i = text.indexOf('://'); i >= 0; i = text.indexOf('://', i + 3)) {
    const start = i + 3;
    let end = start;
    let at = -1;
    while (end < text.length && !'/?#'.includes(text[end])) {
      if (text[end] === '@') at = end;
      end++;
    }
    if (at < 0) continue;
    let colon = start;
    while (colon < at && text[colon] !== ':') colon++;
    if (colon < at) out.push([colon + 1, at]);
    // Whatever follows was scanned already; a URL inside the hidden part is hidden with it.
    i = end - 3;
  }
}

/** Where a value starting at `i` ends, as the launch lexer reads it: a quoted string or a bare run. */
function valueEnd(text: string, i: number): number {
  const q = text[i];
  if (q === '"' || q === "'") {
    let k = i + 1;
    while (k < text.length && text[k] !== q) k += text[k] === '\\' ? 2 : 1;
    return Math.min(k + 1, text.length);
  }
  // Brackets keep a value whole across spaces, as the lexer reads `{NV12, I420}`.
  const closers: string[] = [];
  let k = i;
  for (; k < text.length; k++) {
    const c = text[k];
    if (closers.length === 0 && (c === '!' || SPACE.test(c))) break;
    if (c === '\\') k++;
    else if (OPEN[c]) closers.push(OPEN[c]);
    else if (c === closers[closers.length - 1]) closers.pop();
  }
  return Math.min(k, text.length);
}

/** The values of properties named like passwords (`user-pw=hunter2`, `password="a b"`). */
function secretValues(text: string, out: Span[]): void {
  for (let eq = text.indexOf('='); eq >= 0; eq = text.indexOf('=', eq + 1)) {
    let end = eq; // the lexer allows spaces around '='
    while (end > 0 && SPACE.test(text[end - 1])) end--;
    let k = end;
    while (k > 0 && KEY_CHAR.test(text[k - 1])) k--;
    if (!SECRET_KEY.test(text.slice(k, end))) continue;
    let v = eq + 1;
    while (v < text.length && SPACE.test(text[v])) v++;
    const stop = valueEnd(text, v);
    if (stop > v) out.push([v, stop]);
  }
}

/**
 * `text` with its passwords, and the `hidden` spans (values of properties declared secret), replaced by
 * HIDDEN. Linear in the text.
 */
export function redactLaunch(text: string, hidden: readonly Span[] = []): Redacted {
  const spans: Span[] = [...hidden];
  urlPasswords(text, spans);
  secretValues(text, spans);
  return hide(text, spans);
}

/**
 * A message (an error's reason) with every URL password hidden. Only URLs: a reason never quotes a secret
 * value (Property.display hides it) but may name one (`needs user-pw= (a string)`), which must stay readable.
 */
export function redactUrls(text: string): string {
  const spans: Span[] = [];
  urlPasswords(text, spans);
  return hide(text, spans).text;
}

function hide(text: string, spans: readonly Span[]): Redacted {
  const merged: [number, number][] = [];
  for (const [s, e] of spans.filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  if (merged.length === 0) return { text, at: (p) => p };
  let shown = '';
  let from = 0;
  for (const [s, e] of merged) {
    shown += text.slice(from, s) + HIDDEN;
    from = e;
  }
  shown += text.slice(from);
  const at = (position: number): number => {
    let shift = 0;
    for (const [s, e] of merged) {
      if (position < s) break;
      if (position < e) return s + shift; // inside a hidden part: its start
      shift += HIDDEN.length - (e - s);
    }
    return position + shift;
  };
  return { text: shown, at };
}
