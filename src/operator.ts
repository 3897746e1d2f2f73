import type { AnyElement, SinkElement, SourceElement, TransformElement } from './element';
import type { Packet } from './packet';

/**
 * The composable, typed faces of elements. A Source/Transform/Sink may hold several elements (what
 * `pipe` composed); their packet types are checked at compile time by `pipe`.
 */
export interface Source<O extends Packet = Packet> {
  readonly kind: 'source';
  readonly elements: readonly AnyElement[];
  readonly __out?: O;
}

export interface Transform<I extends Packet = Packet, O extends Packet = Packet> {
  readonly kind: 'transform';
  readonly elements: readonly AnyElement[];
  readonly __in?: (x: I) => void;
  readonly __out?: O;
}

export interface Sink<I extends Packet = Packet> {
  readonly kind: 'sink';
  readonly elements: readonly AnyElement[];
  readonly __in?: (x: I) => void;
}

export type Operator = Source<any> | Transform<any, any> | Sink<any>;

/**
 * What a define* call takes: the element without its kind. `factory` and `props` may be left out when an
 * element descriptor builds it (the descriptor stamps them); a bare element is named UNNAMED_FACTORY.
 */
export type ElementDefinition<E> = Omit<E, 'kind' | 'factory' | 'props'> & { readonly factory?: string; readonly props?: Readonly<Record<string, unknown>> };

/** The factory name of an element defined without one: a descriptor stamps its own over it. */
export const UNNAMED_FACTORY = 'element';

const base = { factory: UNNAMED_FACTORY, props: {} };

/** Wraps an element definition as a composable Source. */
export function defineSource<O extends Packet>(el: ElementDefinition<SourceElement<O>>): Source<O> {
  return { kind: 'source', elements: [{ ...base, ...el, kind: 'source' } as SourceElement<O>] };
}

export function defineTransform<I extends Packet, O extends Packet>(el: ElementDefinition<TransformElement<I, O>>): Transform<I, O> {
  return { kind: 'transform', elements: [{ ...base, ...el, kind: 'transform' } as TransformElement<I, O>] };
}

export function defineSink<I extends Packet>(el: ElementDefinition<SinkElement<I>>): Sink<I> {
  return { kind: 'sink', elements: [{ ...base, ...el, kind: 'sink' } as SinkElement<I>] };
}
