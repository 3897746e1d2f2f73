/** The syntax tree of a launch line: chains of nodes linked by `!`, chains separated by whitespace. */
export interface LaunchAst {
  readonly input: string;
  readonly chains: readonly AstChain[];
}

/** Nodes linked in order (`a ! b ! c`). */
export interface AstChain {
  readonly nodes: readonly AstNode[];
}

export type AstNode = AstElement | AstCaps | AstRef;

export interface AstElement {
  readonly type: 'element';
  readonly factory: string;
  readonly props: readonly AstProperty[];
  /** Offset of the factory name. */
  readonly pos: number;
}

export interface AstProperty {
  readonly key: string;
  /** The value with quotes and escapes removed. */
  readonly value: string;
  readonly pos: number;
  readonly valuePos: number;
  /** Offset just past the value as written (quotes included): `[valuePos, valueEnd)` is what to hide of a secret. */
  readonly valueEnd: number;
}

/** An inline caps filter: `! video/x-raw,format=NV12 !`. */
export interface AstCaps {
  readonly type: 'caps';
  readonly text: string;
  /** Offset of the caps text; caps parse errors add their own offset to it. */
  readonly pos: number;
}

/** A reference to a named element (`t.` or `t.src_1`): a chain starting with one reads from it, ending with one feeds it. */
export interface AstRef {
  readonly type: 'ref';
  readonly name: string;
  readonly pad: string | undefined;
  readonly pos: number;
}
