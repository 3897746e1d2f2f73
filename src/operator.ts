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

/** Wraps an element definition as a composable Source. */
export function defineSource<O extends Packet>(el: Omit<SourceElement<O>, 'kind'>): Source<O> {
  return { kind: 'source', elements: [{ ...el, kind: 'source' } as SourceElement<O>] };
}

export function defineTransform<I extends Packet, O extends Packet>(
  el: Omit<TransformElement<I, O>, 'kind'>,
): Transform<I, O> {
  return { kind: 'transform', elements: [{ ...el, kind: 'transform' } as TransformElement<I, O>] };
}

export function defineSink<I extends Packet>(el: Omit<SinkElement<I>, 'kind'>): Sink<I> {
  return { kind: 'sink', elements: [{ ...el, kind: 'sink' } as SinkElement<I>] };
}
