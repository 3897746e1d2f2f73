import { G2gError } from '../src/errors';
import { Caps } from '../src/caps';
import { hostTimers } from '../src/clock/host';
import { VirtualClock } from '../src/clock/virtual-clock';
import { EOS, type AnyElement, type BranchPort, type DropReason, type ElementContext, type Pulled, type Reader, type Writer } from '../src/element';
import type { Memory } from '../src/memory/memory';
import { defineSink, defineSource, defineTransform, type Sink, type Source, type Transform } from '../src/operator';
import { packet as makePacket, type Packet, type PacketMeta } from '../src/packet';
import { Pipeline } from '../src/pipeline/pipeline';
import type { LatencyProfile } from '../src/pipeline/profile';
import type { RunningPipeline } from '../src/pipeline/run';
import type { ElementStats, PipelineStats } from '../src/pipeline/stats';
import { AbortError, abortReason, isAbortError, raceAbort } from '../src/util/abort';
import { deferred, type Deferred, type MaybePromise } from '../src/util/promise';
import type { LogMessage } from './log';

/**
 * An element harness, as GStreamer's GstHarness: ONE element (or a composed operator) between a test
 * source the test pushes into and a test sink the test pulls from, with no pipeline built by hand.
 *
 * It runs on the real runtime: the harness builds `harnessSrc ! element ! harnessGate ! harnessSink`, so
 * caps are negotiated by `negotiate` (the source offers `inputCaps`, the sink accepts `outputCaps` and
 * answers the allocation query with `downstreamMetas`), elements are opened, linked, counted, renegotiated
 * and closed by the pipeline runtime, on a VirtualClock. The gate passes on exactly one pull of the
 * element per `pull()` of the test, so demand is the test's: the element is pulled only when asked.
 */

/** Fields of a packet to push; what is left out gets the harness's defaults. */
export interface HarnessPacketInit {
  /** Payload bytes (wrapped as CPU memory); or give `memory`. */
  readonly data?: Uint8Array;
  readonly memory?: Memory;
  readonly pts?: number;
  readonly dts?: number;
  readonly duration?: number;
  readonly flags?: number;
  /** Default: the negotiated input caps. A string is parsed once, so repeated strings give one Caps object. */
  readonly caps?: Caps | string;
  readonly meta?: PacketMeta;
}

export interface HarnessOptions {
  /** What the harness source offers (a caps template; negotiation fixates it). Default ANY: the element's input fixated. */
  readonly inputCaps?: Caps | string;
  /** What the harness sink accepts downstream of the element (as a capsfilter would). Default ANY. */
  readonly outputCaps?: Caps | string;
  /** Buffer metas the harness sink honours (the allocation query's answer), e.g. VIDEO_META, RELEASE. Default none. */
  readonly downstreamMetas?: readonly string[];
  /** The clock; default a fresh auto-advancing VirtualClock at 0 (pass `autoAdvance: false` to crank it with `advance`). */
  readonly clock?: VirtualClock;
  /** Latency profile; default 'throughput'. */
  readonly profile?: 'live' | 'throughput' | LatencyProfile;
  /** Strict zero-copy: an implicit CPU copy fails the run. */
  readonly strict?: boolean;
  /**
   * Host macrotasks without any movement (no pull, push, output or clock time change) after which a
   * waiting `pull()` fails with HarnessStallError instead of hanging, and `tryPull()` answers undefined.
   * false waits forever (elements that wait on threads or sockets). Default 64.
   */
  readonly stallAfter?: number | false;
}

/** A `pull()` that could not be answered: the element waits for input, for the clock, or for nothing. */
export class HarnessStallError extends G2gError {
  override readonly name = 'HarnessStallError';
  constructor(
    message: string,
    /** 'input': a pull of the element's input waits for `push`/`pushEos`; 'clock': nothing moves but timers wait (a manual clock). */
    readonly waitingFor: 'input' | 'clock' | 'unknown'
  ) {
    super('HARNESS_STALL', message);
  }
}

/** Teardown broke the runtime's promises: an element not closed exactly once, a pull after close, a leaked timer. */
export class HarnessTeardownError extends G2gError {
  override readonly name = 'HarnessTeardownError';
  constructor(readonly problems: readonly string[], readonly report: HarnessTeardown) {
    super('HARNESS_TEARDOWN', `harness teardown: ${problems.join('; ')}`);
  }
}

export interface HarnessElementLog {
  readonly name: string;
  readonly factory: string;
  /** Times the runtime opened it. */
  readonly opens: number;
  /** Times the runtime called its reader's (or writer's) close. */
  readonly closes: number;
}

/** What `close()` found. */
export interface HarnessTeardown {
  /** How the run ended: end-of-stream reached the sink, an error, or close() aborted it. */
  readonly outcome: 'eos' | 'error' | 'abort';
  /** What the run failed with (undefined on eos and on the harness's own abort). */
  readonly error: unknown;
  /** The harnessed elements, in order. */
  readonly elements: readonly HarnessElementLog[];
  /** Pulls of the harness source made after the runtime closed it. */
  readonly pullsAfterClose: number;
  /** Clock timers still set after the run settled (a sleep that ignored the abort signal). */
  readonly pendingTimers: number;
  /** Packets the element produced that the test never pulled. */
  readonly unread: number;
  readonly stats: PipelineStats | undefined;
}

export interface Harness<I extends Packet = Packet, O extends Packet = Packet> {
  readonly clock: VirtualClock;
  /** The running pipeline (`harnessSrc ! element ! harnessGate ! harnessSink`). */
  readonly run: RunningPipeline;
  /** Instance names of the harnessed elements, in order. */
  readonly names: readonly string[];
  /** The harnessed element's (first one's) input caps: negotiated, then as pushed packets renegotiate them. */
  readonly inputCaps: Caps | undefined;
  /** Caps of the element's (last one's) output: negotiated, then as its packets renegotiate them (a parser's). */
  readonly outputCaps: Caps;
  /** The caps negotiation fixed for the output before any data flowed. */
  readonly negotiatedCaps: Caps;
  /** Times the element pulled its input (its demand). */
  readonly inputPulls: number;
  /** Pushed packets (and EOS/error) the element has not pulled yet. */
  readonly inputQueued: number;
  /** True while a pull of the input waits for `push`. */
  readonly starved: boolean;
  /** Packets the test has pulled so far. */
  readonly outputCount: number;
  /** What the element logged. */
  readonly messages: readonly LogMessage[];
  /** The run's failure, once it has failed. */
  readonly error: unknown;
  /** Whether the run has settled (eos, error or abort; every element closed). */
  readonly settled: boolean;

  /** Queues a packet (or packet fields) for the element's next pull of its input. */
  push(item: I | HarnessPacketInit): void;
  pushAll(items: Iterable<I | HarnessPacketInit>): void;
  /** The input ends after what is queued. */
  pushEos(): void;
  /** The input fails after what is queued (an upstream error). */
  pushError(error: unknown): void;
  /** The element's next output packet, or EOS; pulls the element once when nothing is buffered. Rejects with the run's error, or HarnessStallError. */
  pull(): Promise<Pulled<O>>;
  /** As `pull`, but answers undefined when the element needs more input (or time) before it can answer. */
  tryPull(): Promise<Pulled<O> | undefined>;
  /** Pulls until EOS; the packets before it. */
  pullAll(): Promise<O[]>;
  /** `pushEos()` then `pullAll()`. */
  drain(): Promise<O[]>;
  /** Moves the virtual clock forward by `ns`, firing timers due, and lets the element run. */
  advance(ns: number): Promise<void>;
  /** Lets pending work settle (until nothing moves), without pulling. */
  settle(): Promise<void>;
  /** Stats of one harnessed element (default the only one, or name it). */
  stats(name?: string): ElementStats;
  /** Its drops by reason (stats().drops). */
  drops(name?: string): Readonly<Partial<Record<DropReason, number>>>;
  /** Stats of the whole run (the harness's own elements included). */
  pipelineStats(): PipelineStats;
  /**
   * Ends the run (aborts it unless it settled on its own), waits for every close, and checks teardown:
   * every harnessed element opened once and closed exactly once, no pull after close, no timer left on a
   * clock, no element ignoring the abort, and no run error the test did not see through a pull. Throws HarnessTeardownError otherwise.
   */
  close(): Promise<HarnessTeardown>;
}

type Input = { readonly kind: 'eos' } | { readonly kind: 'error'; readonly error: unknown };

function toCaps(c: Caps | string): Caps {
  return typeof c === 'string' ? Caps.parse(c) : c;
}

function isPacket(v: Packet | HarnessPacketInit): v is Packet {
  return 'caps' in v && 'memory' in v && 'meta' in v && 'flags' in v && 'pts' in v && typeof v.caps === 'object' && v.memory !== undefined;
}

const HARNESS_CAPS = 'application/x-harness';
const DEFAULT_STALL = 64;
/** Most host turns `settle()` and `close()` wait for a run that keeps moving. */
const SETTLE_LIMIT = 1000;

export function harness<I extends Packet, O extends Packet>(op: Transform<I, O>, options?: HarnessOptions): Harness<I, O>;
export function harness<O extends Packet>(op: Source<O>, options?: HarnessOptions): Harness<never, O>;
export function harness<I extends Packet>(op: Sink<I>, options?: HarnessOptions): Harness<I, never>;
/**
 * Harnesses one element, or a composed operator: a Transform is fed by `push` and read by `pull`, a
 * Source is only read, a Sink only fed. Negotiation runs at once (a NegotiationError throws here, before
 * any data); elements open as in a pipeline. Always `close()` it: that is where teardown is checked.
 */
export function harness(op: Transform<any, any> | Source<any> | Sink<any>, options: HarnessOptions = {}): Harness<any, any> {
  const clock = options.clock ?? new VirtualClock();
  const stallAfter = options.stallAfter ?? DEFAULT_STALL;
  const kind = op.kind;

  // --- state the harness elements share ---------------------------------------------------------------
  let activity = 0;
  const input: Packet[] = [];
  let terminal: Input | undefined;
  let terminalTaken = false;
  let inputWaiter: Deferred<void> | undefined;
  let inputPulls = 0;
  let starved = false;
  let srcClosed = false;
  let pullsAfterClose = 0;
  let srcCtx: ElementContext | undefined;
  let gateCtx: ElementContext | undefined;
  const capsCache = new Map<string, Caps>();

  let credits = 0;
  let creditWaiter: Deferred<void> | undefined;
  const outputs: Pulled<Packet>[] = [];
  let outputWaiter: Deferred<void> | undefined;
  let outputCount = 0;
  let requested = false;

  let settled = false;
  let runError: unknown;
  let errorSeen = false;
  let closing = false;
  const messages: LogMessage[] = [];

  const wakeOutput = (): void => {
    activity++;
    const w = outputWaiter;
    outputWaiter = undefined;
    w?.resolve();
  };

  // --- the harness's elements --------------------------------------------------------------------------
  const srcTemplate = options.inputCaps !== undefined ? toCaps(options.inputCaps) : Caps.any();
  const src = defineSource<Packet>({
    factory: 'harnessSrc',
    props: {},
    srcCaps: srcTemplate,
    fixate: (allowed) => (allowed.isAny ? Caps.parse(HARNESS_CAPS) : allowed.fixate()),
    open(ctx): Reader<Packet> {
      srcCtx = ctx;
      const next = (signal: AbortSignal): Pulled<Packet> | Promise<Pulled<Packet>> => {
        const item = input.shift();
        if (item !== undefined) {
          starved = false;
          activity++;
          return item;
        }
        if (terminal) {
          starved = false;
          terminalTaken = true;
          activity++;
          // End-of-stream (or the error) stays: a pull after it answers it again.
          if (terminal.kind === 'eos') return EOS;
          throw terminal.error;
        }
        if (signal.aborted) return Promise.reject(abortReason(signal));
        starved = true;
        inputWaiter ??= deferred<void>();
        return raceAbort(inputWaiter.promise, signal).then(
          () => next(signal),
          (e) => {
            starved = false;
            throw e;
          }
        );
      };
      return {
        pull(signal) {
          inputPulls++;
          activity++;
          if (srcClosed) pullsAfterClose++;
          return next(signal);
        },
        close() {
          srcClosed = true;
          activity++;
        },
      };
    },
  });

  const gate = defineTransform<Packet, Packet>({
    factory: 'harnessGate',
    props: {},
    sinkCaps: Caps.any(),
    srcCaps: Caps.any(),
    passthrough: true,
    metas: 'forward',
    open(ctx, up): Reader<Packet> {
      gateCtx = ctx;
      const take = (signal: AbortSignal): MaybePromise<Pulled<Packet>> => {
        credits--;
        activity++;
        return up.pull(signal);
      };
      const pull = (signal: AbortSignal): MaybePromise<Pulled<Packet>> => {
        if (credits > 0) return take(signal);
        creditWaiter ??= deferred<void>();
        return raceAbort(creditWaiter.promise, signal).then(() => pull(signal));
      };
      return { pull };
    },
  });

  const sink = defineSink<Packet>({
    factory: 'harnessSink',
    props: {},
    sinkCaps: options.outputCaps !== undefined ? toCaps(options.outputCaps) : Caps.any(),
    metas: options.downstreamMetas,
    // The harness sees everything the element made: no presentation timing, no late drops.
    sync: false,
    dropLate: false,
    open(): Writer<Packet> {
      return {
        write(p) {
          requested = false;
          outputs.push(p);
          wakeOutput();
        },
        end() {
          requested = false;
          outputs.push(EOS);
          wakeOutput();
        },
      };
    },
  });

  // --- the harnessed elements, wrapped to see their opens and closes -------------------------------------
  const logs: { name: string; factory: string; opens: number; closes: number; ctx: ElementContext | undefined }[] = [];
  const wrap = (el: AnyElement): AnyElement => {
    const rec = { name: el.name ?? el.factory, factory: el.factory, opens: 0, closes: 0, ctx: undefined as ElementContext | undefined };
    logs.push(rec);
    // Counted once open returned: an element whose open threw has nothing for the runtime to close.
    const seen = (ctx: ElementContext): void => {
      rec.name = ctx.name;
      rec.ctx = ctx;
      rec.opens++;
      activity++;
    };
    const closer = (inner: (() => unknown) | undefined) => async (): Promise<void> => {
      rec.closes++;
      activity++;
      await inner?.();
    };
    if (el.kind === 'sink') {
      return {
        ...el,
        open: (ctx: ElementContext, ports: readonly BranchPort<any>[]) => {
          rec.name = ctx.name;
          const w: Writer<any> = el.open(ctx, ports);
          seen(ctx);
          return {
            write: (p: unknown, s: AbortSignal) => (activity++, w.write(p, s)),
            end: w.end ? (s: AbortSignal) => (activity++, w.end!(s)) : undefined,
            close: closer(w.close?.bind(w)),
          };
        },
      };
    }
    const open = (ctx: ElementContext, arg: any): Reader<any> => {
      rec.name = ctx.name;
      const r: Reader<any> = (el.open as (c: ElementContext, a: unknown) => Reader<any>)(ctx, arg);
      seen(ctx);
      return { pull: (s) => r.pull(s), close: closer(r.close?.bind(r)) };
    };
    return { ...el, open } as AnyElement;
  };
  const elements = op.elements.map(wrap);

  const chain: AnyElement[] =
    kind === 'transform'
      ? [...src.elements, ...elements, ...gate.elements, ...sink.elements]
      : kind === 'source'
      ? [...elements, ...gate.elements, ...sink.elements]
      : [...src.elements, ...elements];
  const pipeline = new Pipeline(chain);
  // Negotiation errors throw here, before anything opens.
  const negotiated = pipeline.negotiate();
  const lastIndex = kind === 'sink' ? chain.length - 1 : chain.length - 3;
  const negotiatedCaps = negotiated.caps[lastIndex];

  const baseTime = clock.now();
  const timersBefore = clock.pending;
  const run = pipeline.start({
    clock,
    profile: options.profile ?? 'throughput',
    strict: options.strict,
    log: (level, element, message) => void messages.push({ time: clock.now() - baseTime, level, element, message }),
  });
  const done = run.done.then(
    () => {
      settled = true;
      wakeOutput();
    },
    (e: unknown) => {
      settled = true;
      runError = e;
      wakeOutput();
    }
  );

  // --- waiting, with stall detection ---------------------------------------------------------------------
  const macrotask = (): Promise<void> => new Promise<void>((resolve) => hostTimers.macrotask(resolve));

  /**
   * True once nothing has moved for `turns` host macrotasks; false as soon as `until()` holds, or after
   * `limit` turns of movement (a clock that runs on and on).
   */
  const quiet = async (turns: number, until: () => boolean, limit = Infinity): Promise<boolean> => {
    let idle = 0;
    let n = 0;
    let lastActivity = activity;
    let lastNow = clock.now();
    while (!until()) {
      await macrotask();
      if (until()) return false;
      if (activity === lastActivity && clock.now() === lastNow) idle++;
      else idle = 0;
      lastActivity = activity;
      lastNow = clock.now();
      if (idle >= turns) return true;
      if (++n >= limit) return false;
    }
    return false;
  };

  const stallError = (): HarnessStallError => {
    const what = names().join(' ! ');
    if (starved && input.length === 0) {
      return new HarnessStallError(
        `harness: ${what} needs more input before it can answer (it pulled its input ${inputPulls}×, all pushed packets are taken): push() more, or pushEos()`,
        'input'
      );
    }
    if (clock.pending > 0) {
      return new HarnessStallError(
        `harness: ${what} waits on the clock (${clock.pending} timer(s) at ${clock.now()} ns) and nothing advances it: advance()`,
        'clock'
      );
    }
    return new HarnessStallError(`harness: ${what} answers nothing: no pull, no output and no timer for ${stallAfter} host turns`, 'unknown');
  };

  const request = (): void => {
    if (requested || settled) return;
    requested = true;
    credits++;
    activity++;
    const w = creditWaiter;
    creditWaiter = undefined;
    w?.resolve();
  };

  /** The next output, undefined when the element stalls; rejects with the run's error once nothing is buffered. */
  const next = async (mode: 'pull' | 'try'): Promise<Pulled<Packet> | undefined> => {
    if (kind === 'sink') throw new TypeError('harness: a sink has no output to pull');
    for (;;) {
      if (outputs.length > 0) {
        const item = outputs[0];
        if (item !== EOS) {
          outputs.shift();
          outputCount++;
        }
        return item;
      }
      if (settled) {
        if (runError !== undefined) {
          errorSeen = true;
          throw runError;
        }
        return EOS;
      }
      request();
      outputWaiter ??= deferred<void>();
      const arrived = outputWaiter.promise.then(() => 'arrived' as const);
      if (stallAfter === false) {
        await arrived;
        continue;
      }
      let got = false;
      arrived.then(() => (got = true));
      const r = await Promise.race([arrived, quiet(stallAfter, () => got).then((q) => (q ? ('quiet' as const) : ('arrived' as const)))]);
      if (r === 'quiet' && outputs.length === 0 && !settled) {
        if (mode === 'try') return undefined;
        throw stallError();
      }
    }
  };

  const names = (): string[] => logs.map((l) => l.name);
  const statsOf = (name?: string): ElementStats => {
    const want = name ?? (logs.length === 1 ? logs[0].name : undefined);
    if (want === undefined) throw new RangeError(`harness: ${logs.length} elements (${names().join(', ')}): name one`);
    const s = run.stats().elements.find((e) => e.name === want);
    if (!s) throw new RangeError(`harness: no element '${want}' (have: ${names().join(', ')})`);
    return s;
  };

  const pushInput = (item: { packet: Packet } | Input): void => {
    if (kind === 'source') throw new TypeError('harness: a source has no input to push');
    if (terminal) throw new Error(`harness: push after ${terminal.kind === 'eos' ? 'pushEos()' : 'pushError()'}`);
    if ('packet' in item) input.push(item.packet);
    else terminal = item;
    activity++;
    const w = inputWaiter;
    inputWaiter = undefined;
    w?.resolve();
  };

  const toPacket = (item: Packet | HarnessPacketInit): Packet => {
    if (isPacket(item)) return item;
    let caps: Caps | undefined;
    if (typeof item.caps === 'string') {
      caps = capsCache.get(item.caps);
      if (!caps) capsCache.set(item.caps, (caps = Caps.parse(item.caps)));
    } else caps = item.caps;
    const memory = item.memory ?? (item.data !== undefined ? { domain: 'cpu' as const, data: item.data } : undefined);
    return makePacket({
      caps: caps ?? srcCtx?.outputCaps ?? Caps.parse(HARNESS_CAPS),
      memory,
      pts: item.pts,
      dts: item.dts,
      duration: item.duration,
      flags: item.flags,
      meta: item.meta,
    });
  };

  const h: Harness<any, any> = {
    clock,
    run,
    get names() {
      return names();
    },
    get inputCaps() {
      return logs[0]?.ctx?.inputCaps;
    },
    get outputCaps() {
      if (kind === 'sink') throw new TypeError('harness: a sink has no output caps');
      return gateCtx?.inputCaps ?? negotiatedCaps;
    },
    negotiatedCaps,
    get inputPulls() {
      return inputPulls;
    },
    get inputQueued() {
      return input.length + (terminal && !terminalTaken ? 1 : 0);
    },
    get starved() {
      return starved;
    },
    get outputCount() {
      return outputCount;
    },
    messages,
    get error() {
      return runError;
    },
    get settled() {
      return settled;
    },
    push(item) {
      pushInput({ packet: toPacket(item) });
    },
    pushAll(items) {
      for (const item of items) h.push(item);
    },
    pushEos() {
      pushInput({ kind: 'eos' });
    },
    pushError(error) {
      pushInput({ kind: 'error', error });
    },
    async pull() {
      return (await next('pull'))!;
    },
    tryPull() {
      return next('try');
    },
    async pullAll() {
      const out: Packet[] = [];
      for (;;) {
        const p = await next('pull');
        if (p === EOS) return out;
        out.push(p!);
      }
    },
    drain() {
      h.pushEos();
      return h.pullAll();
    },
    async advance(ns) {
      activity++;
      clock.advanceBy(ns);
      await quiet(2, () => false);
    },
    async settle() {
      if (stallAfter === false) await macrotask();
      else await quiet(Math.min(stallAfter, 8), () => settled, SETTLE_LIMIT);
    },
    stats: statsOf,
    drops: (name) => statsOf(name).drops,
    pipelineStats: () => run.stats(),
    async close() {
      if (closing) throw new Error('harness: close() called twice');
      closing = true;
      // A run that can end on its own (a sink fed to EOS) is given the chance; anything else is stopped.
      if (!settled && stallAfter !== false) await quiet(Math.min(stallAfter, 8), () => settled, SETTLE_LIMIT);
      const aborted = !settled;
      if (aborted) run.abort(new AbortError('harness closed'));
      // An element that ignores its abort signal keeps the run from settling: report it, do not hang.
      let hung = false;
      if (stallAfter === false) await done;
      else if (!settled) {
        let finished = false;
        void done.then(() => (finished = true));
        hung = await Promise.race([done.then(() => false), quiet(stallAfter, () => finished).then((q) => q && !finished)]);
      }
      if (hung) {
        const report: HarnessTeardown = {
          outcome: 'abort',
          error: undefined,
          elements: logs.map(({ name, factory, opens, closes }) => ({ name, factory, opens, closes })),
          pullsAfterClose,
          pendingTimers: clock.pending - timersBefore,
          unread: outputs.filter((o) => o !== EOS).length,
          stats: undefined,
        };
        throw new HarnessTeardownError(
          [
            `the run did not settle after it was aborted: ${names().join(' ! ')} ignores its abort signal (waits on ${
              starved ? 'its input' : clock.pending > timersBefore ? 'the clock' : 'something'
            })`,
          ],
          report
        );
      }
      let outcome: HarnessTeardown['outcome'] = runError === undefined ? 'eos' : 'error';
      let error = runError;
      if (aborted && (runError === undefined || isAbortError(runError))) {
        outcome = 'abort';
        error = undefined;
      }
      let stats: PipelineStats | undefined;
      try {
        stats = run.stats();
      } catch {
        stats = undefined;
      }
      const report: HarnessTeardown = {
        outcome,
        error,
        elements: logs.map(({ name, factory, opens, closes }) => ({ name, factory, opens, closes })),
        pullsAfterClose,
        pendingTimers: clock.pending - timersBefore,
        unread: outputs.filter((o) => o !== EOS).length,
        stats,
      };
      const problems: string[] = [];
      for (const e of report.elements) {
        // Opened once unless the run failed before reaching it (or in its open); closed once for each open.
        if (e.opens > 1 || (e.opens === 0 && runError === undefined) || e.closes !== e.opens) {
          problems.push(`${e.name} opened ${e.opens}×, closed ${e.closes}× (must be once each)`);
        }
      }
      if (pullsAfterClose > 0) problems.push(`the element pulled its input ${pullsAfterClose}× after it was closed`);
      if (report.pendingTimers > 0) problems.push(`${report.pendingTimers} clock timer(s) left set after the run (a sleep without the abort signal?)`);
      // An error the test never saw through a pull (one in teardown itself, or one it did not look for) fails it.
      if (error !== undefined && !errorSeen) problems.push(`the run failed and no pull saw it: ${error instanceof Error ? error.message : String(error)}`);
      if (problems.length) throw new HarnessTeardownError(problems, report);
      return report;
    },
  };
  return h;
}
