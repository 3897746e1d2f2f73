import type { AnyElement, Chain } from '../element';
import type { Operator, Sink, Source, Transform } from '../operator';
import type { Packet } from '../packet';
import { negotiate, type NegotiatedChain, type Namer } from './negotiate';
import { printLaunch } from './print';
import { PipelineRun, type RunningPipeline, type RunOptions } from './run';
import type { PipelineStats } from './stats';

/** Gives every element of a pipeline a unique instance name (`identity0`, `identity1`, or its `name`). */
export function namer(): Namer {
  const names = new Map<AnyElement, string>();
  const used = new Set<string>();
  const counters = new Map<string, number>();
  return (el) => {
    const known = names.get(el);
    if (known) return known;
    let name = el.name;
    if (name !== undefined) {
      if (used.has(name)) throw new Error(`two elements are named '${name}'`);
    } else {
      let k = counters.get(el.factory) ?? 0;
      while (used.has(`${el.factory}${k}`)) k++;
      name = `${el.factory}${k}`;
      counters.set(el.factory, k + 1);
    }
    used.add(name);
    names.set(el, name);
    return name;
  };
}

/** A complete pipeline: a source, transforms and a sink. Negotiates on `negotiate()`/`start()`. */
export class Pipeline implements Chain {
  readonly kind = 'pipeline';
  private negotiated: NegotiatedChain | undefined;

  constructor(readonly elements: readonly AnyElement[]) {}

  /** Negotiates caps across the whole chain; throws NegotiationError before any data flows. */
  negotiate(): NegotiatedChain {
    return (this.negotiated ??= negotiate(this, this.names));
  }

  /** The namer negotiation used, kept so that inputs attached while it runs get names unique in it. */
  private readonly names = namer();

  /** Starts the pipeline; negotiation errors reject `done` before any element opens. */
  start(options: RunOptions = {}): RunningPipeline {
    let neg: NegotiatedChain;
    try {
      neg = this.negotiate();
    } catch (e) {
      const done = Promise.reject(e);
      done.catch(() => undefined);
      return {
        done,
        eos() {},
        abort() {},
        stats: () => {
          throw e;
        },
      };
    }
    return new PipelineRun(neg, options, this.names);
  }

  run(options: RunOptions = {}): Promise<PipelineStats> {
    return this.start(options).done;
  }

  /** The pipeline in gst-launch syntax; `parseLaunch` reads it back into the same graph (tee and merge included). */
  toString(): string {
    return printLaunch(this.elements, namer());
  }
}

/**
 * Composes operators. A source with transforms is a Source; with a sink at the end, a runnable
 * Pipeline; transforms alone compose into a Transform; transforms ending in a sink make a Sink (a branch).
 * Packet types must line up, so a mismatched chain does not compile.
 */
export function pipe<A extends Packet>(s: Source<A>): Source<A>;
export function pipe<A extends Packet>(s: Source<A>, k: Sink<A>): Pipeline;
export function pipe<A extends Packet, B extends Packet>(s: Source<A>, t1: Transform<A, B>): Source<B>;
export function pipe<A extends Packet, B extends Packet>(s: Source<A>, t1: Transform<A, B>, k: Sink<B>): Pipeline;
export function pipe<A extends Packet, B extends Packet, C extends Packet>(s: Source<A>, t1: Transform<A, B>, t2: Transform<B, C>): Source<C>;
export function pipe<A extends Packet, B extends Packet, C extends Packet>(s: Source<A>, t1: Transform<A, B>, t2: Transform<B, C>, k: Sink<C>): Pipeline;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>
): Source<D>;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  k: Sink<D>
): Pipeline;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet, E extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  t4: Transform<D, E>
): Source<E>;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet, E extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  t4: Transform<D, E>,
  k: Sink<E>
): Pipeline;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet, E extends Packet, F extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  t4: Transform<D, E>,
  t5: Transform<E, F>
): Source<F>;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet, E extends Packet, F extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  t4: Transform<D, E>,
  t5: Transform<E, F>,
  k: Sink<F>
): Pipeline;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet, E extends Packet, F extends Packet, G extends Packet>(
  s: Source<A>,
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  t4: Transform<D, E>,
  t5: Transform<E, F>,
  t6: Transform<F, G>,
  k: Sink<G>
): Pipeline;
export function pipe<A extends Packet, B extends Packet>(t1: Transform<A, B>): Transform<A, B>;
export function pipe<A extends Packet, B extends Packet>(t1: Transform<A, B>, k: Sink<B>): Sink<A>;
export function pipe<A extends Packet, B extends Packet, C extends Packet>(t1: Transform<A, B>, t2: Transform<B, C>): Transform<A, C>;
export function pipe<A extends Packet, B extends Packet, C extends Packet>(t1: Transform<A, B>, t2: Transform<B, C>, k: Sink<C>): Sink<A>;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet>(
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>
): Transform<A, D>;
export function pipe<A extends Packet, B extends Packet, C extends Packet, D extends Packet>(
  t1: Transform<A, B>,
  t2: Transform<B, C>,
  t3: Transform<C, D>,
  k: Sink<D>
): Sink<A>;
// Longer chains: nest `pipe` calls (a composed Source or Transform is an argument like any other), or use
// `compose` for untyped chains (the launch parser does). No catch-all overload, so mismatches never compile.
export function pipe(...ops: Operator[]): Source<any> | Transform<any, any> | Sink<any> | Pipeline {
  return compose(ops);
}

/** Composes untyped operators, checking their order at run time (the launch parser uses this). */
export function compose(ops: readonly Operator[]): Source<any> | Transform<any, any> | Sink<any> | Pipeline {
  if (ops.length === 0) throw new TypeError('pipe() needs at least one operator');
  ops.forEach((op, i) => {
    if (op.kind === 'source' && i !== 0) throw new TypeError(`a source can only start a chain (argument ${i + 1})`);
    if (op.kind === 'sink' && i !== ops.length - 1) throw new TypeError(`a sink can only end a chain (argument ${i + 1})`);
  });
  const elements = ops.flatMap((op) => op.elements);
  const first = ops[0].kind;
  const last = ops[ops.length - 1].kind;
  if (first === 'source' && last === 'sink') return new Pipeline(elements);
  if (first === 'source') return { kind: 'source', elements };
  if (last === 'sink') return { kind: 'sink', elements };
  return { kind: 'transform', elements };
}
