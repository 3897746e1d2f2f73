import { discardPacket, RELEASE, releasePacket } from '../memory/release';
import { systemClock } from '../clock/system-clock';
import { hostTimers } from '../clock/host';
import type { Caps } from '../caps';
import type { Clock } from '../clock/clock';
import {
  EOS,
  type AnyElement,
  type BranchPort,
  type Chain,
  type InputReader,
  type LogSink,
  type Reader,
  type SinkElement,
  type SourceElement,
  type TransformElement,
  type Writer,
} from '../element';
import { CopyLedger } from '../memory/ledger';
import type { Packet } from '../packet';
import { abortReason, isAbortError, linkedController } from '../util/abort';
import { deferred, isPromiseLike } from '../util/promise';
import { ElementError } from './errors';
import { Histogram } from './histogram';
import { Instance, type RunState } from './instance';
import { Link } from './link';
import { negotiateBranch, negotiateInput, type Namer, type NegotiatedChain } from './negotiate';
import { resolveProfile, type LatencyProfile } from './profile';
import type { PipelineStats } from './stats';

export interface RunOptions {
  /** The pipeline clock; a VirtualClock makes every time-based behaviour deterministic. Default: system. */
  clock?: Clock;
  /** Latency profile: 'throughput' (default) or 'live', or a custom one. */
  profile?: 'live' | 'throughput' | LatencyProfile;
  /** Aborting stops the pipeline within one packet; the run rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Strict zero-copy: an implicit CPU copy throws. */
  strict?: boolean;
  log?: LogSink;
  /** Record, on every packet, the clock time at which it left each element (`meta.trace`). Costs an allocation per hop. */
  trace?: boolean;
  /** Called with the caps of each link's first packet and of every caps change: the fixed caps that flow (gst-launch -v). */
  onCaps?: (from: string, to: string, caps: Caps) => void;
  /** Called with each glass-to-glass latency (ns) as a sink takes a packet carrying a capture time, and the clock time then. */
  onLatency?: (latency: number, at: number) => void;
  /** Called with each capture → presented latency (ns) a display sink reports, and the clock time it was presented. */
  onPresented?: (latency: number, at: number) => void;
}

export interface RunningPipeline {
  /** Resolves with the final stats at end-of-stream; rejects with the first error or the abort reason. */
  readonly done: Promise<PipelineStats>;
  /** Graceful stop (gst-launch -e): sources end, end-of-stream flows through, sinks finalise. */
  eos(): void;
  abort(reason?: unknown): void;
  stats(): PipelineStats;
}

const YIELD_CHECK_MASK = 255;
const YIELD_EVERY_MS = 10;

// Embedded engines (QuickJS) may have no console at all: logging must never fail a pipeline.
const hostConsole = (globalThis as { console?: { error(m: string): void } }).console;
const defaultLog: LogSink = (level, element, message) => {
  if (level === 'warn' || level === 'error') hostConsole?.error(`${level.toUpperCase()} ${element}: ${message}`);
};

/** One run of a negotiated pipeline. */
export class PipelineRun implements RunState, RunningPipeline {
  readonly clock: Clock;
  readonly profile: LatencyProfile;
  readonly ledger: CopyLedger;
  readonly signal: AbortSignal;
  readonly baseTime: number;
  readonly log: LogSink;
  readonly done: Promise<PipelineStats>;
  readonly trace: boolean;
  readonly onCaps: ((from: string, to: string, caps: Caps) => void) | undefined;
  private readonly onLatency: ((latency: number, at: number) => void) | undefined;
  private readonly onPresented: ((latency: number, at: number) => void) | undefined;
  eosRequested = false;
  private readonly eosDeferred = deferred<typeof EOS>();
  readonly eosPromise = this.eosDeferred.promise;
  private readonly controller: AbortController;
  private readonly disposeSignal: () => void;
  private readonly instances: Instance[] = [];
  private readonly tasks: Promise<void>[] = [];
  private readonly latency = new Histogram();
  private readonly presentedLatency = new Histogram();
  private delivered = 0;
  private endTime: number | undefined;
  /** Branches attached at run time so far, to name their ports. */
  private attached = 0;
  /** Set once the run ends: its elements are closing, no input may be attached. */
  private closing = false;
  private error: unknown;
  private lastYield = hostTimers.now();

  /** `name` is the namer the pipeline was negotiated with: inputs attached at run time get unique names from it. */
  constructor(root: NegotiatedChain, options: RunOptions = {}, private readonly name?: Namer) {
    this.clock = options.clock ?? systemClock;
    this.profile = resolveProfile(options.profile);
    this.ledger = new CopyLedger(options.strict ?? false);
    this.log = options.log ?? defaultLog;
    this.trace = options.trace ?? false;
    this.onCaps = options.onCaps;
    this.onLatency = options.onLatency;
    this.onPresented = options.onPresented;
    const linked = options.signal ? linkedController(options.signal) : linkedController();
    this.controller = linked.controller;
    this.disposeSignal = linked.dispose;
    this.signal = this.controller.signal;
    this.baseTime = this.clock.now();
    this.done = this.execute(root);
  }

  presented(latency: number, at: number): void {
    this.presentedLatency.record(latency);
    this.onPresented?.(latency, at);
  }

  eos(): void {
    if (this.eosRequested) return;
    this.eosRequested = true;
    this.eosDeferred.resolve(EOS);
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  private fail(e: unknown): void {
    if (this.error === undefined) this.error = e;
    if (!this.signal.aborted) this.controller.abort(e);
  }

  private async execute(root: NegotiatedChain): Promise<PipelineStats> {
    try {
      await this.track(this.startChain(root, undefined, undefined));
    } catch (e) {
      this.fail(e);
    }
    this.closing = true;
    // Every concurrent loop (tee branches, queue feeders) settles before anything closes.
    while (this.tasks.length) await Promise.allSettled(this.tasks.splice(0));
    for (const inst of this.instances.slice().reverse()) {
      try {
        await inst.close();
      } catch (e) {
        if (this.error === undefined) this.error = new ElementError(inst.name, undefined, e);
      }
    }
    this.disposeSignal();
    this.endTime = this.clock.now();
    if (this.error === undefined && this.signal.aborted) this.error = abortReason(this.signal);
    if (this.error !== undefined) throw this.error;
    return this.stats();
  }

  private track(p: Promise<void>): Promise<void> {
    const t = p.catch((e) => this.fail(e));
    this.tasks.push(t);
    return p;
  }

  private instance(neg: NegotiatedChain, i: number, inputCaps: Caps | undefined): Instance {
    const inst = new Instance(neg.elements[i], neg.names[i], this, inputCaps, neg.caps[i], neg.accept[i], neg.allowed[i], neg.metas[i]);
    this.instances.push(inst);
    return inst;
  }

  /**
   * Opens a chain's elements, linking each to the one before, and drives its sink if it has one.
   * `head` feeds a chain without a source (a tee branch). Returns the output of a chain without a sink.
   */
  private openChain(
    neg: NegotiatedChain,
    head: Reader<Packet> | undefined,
    headInst: Instance | undefined
  ): { reader: Reader<Packet> | undefined; inst: Instance | undefined; link: Link | undefined; sink?: Instance } {
    let reader = head;
    let prev = headInst;
    let prevLink: Link | undefined;
    for (let i = 0; i < neg.elements.length; i++) {
      const el: AnyElement = neg.elements[i];
      const inst = this.instance(neg, i, i > 0 ? neg.caps[i - 1] : headInst?.outputCaps);
      const link = reader && prev ? new Link(reader, prev, prevLink, inst, this) : undefined;
      if (el.kind === 'source') {
        const inputs = (neg.inputs ?? []).map((c) => this.openInput(c, inst));
        const r = (el as SourceElement).open(inst, inputs);
        inst.onClose(r.close?.bind(r));
        reader = r;
      } else if (el.kind === 'transform') {
        const r = (el as TransformElement).open(inst, link!);
        inst.onClose(r.close?.bind(r));
        reader = r;
      } else {
        return { reader: undefined, inst, link, sink: inst };
      }
      prev = inst;
      prevLink = link;
    }
    // A chain without a sink hands its output on through one more link into whoever consumes it.
    return { reader, inst: prev, link: prevLink, sink: undefined };
  }

  /** Opens one input chain of a composite source; its `close` closes that chain's elements early, once. */
  private openInput(c: NegotiatedChain, owner: Instance): InputReader<Packet> {
    const first = this.instances.length;
    const out = this.openChain(c, undefined, undefined);
    const own = this.instances.slice(first);
    const link = new Link(out.reader!, out.inst!, out.link, owner, this) as Link & InputReader<Packet>;
    link.close = async () => {
      let error: unknown;
      for (const inst of own.reverse()) {
        try {
          await inst.close();
        } catch (e) {
          error ??= new ElementError(inst.name, undefined, e);
        }
      }
      if (error !== undefined) throw error;
    };
    return link;
  }

  attachInput(owner: Instance, input: Chain): InputReader<Packet> {
    if (!this.name) throw new TypeError(`${owner.name}: inputs can be attached only to a pipeline started by Pipeline.start`);
    if (this.signal.aborted || this.closing) throw new Error(`${owner.name}: the pipeline has stopped; no input can be attached`);
    const neg = negotiateInput(owner.el as SourceElement, owner.allowed, owner.downstreamMetas, input, this.name);
    return this.openInput(neg, owner);
  }

  attachBranch(owner: Instance, branch: Chain): BranchPort<Packet> {
    if (!this.name) throw new TypeError(`${owner.name}: branches can be attached only to a pipeline started by Pipeline.start`);
    if (this.signal.aborted || this.closing) throw new Error(`${owner.name}: the pipeline has stopped; no branch can be attached`);
    const el = owner.el as SinkElement;
    const neg = negotiateBranch(el.branchCaps ?? owner.inputCaps ?? el.sinkCaps, owner.name, branch, this.name);
    const k = (el.branches?.length ?? 0) + this.attached++;
    return { name: `${owner.name}.src_${k}`, run: (reader) => this.track(this.startChain(neg, reader, owner)) };
  }

  private async startChain(neg: NegotiatedChain, head: Reader<Packet> | undefined, headInst: Instance | undefined): Promise<void> {
    const opened = this.openChain(neg, head, headInst);
    if (!opened.sink) throw new Error('a pipeline must end in a sink');
    const sinkInst = opened.sink;
    const el = sinkInst.el as SinkElement;
    const branches: BranchPort<Packet>[] = (neg.branches ?? []).map((b, k) => ({
      name: `${sinkInst.name}.src_${k}`,
      run: (reader: Reader<Packet>) => this.track(this.startChain(b, reader, sinkInst)),
    }));
    const writer = el.open(sinkInst, branches);
    sinkInst.onClose(writer.close?.bind(writer));
    await this.drive(sinkInst, el, opened.link!, writer);
  }

  /** The sink's loop: pulls through the chain, applies the profile's timing rules, and writes. */
  private async drive(inst: Instance, el: SinkElement, link: Link, writer: Writer<Packet>): Promise<void> {
    const { signal, clock, profile } = this;
    const sync = el.sync ?? profile.sync;
    const deadline = el.dropLate === false ? undefined : profile.deadline;
    const rec = inst.report;
    // A composite sink (tee) hands packets on to branches: they deliver, it does not.
    const terminal = !el.branches?.length;
    // A sink that keeps nothing once `write` settles (RELEASE): its packets' leased memory goes back then.
    const releases = terminal && (el.metas?.includes(RELEASE) ?? false);
    // pts − shift is the running time a synced packet is due at (see below).
    let shift: number | undefined;
    let n = 0;
    for (;;) {
      if (signal.aborted) throw abortReason(signal);
      let item = link.pull(signal);
      if (isPromiseLike(item)) item = await item;
      if (item === EOS) break;
      const capture = item.meta.captureTime;
      if (sync && item.pts !== undefined) {
        // As GStreamer, pts are running time: a live source stamping arrival running time (rtspSrc,
        // videoTestSrc) is on time at base + pts, not late by however long it took to connect. A stream
        // whose pts are ahead of the running time (a file starting at 10 s) is moved back to start now.
        shift ??= Math.max(0, item.pts - (clock.now() - this.baseTime));
        const target = this.baseTime + (item.pts - shift) + profile.latency;
        const now = clock.now();
        if (now < target) await clock.sleepUntil(target, signal);
        else if (profile.maxLateness !== undefined && now - target > profile.maxLateness) {
          rec.drop('late');
          discardPacket(item);
          continue;
        }
      }
      if (capture !== undefined && deadline !== undefined && clock.now() - capture > deadline) {
        rec.drop('late');
        discardPacket(item);
        continue;
      }
      const timed = (n & 255) === 0;
      const t0 = timed ? hostTimers.now() : 0;
      try {
        const w = writer.write(item, signal);
        if (isPromiseLike(w)) await w;
      } catch (e) {
        throw isAbortError(e) || (signal.aborted && e === signal.reason) ? e : new ElementError(inst.name, item.pts, e);
      }
      if (releases) releasePacket(item);
      if (timed) rec.processing.record((hostTimers.now() - t0) * 1e6);
      if (terminal) {
        if (capture !== undefined) {
          const now = clock.now();
          this.latency.record(now - capture);
          this.onLatency?.(now - capture, now);
        }
        this.delivered++;
      }
      // A pipeline that never waits must still let the host run (Ctrl-C, sockets) now and then.
      if ((++n & YIELD_CHECK_MASK) === 0 && hostTimers.now() - this.lastYield > YIELD_EVERY_MS) {
        await clock.yieldToHost();
        this.lastYield = hostTimers.now();
      }
    }
    try {
      await writer.end?.(signal);
    } catch (e) {
      throw isAbortError(e) ? e : new ElementError(inst.name, undefined, e);
    }
  }

  stats(): PipelineStats {
    const copies = this.ledger.summary();
    const elements = this.instances.map((i) => i.report.snapshot(copies));
    return {
      elements,
      latency: this.latency.summary(),
      ...(this.presentedLatency.summary().count > 0 ? { presented: this.presentedLatency.summary() } : {}),
      drops: this.instances.reduce((a, i) => a + i.report.dropTotal, 0),
      copies,
      duration: (this.endTime ?? this.clock.now()) - this.baseTime,
      delivered: this.delivered,
    };
  }
}
