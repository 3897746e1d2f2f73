import { CapsParseError, Caps } from '../src/caps';
import type { ElementLinks, ElementRegistry, Properties } from '../src/descriptor';
import { nearMatches } from '../src/descriptor/near-matches';
import type { AstCaps, AstElement, LaunchAst } from '../src/launch/ast';
import { LaunchError } from '../src/launch/errors';
import { parseLaunchAst } from '../src/launch/parse';
import type { Span } from '../src/launch/redact';
import type { Operator, Sink, Source } from '../src/operator';
import { compose, Pipeline } from '../src/pipeline/pipeline';
import { capsFilter } from './caps-filter';
import { builtinRegistry } from './elements';

/** One element of the launch graph, before it is created (a tee's branches must exist first). */
interface Node {
  readonly label: string;
  readonly name: string | undefined;
  readonly kind: 'source' | 'transform' | 'sink';
  readonly pads: 'fan-out' | 'fan-in' | undefined;
  readonly pos: number;
  readonly ups: Link[];
  readonly downs: Link[];
  readonly make: (links?: ElementLinks) => Operator;
}

/** A `!`, with where each end was written (an element or a reference to it). */
interface Link {
  readonly from: Node;
  readonly to: Node;
  readonly fromPos: number;
  readonly toPos: number;
}

const NAME_RE = /^[A-Za-z_][\w-]*$/;

/**
 * Builds a pipeline from launch syntax: `fakeSrc num-buffers=10 ! queue ! fakeSink`. Inline caps become
 * capsFilter elements; `tee name=t ! a t. ! b` makes a tee whose branches are the chains after it and
 * those starting at `t.` (in the order written); chains ending in `! m.` are the inputs of a merge named m.
 * Elements and typed property values come from `registry`. Errors are LaunchErrors pointing at the text.
 */
export function parseLaunch(text: string, registry: ElementRegistry = builtinRegistry): Pipeline {
  return buildLaunch(parseLaunchAst(text), registry);
}

export function buildLaunch(ast: LaunchAst, registry: ElementRegistry = builtinRegistry): Pipeline {
  const hidden = secretValues(ast, registry);
  const fail = (reason: string, pos: number, cause?: unknown): never => {
    throw new LaunchError(reason, pos, ast.input, { cause, hidden });
  };
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const nodes: Node[] = [];
  const named = new Map<string, Node>();

  const elementNode = (n: AstElement): Node => {
    let entry;
    try {
      entry = registry.lookup(n.factory);
    } catch (e) {
      return fail(message(e), n.pos);
    }
    const values: Record<string, unknown> = {};
    for (const p of n.props) {
      let option = '';
      try {
        option = registry.property(entry, p.key);
      } catch (e) {
        fail(message(e), p.pos);
      }
      if (option in values) fail(`${n.factory}: property '${p.key}' is set twice`, p.pos);
      try {
        values[option] = entry.parse(p.key, p.value);
      } catch (e) {
        fail(message(e), p.valuePos);
      }
      if (p.key === 'name') {
        if (!NAME_RE.test(p.value)) fail(`invalid name '${p.value}': use letters, digits, '_' and '-'`, p.valuePos);
        if (named.has(p.value)) fail(`two elements are named '${p.value}'`, p.valuePos);
      }
    }
    const name = values.name as string | undefined;
    const label = name === undefined ? n.factory : `${n.factory} '${name}'`;
    const make = (links?: ElementLinks): Operator => {
      let op: Operator;
      try {
        op = entry.create(values, links);
      } catch (e) {
        return fail(`${label}: ${message(e)}`, n.pos, e);
      }
      return op;
    };
    const node: Node = {
      label,
      name,
      kind: entry.kind,
      pads: entry.pads,
      pos: n.pos,
      ups: [],
      downs: [],
      make,
    };
    if (name !== undefined) named.set(name, node);
    return node;
  };

  const capsNode = (n: AstCaps): Node => {
    let filter: Caps;
    try {
      filter = Caps.parse(n.text);
    } catch (e) {
      return fail(`invalid caps: ${e instanceof CapsParseError ? e.reason : message(e)}`, n.pos + (e instanceof CapsParseError ? e.position : 0));
    }
    return {
      label: `caps '${n.text}'`,
      name: undefined,
      kind: 'transform',
      pads: undefined,
      pos: n.pos,
      ups: [],
      downs: [],
      make: () => capsFilter(filter),
    };
  };

  // Elements first, so a reference may come before the element it names (as gst-launch allows).
  const chains = ast.chains.map((c) =>
    c.nodes.map((n) => {
      if (n.type === 'ref') return n;
      const node = n.type === 'element' ? elementNode(n) : capsNode(n);
      nodes.push(node);
      return { node, pos: n.pos };
    })
  );

  for (const chain of chains) {
    const resolved = chain.map((item, k) => {
      if ('node' in item) return item;
      const ref = `${item.name}.`;
      if (chain.length === 1) fail(`reference '${ref}' is not linked to anything`, item.pos);
      if (k !== 0 && k !== chain.length - 1)
        fail(`a reference can only start a chain (to read from '${item.name}') or end one (to feed it), not link through '${ref}'`, item.pos);
      const target = named.get(item.name);
      if (!target) {
        const near = nearMatches(item.name, named.keys());
        const shown = clip(item.name);
        fail(
          `no element named '${shown}'${near.length ? `; did you mean ${near.map((x) => `${x}.`).join(' or ')}?` : ` (name one with name=${shown})`}`,
          item.pos
        );
      }
      return { node: target!, pos: item.pos };
    });
    for (let k = 1; k < resolved.length; k++) {
      const a = resolved[k - 1];
      const b = resolved[k];
      const link: Link = {
        from: a.node,
        to: b.node,
        fromPos: a.pos,
        toPos: b.pos,
      };
      a.node.downs.push(link);
      b.node.ups.push(link);
    }
  }

  // Links that must not exist first: they say more than the missing ones they cause.
  for (const n of nodes) checkExtraLinks(n, fail);
  for (const n of nodes) checkMissingLinks(n, fail);

  // The trunk starts at the one source whose stream does not go into a merge.
  const feedsFanIn = (n: Node): boolean => {
    const seen = new Set<Node>();
    let cur = n.downs[0].to;
    while (cur.kind === 'transform') {
      if (seen.has(cur)) fail(`the pipeline loops back into ${cur.label}`, cur.pos);
      seen.add(cur);
      cur = cur.downs[0].to;
    }
    return cur.kind === 'source';
  };
  const trunks = nodes.filter((n) => n.kind === 'source' && !feedsFanIn(n));
  if (trunks.length === 0) fail(nodes.some((n) => n.kind === 'source') ? 'the pipeline loops back into its own input' : 'the pipeline has no source', 0);
  if (trunks.length > 1)
    fail(
      `${trunks[1].label} starts a second pipeline; link it to the first (started by ${trunks[0].label} at position ${trunks[0].pos}) or run it separately`,
      trunks[1].pos
    );

  const used = new Set<Node>();
  const enter = (n: Node): void => {
    if (used.has(n)) fail(`${n.label} is reached twice: a loop, or a branch joining another`, n.pos);
    used.add(n);
  };
  const buildSource = (n: Node): Operator => {
    enter(n);
    if (n.kind === 'source') return n.make(n.pads === 'fan-in' ? { inputs: n.ups.map((l) => buildSource(l.from) as Source<any>) } : undefined);
    const up = buildSource(n.ups[0].from);
    return compose([up, n.make()]) as Operator;
  };
  const buildSink = (n: Node): Operator => {
    enter(n);
    if (n.kind === 'sink') return n.make(n.pads === 'fan-out' ? { branches: n.downs.map((l) => buildSink(l.to) as Sink<any>) } : undefined);
    const op = n.make();
    return compose([op, buildSink(n.downs[0].to)]) as Operator;
  };

  let sink = trunks[0];
  while (sink.kind !== 'sink') sink = sink.downs[0].to;
  const head = buildSource(sink.ups[0].from);
  const pipeline = compose([head, buildSink(sink)]);
  const stray = nodes.find((n) => !used.has(n));
  if (stray) fail(`${stray.label} is not connected to the pipeline`, stray.pos);
  if (!(pipeline instanceof Pipeline)) return fail('the pipeline must start with a source and end with a sink', 0);
  return pipeline;
}

/** A name as messages quote it: the caret shows where it is, so a huge one need not be repeated whole. */
const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}…` : s);

/** Where the values of properties declared secret are written, for errors to hide (password-like names are hidden anyway). */
function secretValues(ast: LaunchAst, registry: ElementRegistry): Span[] {
  const spans: Span[] = [];
  for (const chain of ast.chains) {
    for (const n of chain.nodes) {
      const d = n.type === 'element' ? registry.get(n.factory) : undefined;
      if (n.type !== 'element' || !d) continue;
      for (const p of n.props) {
        const option = d.option(p.key);
        if (option !== undefined && (d.properties as Properties)[option].secret) spans.push([p.valuePos, p.valueEnd]);
      }
    }
  }
  return spans;
}

/** A source takes no input (a merge takes several); a sink has no output (a tee has several). */
function checkExtraLinks(n: Node, fail: (reason: string, pos: number) => never): void {
  const { ups, downs, label } = n;
  if (n.kind === 'source' && n.pads !== 'fan-in' && ups.length > 0) fail(`${label} is a source: ${ups[0].from.label} cannot link into it`, ups[0].toPos);
  if (n.kind === 'sink' && n.pads !== 'fan-out' && downs.length > 0) fail(`${label} is a sink: it cannot link to ${downs[0].to.label}`, downs[0].fromPos);
  if (n.kind !== 'source' && ups.length > 1) fail(`${label} has ${ups.length} inputs; only a fan-in element (merge) takes several`, ups[1].toPos);
  if (n.kind !== 'sink' && downs.length > 1)
    fail(`${label} links to ${downs.length} elements; only a fan-out element (tee) has several branches`, downs[1].fromPos);
}

/** Everything but a source has one input (a merge, one or more); everything but a sink one output (a tee, one or more). */
function checkMissingLinks(n: Node, fail: (reason: string, pos: number) => never): void {
  const { ups, downs, label } = n;
  const ref = n.name === undefined ? `give it name=NAME, then use 'NAME.'` : `use '${n.name}.'`;
  if (ups.length === 0) {
    if (n.pads === 'fan-in') fail(`${label} has no inputs: end each input chain with '!' and a reference to it (${ref})`, n.pos);
    if (n.kind !== 'source') fail(`${label} has no input: link an upstream element into it with '!'`, n.pos);
  }
  if (downs.length === 0) {
    if (n.pads === 'fan-out') fail(`${label} has no branches: link one after it with '!', more with references (${ref})`, n.pos);
    if (n.kind !== 'sink') fail(`${label} is not linked to a sink: add '! fakeSink' or another sink after it`, n.pos);
  }
}
