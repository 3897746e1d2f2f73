import type { Caps } from '../caps';
import type { Clock } from '../clock/clock';
import type { AnyElement, BranchPort, Chain, ElementContext, InputReader, LogSink } from '../element';
import type { Packet } from '../packet';
import type { CopyLedger } from '../memory/ledger';
import type { LatencyProfile } from './profile';
import { ElementRecorder } from './stats';

/** Shared state of one run that element contexts read. */
export interface RunState {
  readonly clock: Clock;
  readonly profile: LatencyProfile;
  readonly ledger: CopyLedger;
  readonly signal: AbortSignal;
  readonly baseTime: number;
  readonly eosRequested: boolean;
  readonly eosPromise: Promise<unknown>;
  readonly log: LogSink;
  /** A display sink's capture → presented latency (ns) of one frame, presented at `at`. */
  presented(latency: number, at: number): void;
  /** Negotiates and opens `input` as a new input of the composite source `owner`, while the run goes on. */
  attachInput(owner: Instance, input: Chain): InputReader<Packet>;
  /** Negotiates `branch` as a new branch of the composite sink `owner`, while the run goes on. */
  attachBranch(owner: Instance, branch: Chain): BranchPort<Packet>;
}

/** One element of a running pipeline: its context, its stats and its close-once guard. */
export class Instance implements ElementContext {
  readonly report: ElementRecorder;
  inputCaps: Caps | undefined;
  outputCaps: Caps;
  private closer: (() => unknown) | undefined;
  private closed = false;

  constructor(
    readonly el: AnyElement,
    readonly name: string,
    private readonly run: RunState,
    inputCaps: Caps | undefined,
    outputCaps: Caps,
    readonly accept: Caps | undefined,
    readonly allowed: Caps | undefined,
    readonly downstreamMetas: readonly string[] = []
  ) {
    this.report = new ElementRecorder(name, el.factory, (latency, at) => run.presented(latency, at));
    this.inputCaps = inputCaps;
    this.outputCaps = outputCaps;
  }

  get clock(): Clock {
    return this.run.clock;
  }
  get profile(): LatencyProfile {
    return this.run.profile;
  }
  get ledger(): CopyLedger {
    return this.run.ledger;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }
  get baseTime(): number {
    return this.run.baseTime;
  }
  get eosRequested(): boolean {
    return this.run.eosRequested;
  }
  get eosPromise(): Promise<unknown> {
    return this.run.eosPromise;
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.run.log(level, this.name, message);
  }

  openInput(input: Chain): InputReader<Packet> {
    if (this.el.kind !== 'source' || !this.el.inputs) throw new TypeError(`${this.name}: only an element with inputs (fan-in) can open more`);
    return this.run.attachInput(this, input);
  }

  openBranch(branch: Chain): BranchPort<Packet> {
    if (this.el.kind !== 'sink' || !this.el.branches) throw new TypeError(`${this.name}: only an element with branches (fan-out) can open more`);
    return this.run.attachBranch(this, branch);
  }

  onClose(fn: (() => unknown) | undefined): void {
    this.closer = fn;
  }

  /** Runs the element's close exactly once, whatever path the run ended on. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closer?.();
  }
}
