import { G2gError } from '../src/errors';
import type { Caps } from '../src/caps';
import type { Packet } from '../src/packet';
import { ElementError } from '../src/pipeline/errors';
import { printDiagram, timeToFrame, type MarbleEvent } from './diagram';
import type { MarbleLog, SinkLog, SourceLog } from './log';

/** A failed marble expectation; `expected`/`actual` let test runners show a diff. */
export class MarbleAssertionError extends G2gError {
  override readonly name = 'MarbleAssertionError';
  constructor(message: string, readonly expected?: unknown, readonly actual?: unknown) {
    super('MARBLE_ASSERTION', message);
  }
}

export interface SelectOptions {
  /** Which sink of the log (its instance name); default the only one. */
  readonly sink?: string;
  /** Which source of the log; default the only one. */
  readonly source?: string;
  /** ns per frame for printing; default the log's. */
  readonly frame?: number;
}

function pick<L>(kind: string, all: Readonly<Record<string, L>>, name: string | undefined): L {
  if (name !== undefined) {
    const l = all[name];
    if (!l) throw new RangeError(`no marble ${kind} named '${name}' (have: ${Object.keys(all).join(', ') || 'none'})`);
    return l;
  }
  const names = Object.keys(all);
  if (names.length !== 1) throw new RangeError(`the log has ${names.length} marble ${kind}s (${names.join(', ')}): name one`);
  return all[names[0]];
}

export function sinkOf(log: MarbleLog, name?: string): SinkLog {
  return pick('sink', log.sinks, name);
}

export function sourceOf(log: MarbleLog, name?: string): SourceLog {
  return pick('source', log.sources, name);
}

function isRunLog(x: MarbleLog | SinkLog | SourceLog): x is MarbleLog {
  return !('kind' in x);
}

/** The events of a sink or source log, in the kit's recorded order (one frame = `frame` ns). */
export function eventsOf(target: SinkLog | SourceLog, frame = target.frame): MarbleEvent[] {
  const out: { frame: number; seq: number; e: MarbleEvent }[] = [];
  const add = (time: number, seq: number, e: Omit<MarbleEvent, 'frame'>) =>
    out.push({ frame: timeToFrame(time, frame), seq, e: { ...e, frame: timeToFrame(time, frame) } });
  if (target.kind === 'sink') {
    for (const w of target.writes) add(w.time, w.seq, { kind: 'value', value: w.label });
    if (target.end !== undefined) add(target.end, Infinity, { kind: 'end' });
    else if (target.terminal) add(target.terminal.time, Infinity, { kind: target.terminal.kind });
  } else {
    for (const w of target.emits) add(w.time, w.seq, { kind: 'value', value: w.label });
    if (target.end !== undefined) add(target.end, Infinity, { kind: 'end' });
    else if (target.error) add(target.error.time, Infinity, { kind: 'error' });
  }
  return out.sort((a, b) => a.frame - b.frame || a.seq - b.seq).map((x) => x.e);
}

/**
 * The diagram of what a sink received (default) or a source emitted: `-a-b-(cd)-|`. Times fall in the
 * frame that starts at or before them. A run that failed or was aborted before the sink saw its end
 * shows `#` or `!`; a stalled one shows no end at all.
 */
export function toDiagram(target: MarbleLog | SinkLog | SourceLog, options: SelectOptions = {}): string {
  if (isRunLog(target)) {
    const l = options.source !== undefined && options.sink === undefined ? sourceOf(target, options.source) : sinkOf(target, options.sink);
    return printDiagram(eventsOf(l, options.frame ?? target.frame));
  }
  return printDiagram(eventsOf(target, options.frame ?? target.frame));
}

/** Packets a sink received (or a source emitted), in order. */
export function valuesOf<T extends Packet = Packet>(target: MarbleLog | SinkLog | SourceLog, options: SelectOptions = {}): T[] {
  const l = isRunLog(target)
    ? options.source !== undefined && options.sink === undefined
      ? sourceOf(target, options.source)
      : sinkOf(target, options.sink)
    : target;
  return (l.kind === 'sink' ? l.writes : l.emits).map((w) => w.packet as T);
}

/** Times (ns after the start) at which a sink received (or a source emitted) each packet. */
export function timesOf(target: MarbleLog | SinkLog | SourceLog, options: SelectOptions = {}): number[] {
  const l = isRunLog(target)
    ? options.source !== undefined && options.sink === undefined
      ? sourceOf(target, options.source)
      : sinkOf(target, options.sink)
    : target;
  return (l.kind === 'sink' ? l.writes : l.emits).map((w) => w.time);
}

export function expectDiagram(target: MarbleLog | SinkLog | SourceLog, expected: string, options: SelectOptions = {}): void {
  const actual = toDiagram(target, options);
  const want = expected.replace(/ /g, '');
  if (actual !== want) throw new MarbleAssertionError(`expected diagram '${want}', got '${actual}'`, want, actual);
}

/** Teardown diagram of one element: `^` when it opened, `!` at each close (`^---!`: opened at 0, closed at 4). */
export function teardownDiagram(log: MarbleLog, element: string, frame = log.frame): string {
  const el = log.elements.find((e) => e.name === element);
  if (!el) throw new RangeError(`no element '${element}' (have: ${log.elements.map((e) => e.name).join(', ')})`);
  const events: MarbleEvent[] = [
    ...el.opens.map((t) => ({ frame: timeToFrame(t, frame), kind: 'start' as const })),
    ...el.closes.map((t) => ({ frame: timeToFrame(t, frame), kind: 'abort' as const })),
  ];
  events.sort((a, b) => a.frame - b.frame);
  return printDiagram(events);
}

export function teardownDiagrams(log: MarbleLog, frame = log.frame): Record<string, string> {
  return Object.fromEntries(log.elements.map((e) => [e.name, teardownDiagram(log, e.name, frame)]));
}

/** Every element was opened once and closed exactly once. */
export function expectClosedOnce(log: MarbleLog): void {
  const bad = log.elements.filter((e) => e.opens.length !== 1 || e.closes.length !== 1);
  if (bad.length) {
    const what = bad.map((e) => `${e.name}: opened ${e.opens.length}×, closed ${e.closes.length}×`).join('; ');
    throw new MarbleAssertionError(`every element must open and close exactly once (${log.outcome}): ${what}`);
  }
}

/**
 * Teardown of every element matches `expected` (one diagram for all, or one per element name; names
 * left out must still close exactly once).
 */
export function expectTeardown(log: MarbleLog, expected: string | Readonly<Record<string, string>>): void {
  expectClosedOnce(log);
  const actual = teardownDiagrams(log);
  const want: Record<string, string> =
    typeof expected === 'string' ? Object.fromEntries(log.elements.map((e) => [e.name, expected.replace(/ /g, '')])) : { ...expected };
  for (const [name, d] of Object.entries(want)) {
    if (!(name in actual)) throw new RangeError(`no element '${name}'`);
    if (actual[name] !== d.replace(/ /g, '')) {
      throw new MarbleAssertionError(`teardown of ${name}: expected '${d}', got '${actual[name]}'`, want, actual);
    }
  }
}

export interface ErrorMatch {
  /** Instance name the ElementError must name. */
  readonly element?: string;
  /** pts the ElementError must name (undefined: none). */
  readonly pts?: number | undefined;
  /** Substring or pattern of the message (of the error or its cause). */
  readonly message?: string | RegExp;
}

/** The run failed with an ElementError matching `match`; returns it. */
export function expectError(log: MarbleLog, match: ErrorMatch = {}): ElementError {
  const e = log.error;
  if (log.outcome !== 'error' || !(e instanceof ElementError)) {
    throw new MarbleAssertionError(`expected the run to fail with an ElementError, it ended '${log.outcome}'${e ? ` with ${String(e)}` : ''}`);
  }
  if (match.element !== undefined && e.element !== match.element) {
    throw new MarbleAssertionError(`expected the error to name ${match.element}, it names ${e.element}: ${e.message}`, match.element, e.element);
  }
  if ('pts' in match && e.pts !== match.pts) {
    throw new MarbleAssertionError(`expected the error at pts ${match.pts}, got ${e.pts}: ${e.message}`, match.pts, e.pts);
  }
  if (match.message !== undefined) {
    const texts = [e.message, e.cause instanceof Error ? e.cause.message : String(e.cause)];
    const ok = texts.some((t) => (typeof match.message === 'string' ? t.includes(match.message) : match.message!.test(t)));
    if (!ok) throw new MarbleAssertionError(`expected the error message to match ${String(match.message)}: ${e.message}`);
  }
  return e;
}

/** The packet fields expectValues compares; caps compare by equality, meta by the keys given. */
export interface PacketMatch {
  readonly pts?: number | undefined;
  readonly dts?: number | undefined;
  readonly duration?: number | undefined;
  readonly flags?: number;
  readonly caps?: Caps | string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

function mismatches(p: Packet, m: PacketMatch): string[] {
  const out: string[] = [];
  for (const k of ['pts', 'dts', 'duration', 'flags'] as const) {
    if (k in m && p[k] !== m[k]) out.push(`${k} ${String(p[k])} ≠ ${String(m[k])}`);
  }
  if (m.caps !== undefined) {
    const want = typeof m.caps === 'string' ? m.caps : m.caps.toString();
    if (p.caps.toString() !== want && (typeof m.caps === 'string' || !p.caps.equals(m.caps))) out.push(`caps ${p.caps.toString()} ≠ ${want}`);
  }
  for (const [k, v] of Object.entries(m.meta ?? {})) {
    if (p.meta[k] !== v) out.push(`meta.${k} ${String(p.meta[k])} ≠ ${String(v)}`);
  }
  return out;
}

/** Each packet the sink received whose character is a key of `expected` has the fields given there. */
export function expectValues(target: MarbleLog | SinkLog, expected: Readonly<Record<string, PacketMatch>>, options: SelectOptions = {}): void {
  const l = isRunLog(target) ? sinkOf(target, options.sink) : target;
  for (const w of l.writes) {
    const m = expected[w.label];
    if (!m) continue;
    const bad = mismatches(w.packet, m);
    if (bad.length) throw new MarbleAssertionError(`packet '${w.label}' at ${w.time} ns: ${bad.join(', ')}`, m, w.packet);
  }
}

export interface DemandPoint {
  readonly time: number;
  /** Packets the source had produced when it was pulled. */
  readonly produced: number;
  /** Packets the sink (the slowest marble sink when none is named) had received by then. */
  readonly received: number;
  /** produced − received: how far the source ran ahead of the sink at that pull. */
  readonly ahead: number;
}

/** Each pull of a source, with how many packets the sink had received at that moment. */
export function demand(log: MarbleLog, options: { readonly source?: string; readonly sink?: string } = {}): DemandPoint[] {
  const src = sourceOf(log, options.source);
  const sinks = options.sink !== undefined ? [sinkOf(log, options.sink)] : Object.values(log.sinks);
  if (sinks.length === 0) throw new RangeError('the log has no marble sink');
  const cursors = sinks.map(() => 0);
  return src.pulls.map((p) => {
    let received = Infinity;
    sinks.forEach((s, k) => {
      while (cursors[k] < s.writes.length && s.writes[cursors[k]].seq < p.seq) cursors[k]++;
      received = Math.min(received, cursors[k]);
    });
    return { time: p.time, produced: p.produced, received, ahead: p.produced - received };
  });
}

export function maxAhead(log: MarbleLog, options: { readonly source?: string; readonly sink?: string } = {}): number {
  return demand(log, options).reduce((m, d) => Math.max(m, d.ahead), 0);
}

/** The source never ran more than `n` packets ahead of the sink (it was pulled only with ≤ n in flight). */
export function expectMaxAhead(log: MarbleLog, n: number, options: { readonly source?: string; readonly sink?: string } = {}): void {
  const worst = demand(log, options).find((d) => d.ahead > n);
  if (worst) {
    throw new MarbleAssertionError(
      `the source ran ${worst.ahead} packets ahead of the sink (max ${n}) at ${worst.time} ns: produced ${worst.produced}, received ${worst.received}`,
      n,
      worst.ahead
    );
  }
}
