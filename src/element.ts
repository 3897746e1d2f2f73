import type { Caps } from './caps';
import type { Clock } from './clock/clock';
import type { ElementDescriptor } from './descriptor/descriptor';
import type { CopyLedger } from './memory/ledger';
import type { Packet } from './packet';
import type { LatencyProfile } from './pipeline/profile';
import type { MaybePromise } from './util/promise';

/** End of stream: what a pull answers once a stream is over. */
export const EOS: unique symbol = Symbol.for('glass2glass.eos');
export type EOS = typeof EOS;
export type Pulled<T> = T | EOS;

/**
 * The pull protocol between elements. `pull` answers synchronously whenever it can (the fast path that
 * keeps a hop at a few nanoseconds) and with a promise when it must wait; the caller awaits only then.
 * One AbortSignal goes through every pull.
 */
export interface Reader<T> {
  pull(signal: AbortSignal): MaybePromise<Pulled<T>>;
  /** Releases resources. The runtime calls it exactly once, on success, error and abort alike. */
  close?(): MaybePromise<void>;
}

/** What a sink's runtime loop calls; `end` runs at end-of-stream (finalise files), `close` always. */
export interface Writer<T> {
  write(item: T, signal: AbortSignal): MaybePromise<void>;
  end?(signal: AbortSignal): MaybePromise<void>;
  close?(): MaybePromise<void>;
}

export type DropReason = 'late' | 'leaky' | 'overflow' | 'corrupt' | 'policy';

/** What an element reports to pipeline stats. */
export interface ElementReporter {
  drop(reason: DropReason, count?: number): void;
  /** Current depth of the element's queue, for queue-depth stats. */
  queueDepth(depth: number, capacity: number): void;
  /**
   * A display sink's word that a frame turned into light: its capture → presented latency (ns) and the
   * pipeline-clock time it was presented. Ends glass-to-glass at the glass rather than at the sink's input.
   */
  presented(latency: number, at: number): void;
}

/** What a queue reports: its drops and depth. */
export type QueueReporter = Pick<ElementReporter, 'drop' | 'queueDepth'>;

export interface LogSink {
  (level: 'debug' | 'info' | 'warn' | 'error', element: string, message: string): void;
}

/** Everything an element instance gets from the running pipeline. */
export interface ElementContext {
  readonly name: string;
  readonly clock: Clock;
  readonly profile: LatencyProfile;
  readonly ledger: CopyLedger;
  readonly report: ElementReporter;
  /** Aborts when the pipeline is aborted or fails. */
  readonly signal: AbortSignal;
  /** Clock time when the pipeline started (GStreamer's base time). */
  readonly baseTime: number;
  /** Negotiated caps of the input (undefined for sources); updated on renegotiation. */
  readonly inputCaps: Caps | undefined;
  /** Negotiated caps of the output (may be unfixed when the stream decides, as a parser's). */
  readonly outputCaps: Caps;
  /** True once a graceful end-of-stream was asked for (Ctrl-C): sources end at their next pull. */
  readonly eosRequested: boolean;
  /** Resolves when a graceful end-of-stream is asked for: an element waiting on nothing in particular ends then. */
  readonly eosPromise?: Promise<unknown>;
  /**
   * Buffer metas everything downstream of this element's output honours (GStreamer's allocation query),
   * such as VIDEO_META: a producer attaches a meta, instead of normalising the data, only when it is here.
   */
  readonly downstreamMetas: readonly string[];
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void;
  /**
   * A composite source's request pad (GStreamer's request pads): negotiates `input` against what this element
   * takes from its inputs, opens it in the running pipeline (its elements named, counted in the stats, closed
   * at the end) and returns its reader. Throws a NegotiationError, before anything opens, when it cannot link.
   * Present while the element runs in a pipeline.
   */
  openInput?(input: Chain): InputReader<Packet>;
  /**
   * A composite sink's request pad: negotiates `branch` (a chain without a source) against what this element
   * hands its branches, and returns its port; `run` starts it beside the others. Throws a NegotiationError
   * when it cannot link. Present while the element runs in a pipeline.
   */
  openBranch?(branch: Chain): BranchPort<Packet>;
}

/**
 * One input of a composite source: its reader, and `close`, which ends that input early (abort its pending
 * pull first): its elements close then, once (the pipeline's end does not close them again).
 */
export interface InputReader<T> extends Reader<T> {
  close(): Promise<void>;
}

interface ElementBase {
  /** Factory name (`identity`); instance names are made unique per pipeline (`identity0`). */
  readonly factory: string;
  /** Instance name, as GStreamer's `name=` property. */
  readonly name?: string;
  /** The properties that differ from their defaults, as launch text by launch name, for printing. */
  readonly props: Readonly<Record<string, unknown>>;
  /** The checked settings it was made with, by option name (elements made from a descriptor). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Its declaration, when made from one. */
  readonly descriptor?: ElementDescriptor;
}

export interface SourceElement<O extends Packet = Packet> extends ElementBase {
  readonly kind: 'source';
  readonly srcCaps: Caps;
  /** Output caps within what downstream allows; default fixates. May stay unfixed when data decides. */
  readonly fixate?: (allowed: Caps) => Caps;
  /** `inputs` are the readers of `this.inputs`, opened by the runtime (empty for plain sources). */
  readonly open: (ctx: ElementContext, inputs: readonly InputReader<any>[]) => Reader<O>;
  /** Sub-elements of a composite source (a merge); the runtime negotiates and names them too. */
  readonly inputs?: readonly Chain[];
  /**
   * What a composite source takes from its inputs when that is not what it outputs (streamMux takes any
   * frames and outputs batches): its inputs negotiate against this, and its output fixates from `srcCaps`.
   * Unset: the inputs negotiate against what follows it, and its output is theirs (a merge hands them on).
   */
  readonly inputCaps?: Caps;
  /** A composite source's answer to its inputs' allocation query: 'forward' (a merge hands their packets on
   * as they are) gives them what follows it; unset: none. */
  readonly metas?: 'forward';
}

export interface TransformElement<I extends Packet = Packet, O extends Packet = Packet> extends ElementBase {
  readonly kind: 'transform';
  readonly sinkCaps: Caps;
  readonly srcCaps: Caps;
  /** Output equals input caps (identity, queue): negotiation passes constraints straight through. */
  readonly passthrough?: boolean;
  /**
   * Buffer metas this element honours on its input (VIDEO_META: planes where the meta says); unset: none.
   * A passthrough element hands the same frames on, so it gets those that it and what follows honour; any
   * other element declaring a meta makes new output and must not pass the meta on (`withoutVideoMeta`).
   * 'forward': whatever follows it honours (queue, identity: elements that neither read nor replace data).
   */
  readonly metas?: readonly string[] | 'forward';
  /** Input caps this element accepts given the caps allowed on its output (the upstream query). */
  readonly acceptCaps?: (downstream: Caps) => Caps;
  /** Output caps for given input caps, within `allowed`. */
  readonly outputCaps?: (input: Caps, allowed: Caps) => Caps;
  readonly open: (ctx: ElementContext, upstream: Reader<I>) => Reader<O>;
  /** Phantom member that makes the input type contravariant. */
  readonly __in?: (x: I) => void;
}

export interface SinkElement<I extends Packet = Packet> extends ElementBase {
  readonly kind: 'sink';
  readonly sinkCaps: Caps;
  /** Wait for each packet's presentation time on the clock (GStreamer's `sync`); default: the profile's. */
  readonly sync?: boolean;
  /** Drop packets whose glass-to-glass age exceeds the profile deadline; default true for live. */
  readonly dropLate?: boolean;
  /** Buffer metas this sink honours on its input; unset: none (a tee: those all its branches honour). */
  readonly metas?: readonly string[];
  /** `branches` run `this.branches`: hand each a Reader and it runs that branch to its end. */
  readonly open: (ctx: ElementContext, branches: readonly BranchPort<I>[]) => Writer<I>;
  /** Branches of a composite sink (a tee); the runtime negotiates them and runs them beside the trunk. */
  readonly branches?: readonly Chain[];
  /**
   * What a composite sink hands its branches when that is not what it takes (batchSplit takes batches and
   * hands on their frames): its branches negotiate from this, its input from `sinkCaps` alone. Unset: the
   * branches get its input (a tee), which they must all accept.
   */
  readonly branchCaps?: Caps;
  /** Phantom member that makes the input type contravariant. */
  readonly __in?: (x: I) => void;
}

export type AnyElement = SourceElement<any> | TransformElement<any, any> | SinkElement<any>;

/** A linear run of elements: source?, transforms, sink?. */
export interface Chain {
  readonly elements: readonly AnyElement[];
}

/** Runs one branch of a composite sink: the branch pulls from `reader` until it ends. */
export interface BranchPort<T> {
  readonly name: string;
  run(reader: Reader<T>): Promise<void>;
}
