import { Caps, explainMismatch } from '../caps';
import type { AnyElement, Chain, SinkElement, SourceElement, TransformElement } from '../element';
import { NegotiationError } from './errors';

/** The outcome of negotiation for one chain (and, recursively, its branches and inputs). */
export interface NegotiatedChain {
  readonly elements: readonly AnyElement[];
  readonly names: readonly string[];
  /** Per element: the input caps it accepts given everything downstream (undefined for a source). */
  readonly accept: readonly (Caps | undefined)[];
  /** Per element: the output caps everything downstream allows (undefined for a sink). */
  readonly allowed: readonly (Caps | undefined)[];
  /** Per element: the caps it will output (fixed, or unfixed where the stream decides); the sink's input. */
  readonly caps: readonly Caps[];
  /** Per element: the buffer metas everything after its output honours (GStreamer's allocation query). */
  readonly metas: readonly (readonly string[])[];
  readonly branches?: readonly NegotiatedChain[];
  readonly inputs?: readonly NegotiatedChain[];
}

/** Gives each element its unique instance name in a pipeline (see `namer`). */
export type Namer = (el: AnyElement) => string;

/** Input caps a transform accepts when `downstream` is what its output may be (GStreamer's caps query). */
function transformAccept(el: TransformElement, downstream: Caps): Caps {
  if (el.acceptCaps) return el.acceptCaps(downstream).intersect(el.sinkCaps);
  if (el.passthrough) return downstream.intersect(el.sinkCaps);
  return el.sinkCaps;
}

function intersectMetas(a: readonly string[], b: readonly string[]): readonly string[] {
  return a.filter((m) => b.includes(m));
}

/** The metas an element honours on its input, given those honoured after its output. */
function metasIn(el: AnyElement, after: readonly string[], branchMetas: () => readonly string[]): readonly string[] {
  if (el.kind === 'transform') {
    if (el.metas === 'forward') return after;
    // A passthrough element that reads the frame also hands it on: what it honours and what follows does.
    if (el.passthrough && el.metas) return intersectMetas(el.metas, after);
    return el.metas ?? NO_METAS;
  }
  if (el.kind === 'sink') {
    if (!el.branches?.length) return el.metas ?? NO_METAS;
    const b = branchMetas();
    return el.metas ? intersectMetas(el.metas, b) : b;
  }
  return NO_METAS;
}

const NO_METAS: readonly string[] = Object.freeze([]);

/** The metas honoured by every one of these chains from its head on. */
function branchesMetas(chains: readonly Chain[]): readonly string[] {
  return chains.map(queryMetas).reduce((acc, m) => intersectMetas(acc, m));
}

/** What a chain honours at its head (a tee branch, a merge input's downstream). */
function queryMetas(chain: Chain): readonly string[] {
  let after: readonly string[] = NO_METAS;
  for (let i = chain.elements.length - 1; i >= 0; i--) {
    const el = chain.elements[i];
    after = metasIn(el, after, () => branchesMetas((el as SinkElement).branches ?? []));
  }
  return after;
}

function sinkAccept(el: SinkElement, branches: readonly Branch[], name: Namer): Caps {
  const handed = el.branchCaps;
  if (handed) {
    // The branches get what it hands on, not its input: each must take some of that.
    const failing = branches.find((b) => b.accept.intersect(handed).isEmpty());
    if (failing)
      throw new NegotiationError(
        name(el),
        name(failing.chain.elements[0]),
        explainMismatch(handed, failing.accept),
        'the branch takes none of what it hands on'
      );
    return el.sinkCaps;
  }
  let acc = el.sinkCaps;
  for (const b of branches) acc = acc.intersect(b.accept);
  return acc;
}

interface Branch {
  readonly chain: Chain;
  readonly accept: Caps;
}

/**
 * Negotiates a chain. Pass one goes upstream from the sink (downstream constraints flow up, as
 * GStreamer's caps queries); pass two goes downstream from the source, fixating and checking each link.
 * Both fail with the names of the two elements and the fields that did not intersect.
 *
 * @param downstream caps allowed after the chain's last element (for chains that feed a merge).
 * @param upstream caps entering the chain when it has no source (a tee branch).
 */
export function negotiate(
  chain: Chain,
  name: Namer,
  downstream: Caps = Caps.any(),
  upstream?: Caps,
  upstreamName = '',
  downstreamMetas: readonly string[] = NO_METAS
): NegotiatedChain {
  const els = chain.elements;
  const n = els.length;
  const names = els.map(name);
  // The allocation query: what each element's output may carry, from the end of the chain back.
  const metas: (readonly string[])[] = new Array(n);
  let after = downstreamMetas;
  for (let i = n - 1; i >= 0; i--) {
    metas[i] = els[i].kind === 'sink' ? NO_METAS : after;
    const el = els[i];
    after = metasIn(el, after, () => branchesMetas((el as SinkElement).branches ?? []));
  }
  const accept: (Caps | undefined)[] = new Array(n).fill(undefined);
  const allowed: (Caps | undefined)[] = new Array(n).fill(undefined);

  // Pass 1: what may flow into each element, from the end of the chain back to its start.
  let branchQueries: Branch[] = [];
  let want = downstream;
  for (let i = n - 1; i >= 0; i--) {
    const el = els[i];
    if (el.kind === 'sink') {
      branchQueries = (el.branches ?? []).map((b) => ({ chain: b, accept: queryAccept(b, name) }));
      accept[i] = sinkAccept(el, branchQueries, name);
      if (accept[i]!.isEmpty()) {
        const failing = branchQueries.find((b) => b.accept.intersect(el.sinkCaps).isEmpty());
        throw new NegotiationError(names[i], failing ? name(failing.chain.elements[0]) : names[i], [], 'the branches accept no common format');
      }
      want = accept[i]!;
      continue;
    }
    const out = el.srcCaps.intersect(want);
    if (out.isEmpty()) throw new NegotiationError(names[i], i + 1 < n ? names[i + 1] : 'downstream', explainMismatch(el.srcCaps, want));
    allowed[i] = out;
    if (el.kind === 'transform') {
      accept[i] = transformAccept(el, out);
      if (accept[i]!.isEmpty())
        throw new NegotiationError(
          names[i],
          i + 1 < n ? names[i + 1] : 'downstream',
          explainMismatch(el.sinkCaps, out),
          'input and output formats cannot be linked'
        );
      want = accept[i]!;
    }
  }
  if (upstream && n > 0 && els[0].kind !== 'source') {
    const first = accept[0]!;
    if (upstream.intersect(first).isEmpty()) throw new NegotiationError(upstreamName, names[0], explainMismatch(upstream, first));
  }

  // Pass 2: fixate from the start, checking each element's output against what follows.
  const caps: Caps[] = new Array(n);
  let inputs: NegotiatedChain[] | undefined;
  let branches: NegotiatedChain[] | undefined;
  let current = upstream ?? Caps.any();
  for (let i = 0; i < n; i++) {
    const el = els[i];
    if (el.kind === 'source') {
      const src = el as SourceElement;
      if (src.inputs) {
        inputs = src.inputs.map((c) => negotiate(c, name, src.inputCaps ?? allowed[i]!, undefined, '', inputMetas(src, metas[i])));
        // A source that makes its own output from its inputs' (streamMux) fixates it; a merge outputs theirs.
        current = src.inputCaps
          ? src.fixate
            ? src.fixate(allowed[i]!)
            : allowed[i]!.fixate()
          : inputs.reduce((acc, c) => acc.union(c.caps[c.caps.length - 1]), Caps.empty());
      } else {
        current = src.fixate ? src.fixate(allowed[i]!) : allowed[i]!.fixate();
      }
      if (current.isEmpty()) throw new NegotiationError(names[i], names[i + 1] ?? 'downstream', [], 'the source could not fixate its caps');
    } else {
      const acc = accept[i]!;
      // A stream-decided (unfixed) format only has to intersect; a fixed one has to fit.
      const fits = current.isFixed() ? current.isSubset(acc) : !current.intersect(acc).isEmpty();
      if (!fits) throw new NegotiationError(i > 0 ? names[i - 1] : upstreamName, names[i], explainMismatch(current, acc));
      if (el.kind === 'transform') {
        const t = el as TransformElement;
        const input = current.isFixed() ? current : current.intersect(acc);
        current = t.outputCaps ? t.outputCaps(input, allowed[i]!) : t.passthrough ? input : allowed[i]!.fixate();
        if (current.isEmpty()) throw new NegotiationError(names[i], names[i + 1] ?? 'downstream', explainMismatch(t.srcCaps, allowed[i]!));
      } else {
        const handed = (el as SinkElement).branchCaps ?? current;
        branches = branchQueries.map((b) => negotiate(b.chain, name, Caps.any(), handed, names[i]));
      }
    }
    caps[i] = current;
  }
  return { elements: els, names, accept, allowed, caps, metas, branches, inputs };
}

/** The metas a composite source's inputs may carry: what follows it when it hands their packets on. */
export function inputMetas(src: SourceElement, after: readonly string[]): readonly string[] {
  return src.metas === 'forward' ? after : NO_METAS;
}

/**
 * Negotiates an input attached to a running composite source (a request pad): against its `inputCaps`, or
 * what it was allowed to output when it hands its inputs' packets on.
 */
export function negotiateInput(src: SourceElement, allowed: Caps | undefined, after: readonly string[], input: Chain, name: Namer): NegotiatedChain {
  return negotiate(input, name, src.inputCaps ?? allowed ?? Caps.any(), undefined, '', inputMetas(src, after));
}

/** Negotiates a branch attached to a running composite sink that hands it `handed` (named `from`). */
export function negotiateBranch(handed: Caps, from: string, branch: Chain, name: Namer): NegotiatedChain {
  if (branch.elements.some((e) => e.kind === 'source')) throw new TypeError(`a branch of ${from} cannot hold a source`);
  const accept = queryAccept(branch, name);
  if (accept.intersect(handed).isEmpty())
    throw new NegotiationError(from, name(branch.elements[0]), explainMismatch(handed, accept), 'the branch takes none of what it hands on');
  return negotiate(branch, name, Caps.any(), handed, from);
}

/** What a chain without a source (a tee branch) accepts at its head. */
function queryAccept(chain: Chain, name: Namer): Caps {
  let want = Caps.any();
  const els = chain.elements;
  for (let i = els.length - 1; i >= 0; i--) {
    const el = els[i];
    if (el.kind === 'sink') {
      want = sinkAccept(
        el,
        (el.branches ?? []).map((b) => ({ chain: b, accept: queryAccept(b, name) })),
        name
      );
    } else if (el.kind === 'transform') {
      const out = el.srcCaps.intersect(want);
      if (out.isEmpty()) throw new NegotiationError(name(el), i + 1 < els.length ? name(els[i + 1]) : 'downstream', explainMismatch(el.srcCaps, want));
      want = transformAccept(el, out);
    }
  }
  return want;
}

/**
 * Whether a mid-stream caps change is acceptable to an element: the new caps must fit what it accepted
 * at negotiation. Returns the reasons when not.
 */
export function checkRenegotiation(newCaps: Caps, accepted: Caps): string[] | undefined {
  if (newCaps.isSubset(accepted)) return undefined;
  const why = explainMismatch(newCaps, accepted);
  return why.length ? why : [`${newCaps.toString()} is not within ${accepted.toString()}`];
}
