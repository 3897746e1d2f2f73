import type { AnyElement } from '../src/element';
import type { Packet } from '../src/packet';
import type { PipelineStats } from '../src/pipeline/stats';

/** One packet seen by a marble element. Times are ns after the pipeline's base time. */
export interface MarbleEntry<T extends Packet = Packet> {
  readonly time: number;
  /** Global order of everything the kit records: orders events at the same virtual instant. */
  readonly seq: number;
  readonly label: string;
  readonly packet: T;
}

/** One pull of a marble source: the demand it saw. */
export interface DemandEntry {
  readonly time: number;
  readonly seq: number;
  /** Packets the source had produced before this pull. */
  readonly produced: number;
}

export interface SourceLog {
  readonly kind: 'source';
  readonly name: string;
  /** ns per frame the source ran with. */
  readonly frame: number;
  readonly pulls: DemandEntry[];
  readonly emits: MarbleEntry[];
  /** When the source answered end-of-stream first. */
  end: number | undefined;
  /** When the source failed (`#`) and with what. */
  error: { readonly time: number; readonly error: unknown } | undefined;
  /** When the runtime closed it (exactly once, whatever the outcome). */
  readonly closes: number[];
}

export interface SinkLog<T extends Packet = Packet> {
  readonly kind: 'sink';
  readonly name: string;
  readonly frame: number;
  /** Every write, at the time it arrived (before any processing delay). */
  readonly writes: MarbleEntry<T>[];
  /** When end-of-stream reached the sink. */
  end: number | undefined;
  /** Set by runMarbles when the run failed or was aborted before this sink saw end-of-stream. */
  terminal: { readonly kind: 'error' | 'abort'; readonly time: number } | undefined;
  /** When the runtime closed it (exactly once, whatever the outcome). */
  readonly closes: number[];
}

/** When one element (any element, not only marble ones) was opened and closed. */
export interface ElementLog {
  readonly name: string;
  readonly factory: string;
  readonly opens: number[];
  readonly closes: number[];
}

export interface LogMessage {
  readonly time: number;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly element: string;
  readonly message: string;
}

export type MarbleOutcome = 'eos' | 'error' | 'abort' | 'stalled';

/** What runMarbles recorded. Times are ns after the base time; diagrams use `frame`. */
export interface MarbleLog {
  readonly frame: number;
  /** Clock time at which the pipeline started. */
  readonly baseTime: number;
  /** When the run settled (after every element closed). */
  readonly endTime: number;
  readonly outcome: MarbleOutcome;
  /** What the run rejected with (undefined on success). */
  readonly error: unknown;
  /** Final stats; undefined when negotiation failed before the run began. */
  readonly stats: PipelineStats | undefined;
  readonly sources: Readonly<Record<string, SourceLog>>;
  readonly sinks: Readonly<Record<string, SinkLog>>;
  /** Every element of the pipeline (branches and merge inputs included), in pipeline order. */
  readonly elements: readonly ElementLog[];
  readonly messages: readonly LogMessage[];
  /** The pipeline in gst-launch syntax, for messages. */
  readonly pipeline: string;
}

let seq = 0;

/** Next number of the kit's global event order. */
export function nextSeq(): number {
  return seq++;
}

/** The character each marble source's packet was named by, whatever meta a transform keeps. */
const labels = new WeakMap<Packet, string>();

export function setLabel(p: Packet, label: string): void {
  labels.set(p, label);
}

/** A packet's marble name: the source's character, else `meta.marble`, else '?'. */
export function labelOf(p: Packet): string {
  const l = labels.get(p);
  if (l !== undefined) return l;
  const m = p.meta.marble;
  return typeof m === 'string' && m.length === 1 ? m : '?';
}

/** What runMarbles tells a marble element before the run, and reads back after it. */
export interface MarbleState {
  readonly kind: 'source' | 'sink';
  /** Frame given to the element itself; otherwise the harness's, otherwise DEFAULT_FRAME. */
  readonly frame: number | undefined;
  /** Abort frame of a source diagram (its `!`), for the harness to schedule. */
  readonly abortFrame?: number;
  harness: { readonly frame: number } | undefined;
  current: SourceLog | SinkLog | undefined;
}

const states = new WeakMap<AnyElement, MarbleState>();

export function registerState(el: AnyElement, state: MarbleState): void {
  states.set(el, state);
}

export function stateOf(el: AnyElement): MarbleState | undefined {
  return states.get(el);
}
