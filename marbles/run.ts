import { hostTimers } from '../src/clock/host';
import { VirtualClock } from '../src/clock/virtual-clock';
import type { AnyElement, BranchPort, Chain, ElementContext, Reader, Writer } from '../src/element';
import type { NegotiatedChain } from '../src/pipeline/negotiate';
import { namer, Pipeline } from '../src/pipeline/pipeline';
import type { LatencyProfile } from '../src/pipeline/profile';
import type { RunningPipeline } from '../src/pipeline/run';
import type { PipelineStats } from '../src/pipeline/stats';
import { AbortError, isAbortError, newAbortController } from '../src/util/abort';
import { DEFAULT_FRAME, frameToTime, parseDiagram } from './diagram';
import { stateOf, type ElementLog, type LogMessage, type MarbleLog, type MarbleOutcome, type MarbleState, type SinkLog, type SourceLog } from './log';

export interface RunMarblesOptions {
  /** ns per frame of every diagram (elements may set their own); default 1 ms. */
  frame?: number;
  /** Latency profile; default 'throughput'. */
  profile?: 'live' | 'throughput' | LatencyProfile;
  /** The virtual clock to run on (auto-advancing: the run waits on it); default a fresh one at time 0. */
  clock?: VirtualClock;
  /** Abort the pipeline at this frame (a number, or the first `!` of a diagram such as '----!'). */
  abortAt?: number | string;
  /** Ask for a graceful end-of-stream at this frame (a number, or the first `|` of a diagram). */
  eosAt?: number | string;
  /** Strict zero-copy (an implicit CPU copy fails the run). */
  strict?: boolean;
  /**
   * Host macrotasks with no clock timer and no element activity after which the run counts as stalled
   * (a deadlock, or a diagram that never ends): it is aborted and the log's outcome is 'stalled'.
   * false disables the check. Default 64.
   */
  stallAfter?: number | false;
}

/** The reason a stalled run is aborted with; an AbortError, so elements unwind as on any abort. */
export class MarbleStallError extends AbortError {
  constructor(readonly time: number) {
    super(`pipeline stalled at virtual time ${time} ns: nothing waits on the clock and nothing moves`);
  }
}

function frameOf(at: number | string, char: '!' | '|'): number {
  if (typeof at === 'number') return at;
  const kind = char === '!' ? 'abort' : 'end';
  const e = parseDiagram(at).events.find((x) => x.kind === kind);
  if (!e) throw new RangeError(`'${at}' has no '${char}'`);
  return e.frame;
}

function walk(elements: readonly AnyElement[], visit: (el: AnyElement) => void): void {
  for (const el of elements) {
    visit(el);
    const nested: readonly Chain[] | undefined = el.kind === 'source' ? el.inputs : el.kind === 'sink' ? el.branches : undefined;
    for (const c of nested ?? []) walk(c.elements, visit);
  }
}

function walkNames(neg: NegotiatedChain, visit: (el: AnyElement, name: string) => void): void {
  neg.elements.forEach((el, i) => visit(el, neg.names[i]));
  for (const c of neg.inputs ?? []) walkNames(c, visit);
  for (const c of neg.branches ?? []) walkNames(c, visit);
}

/**
 * Runs a pipeline on a virtual clock and records what happened: every marble source's emissions and
 * demand, every marble sink's writes, when each element (all of them) opened and closed, the outcome
 * and the stats. Never rejects because the pipeline failed: the failure is in the log.
 *
 * Abort frames (`abortAt`, a source's `!`) are scheduled before the pipeline starts, so at the same
 * instant the abort comes before any packet: nothing reaches a sink at or after the abort frame.
 */
export async function runMarbles(pipeline: Pipeline | (() => Pipeline), options: RunMarblesOptions = {}): Promise<MarbleLog> {
  const original = typeof pipeline === 'function' ? pipeline() : pipeline;
  const frame = options.frame ?? DEFAULT_FRAME;
  const clock = options.clock ?? new VirtualClock();

  const states: MarbleState[] = [];
  const abortTimes: number[] = [];
  walk(original.elements, (el) => {
    const s = stateOf(el);
    if (!s) return;
    s.harness = { frame };
    s.current = undefined;
    states.push(s);
    if (s.abortFrame !== undefined) abortTimes.push(frameToTime(s.abortFrame, s.frame ?? frame));
  });
  if (options.abortAt !== undefined) abortTimes.push(frameToTime(frameOf(options.abortAt, '!'), frame));

  // Every element is wrapped so that its open and close are seen and its activity counted.
  let activity = 0;
  let base = clock.now();
  const rel = (): number => clock.now() - base;
  const elementLogs = new Map<AnyElement, { factory: string; name: string | undefined; opens: number[]; closes: number[] }>();
  const wrap = (el: AnyElement): AnyElement => {
    const rec = { factory: el.factory, name: el.name, opens: [] as number[], closes: [] as number[] };
    const close = (inner: (() => unknown) | undefined) => async (): Promise<void> => {
      activity++;
      rec.closes.push(rel());
      await inner?.();
    };
    let w: AnyElement;
    if (el.kind === 'sink') {
      w = {
        ...el,
        branches: el.branches?.map((c) => ({ elements: c.elements.map(wrap) })),
        open: (ctx: ElementContext, ports: readonly BranchPort<any>[]) => {
          rec.name = ctx.name;
          rec.opens.push(rel());
          activity++;
          const inner: Writer<any> = el.open(ctx, ports);
          return {
            write: (p: unknown, s: AbortSignal) => (activity++, inner.write(p, s)),
            end: inner.end ? (s: AbortSignal) => (activity++, inner.end!(s)) : undefined,
            close: close(inner.close?.bind(inner)),
          };
        },
      };
    } else {
      const open = (ctx: ElementContext, arg: any): Reader<any> => {
        rec.name = ctx.name;
        rec.opens.push(rel());
        activity++;
        const inner: Reader<any> = (el.open as (c: ElementContext, a: unknown) => Reader<any>)(ctx, arg);
        return { pull: (s) => (activity++, inner.pull(s)), close: close(inner.close?.bind(inner)) };
      };
      w = el.kind === 'source' ? { ...el, inputs: el.inputs?.map((c) => ({ elements: c.elements.map(wrap) })), open } : { ...el, open };
    }
    elementLogs.set(w, rec);
    return w;
  };
  const wrapped = new Pipeline(original.elements.map(wrap));

  const messages: LogMessage[] = [];
  const timers = newAbortController();
  let abortTime: number | undefined;
  let running: RunningPipeline | undefined;
  const at = (time: number, fn: () => void): void => {
    clock.sleepUntil(base + time, timers.signal).then(fn, () => undefined);
  };

  let stats: PipelineStats | undefined;
  let error: unknown;
  let ok = false;
  let stalled: MarbleStallError | undefined;
  try {
    wrapped.negotiate();
    base = clock.now();
    // Timers set before start fire before any element's timer of the same instant.
    const aborter = newAbortController();
    if (abortTimes.length) {
      const t = Math.min(...abortTimes);
      const abort = (): void => {
        abortTime ??= rel();
        aborter.abort(new AbortError(`aborted by the marble test at ${t} ns`));
      };
      // An abort at the start comes before the start, so not even a synchronous first packet gets through.
      if (t <= 0) abort();
      else at(t, abort);
    }
    if (options.eosAt !== undefined) at(frameToTime(frameOf(options.eosAt, '|'), frame), () => running?.eos());
    running = wrapped.start({
      clock,
      profile: options.profile ?? 'throughput',
      strict: options.strict,
      signal: aborter.signal,
      log: (level, element, message) => messages.push({ time: rel(), level, element, message }),
    });
    const run = running;
    const limit = options.stallAfter ?? 64;
    let settled = false;
    const hung = new Promise<'hung'>((resolve) => {
      if (limit === false) return;
      let idle = 0;
      let lastActivity = -1;
      let lastNow = Number.NaN;
      const watch = (): void => {
        if (settled) return resolve('hung');
        const quiet = clock.pending === 0 && activity === lastActivity && clock.now() === lastNow;
        idle = quiet ? idle + 1 : 0;
        lastActivity = activity;
        lastNow = clock.now();
        if (idle >= limit) {
          idle = 0;
          // First abort the run so that elements unwind; if even that settles nothing, give up on it.
          if (stalled) return resolve('hung');
          stalled = new MarbleStallError(rel());
          run.abort(stalled);
        }
        hostTimers.macrotask(watch);
      };
      hostTimers.macrotask(watch);
    });
    const result = await Promise.race([run.done.then((s) => ({ s }), (e: unknown) => ({ e })), hung]);
    settled = true;
    if (result === 'hung') error = stalled;
    else if ('s' in result) {
      stats = result.s;
      ok = true;
    } else error = result.e;
    stats ??= safeStats(run);
  } catch (e) {
    error = e;
  } finally {
    timers.abort();
  }

  const endTime = rel();
  const outcome: MarbleOutcome = ok ? 'eos' : stalled !== undefined && (error === stalled || isAbortError(error)) ? 'stalled' : isAbortError(error) ? 'abort' : 'error';

  const names = new Map<AnyElement, string>();
  try {
    walkNames(wrapped.negotiate(), (el, name) => names.set(el, name));
  } catch {
    // Negotiation failed: name elements as it would have (a chain first, then its nested chains).
    const n = namer();
    const nameAll = (els: readonly AnyElement[]): void => {
      els.forEach((el) => names.set(el, n(el)));
      els.forEach((el) => (el.kind === 'source' ? el.inputs : el.kind === 'sink' ? el.branches : undefined)?.forEach((c) => nameAll(c.elements)));
    };
    nameAll(wrapped.elements);
  }
  const elements: ElementLog[] = [];
  walk(wrapped.elements, (el) => {
    const r = elementLogs.get(el)!;
    elements.push({ name: r.name ?? names.get(el) ?? r.factory, factory: r.factory, opens: r.opens, closes: r.closes });
  });

  const sources: Record<string, SourceLog> = {};
  const sinks: Record<string, SinkLog> = {};
  for (const s of states) {
    const log = s.current;
    s.harness = undefined;
    if (!log) continue;
    if (log.kind === 'source') sources[log.name] = log;
    else {
      if (log.end === undefined && (outcome === 'error' || outcome === 'abort')) {
        log.terminal = { kind: outcome, time: outcome === 'abort' ? (abortTime ?? endTime) : endTime };
      }
      sinks[log.name] = log;
    }
  }

  return {
    frame,
    baseTime: base,
    endTime,
    outcome,
    error: ok ? undefined : error,
    stats,
    sources,
    sinks,
    elements,
    messages,
    pipeline: original.toString(),
  };
}

function safeStats(run: RunningPipeline): PipelineStats | undefined {
  try {
    return run.stats();
  } catch {
    return undefined;
  }
}
