import type { AstChain, AstElement, AstNode, AstProperty, LaunchAst } from './ast';
import { LaunchError } from './errors';

const WORD = /[A-Za-z_][\w+-]*/y;
const KEY = /[A-Za-z_][\w-]*/y;
const PAD = /[\w%]*/y;
const OPEN: Readonly<Record<string, string>> = {
  '(': ')',
  '[': ']',
  '{': '}',
  '<': '>',
};

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/**
 * Parses gst-launch syntax (a practical subset) into chains of nodes:
 *   line     := chain (chain)*                   chains are separated by whitespace
 *   chain    := node ('!' node)*
 *   node     := element | caps | ref
 *   element  := factory (key '=' value)*         value: bare, "double" or 'single' quoted, `\` escapes
 *   caps     := media/type[,field=value…]        only after '!', runs to the next '!'
 *   ref      := name '.' [pad]                    `t.` reads from or feeds the element named t
 * Pure and runtime-agnostic; errors are LaunchErrors with the offending position.
 */
export function parseLaunchAst(input: string): LaunchAst {
  return new Parser(input).parse();
}

class Parser {
  private i = 0;

  constructor(private readonly s: string) {}

  private fail(reason: string, pos = this.i): never {
    throw new LaunchError(reason, pos, this.s);
  }

  private skipSpace(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  private match(re: RegExp, at = this.i): string | undefined {
    re.lastIndex = at;
    return re.exec(this.s)?.[0] || undefined;
  }

  parse(): LaunchAst {
    const chains: { nodes: AstNode[] }[] = [];
    let current: { nodes: AstNode[] } | undefined;
    let bang = -1; // position of a '!' still waiting for its right-hand node
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) break;
      if (this.s[this.i] === '!') {
        if (bang >= 0) this.fail("expected an element, caps or reference after '!', got another '!'");
        if (!current) this.fail("'!' links two elements, but nothing comes before it");
        bang = this.i++;
        continue;
      }
      const node = this.node(bang >= 0);
      if (bang >= 0 && current) current.nodes.push(node);
      else chains.push((current = { nodes: [node] }));
      bang = -1;
    }
    if (bang >= 0) this.fail("expected an element, caps or reference after '!'", bang);
    if (chains.length === 0) this.fail('empty pipeline', 0);
    return { input: this.s, chains: chains as AstChain[] };
  }

  private node(afterBang: boolean): AstNode {
    const start = this.i;
    const c = this.s[start];
    if (c === '"' || c === "'") {
      if (!afterBang) this.fail("quoted caps must come between two elements, after a '!'");
      return { type: 'caps', text: this.quoted(), pos: start + 1 };
    }
    const word = this.match(WORD);
    if (!word) this.fail(`expected an element, caps or reference, got '${c}'`);
    const after = this.s[start + word.length];
    if (after === '/') {
      if (!afterBang) this.fail("a caps filter must come between two elements, after a '!'");
      return this.caps(start);
    }
    if (after === '.') {
      this.i = start + word.length + 1;
      const pad = this.match(PAD);
      this.i += pad?.length ?? 0;
      this.boundary();
      return { type: 'ref', name: word, pad, pos: start };
    }
    if (after === '=') this.fail(`property '${word}' has no element before it`);
    this.i = start + word.length;
    this.boundary();
    return {
      type: 'element',
      factory: word,
      props: this.properties(),
      pos: start,
    } satisfies AstElement;
  }

  /** A node ends at whitespace, a '!' or the end of the line. */
  private boundary(): void {
    const c = this.s[this.i];
    if (c !== undefined && c !== '!' && !isSpace(c)) this.fail(`unexpected character '${c}'`);
  }

  private properties(): AstProperty[] {
    const props: AstProperty[] = [];
    for (;;) {
      this.skipSpace();
      const pos = this.i;
      const key = this.match(KEY);
      if (!key) return props;
      let j = pos + key.length;
      while (isSpace(this.s[j])) j++;
      // Not `key=`: the word starts the next chain (an element, a reference or caps).
      if (this.s[j] !== '=') return props;
      j++;
      while (isSpace(this.s[j])) j++;
      this.i = j;
      const value = this.value(key);
      props.push({ key, value, pos, valuePos: j, valueEnd: this.i });
    }
  }

  private value(key: string): string {
    const c = this.s[this.i];
    if (c === '"' || c === "'") return this.quoted();
    let out = '';
    const depth: { ch: string; pos: number }[] = [];
    for (;;) {
      const ch = this.s[this.i];
      if (ch === undefined) break;
      if (depth.length === 0 && (ch === '!' || isSpace(ch))) break;
      if (ch === '\\' && this.i + 1 < this.s.length) {
        out += this.s[this.i + 1];
        this.i += 2;
        continue;
      }
      // Brackets keep caps values such as {NV12, I420} or [1, 640] whole even with spaces.
      if (OPEN[ch]) depth.push({ ch, pos: this.i });
      else if (depth.length && ch === OPEN[depth[depth.length - 1].ch]) depth.pop();
      out += ch;
      this.i++;
    }
    const open = depth.pop();
    if (open) this.fail(`unclosed '${open.ch}' in the value of '${key}'`, open.pos);
    if (out === '') this.fail(`missing value for '${key}'`);
    return out;
  }

  /** A quoted string starting at `this.i`; `\"` (or `\'`) and `\\` are escapes. */
  private quoted(): string {
    const start = this.i;
    const q = this.s[start];
    let out = '';
    let k = start + 1;
    for (;;) {
      const ch = this.s[k];
      if (ch === undefined) this.fail(`unterminated ${q === '"' ? 'double' : 'single'}-quoted string`, start);
      if (ch === q) break;
      if (ch === '\\' && (this.s[k + 1] === q || this.s[k + 1] === '\\')) {
        out += this.s[k + 1];
        k += 2;
        continue;
      }
      out += ch;
      k++;
    }
    this.i = k + 1;
    this.boundary();
    return out;
  }

  /** Caps run to the next '!' outside quotes and brackets (they may hold spaces: `video/x-raw, format=NV12`). */
  private caps(start: number): AstNode {
    let k = start;
    const depth: string[] = [];
    let quote: string | undefined;
    for (; k < this.s.length; k++) {
      const ch = this.s[k];
      if (quote) {
        if (ch === '\\') k++;
        else if (ch === quote) quote = undefined;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (OPEN[ch]) depth.push(OPEN[ch]);
      else if (ch === depth[depth.length - 1]) depth.pop();
      else if (ch === '!' && depth.length === 0) break;
    }
    this.i = k;
    return { type: 'caps', text: this.s.slice(start, k).trimEnd(), pos: start };
  }
}
