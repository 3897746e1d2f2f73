import { G2gError } from '../src/errors';
/**
 * Marble diagrams over virtual time, as RxJS's, with one difference: a group `(ab)` takes ONE frame, so
 * every recorded log can be printed and printing then parsing gives back the same events.
 *
 *   `-`      one frame passes             `a`…   a packet named by the character, at this frame
 *   `(ab)`   a and b at the same frame    `|`    end of stream
 *   `#`      error                        `!`    abort (or, in teardown diagrams, close)
 *   `^`      frame zero (earlier events get negative frames; `-` before the first event then mean nothing)
 *   spaces   ignored, for alignment
 */

/** ns per frame unless told otherwise: 1 ms. */
export const DEFAULT_FRAME = 1_000_000;

export type MarbleKind = 'value' | 'end' | 'error' | 'abort' | 'start';

export interface MarbleEvent {
  /** Frame relative to `^` (or to the first character when there is none). */
  readonly frame: number;
  readonly kind: MarbleKind;
  /** The character naming the packet, for `value` events. */
  readonly value?: string;
}

export interface Diagram {
  /** In diagram order: by frame, and in writing order within a group. */
  readonly events: readonly MarbleEvent[];
  /** Frames the diagram spans after `^` (trailing `-` included), for scheduling past the last event. */
  readonly length: number;
}

export class MarbleSyntaxError extends G2gError {
  override readonly name = 'MarbleSyntaxError';
  constructor(readonly diagram: string, readonly position: number, why: string) {
    super('MARBLE_SYNTAX', `${why} at position ${position} of '${diagram}'`);
  }
}

const SPECIAL: Readonly<Record<string, MarbleKind>> = { '|': 'end', '#': 'error', '!': 'abort', '^': 'start' };
const CHAR: Readonly<Record<Exclude<MarbleKind, 'value'>, string>> = { end: '|', error: '#', abort: '!', start: '^' };

/** True for the characters that may name a packet. */
export function isValueChar(c: string): boolean {
  return c.length === 1 && !' -()|#!^'.includes(c);
}

export function parseDiagram(diagram: string): Diagram {
  const raw: { frame: number; kind: MarbleKind; value?: string }[] = [];
  let frame = 0;
  let group: { frame: number; count: number; at: number } | undefined;
  let start: number | undefined;
  for (let i = 0; i < diagram.length; i++) {
    const c = diagram[i];
    if (c === ' ') continue;
    if (c === '(') {
      if (group) throw new MarbleSyntaxError(diagram, i, 'nested group');
      group = { frame, count: 0, at: i };
      continue;
    }
    if (c === ')') {
      if (!group) throw new MarbleSyntaxError(diagram, i, "')' without '('");
      if (group.count === 0) throw new MarbleSyntaxError(diagram, i, 'empty group');
      group = undefined;
      frame++;
      continue;
    }
    if (c === '-') {
      if (group) throw new MarbleSyntaxError(diagram, i, "'-' inside a group");
      frame++;
      continue;
    }
    const at = group ? group.frame : frame;
    const kind = SPECIAL[c] ?? 'value';
    if (kind === 'start') {
      if (start !== undefined) throw new MarbleSyntaxError(diagram, i, "second '^'");
      start = at;
    }
    raw.push(kind === 'value' ? { frame: at, kind, value: c } : { frame: at, kind });
    if (group) group.count++;
    else frame++;
  }
  if (group) throw new MarbleSyntaxError(diagram, group.at, "unclosed '('");
  const zero = start ?? 0;
  return { events: raw.map((e) => ({ ...e, frame: e.frame - zero })), length: frame - zero };
}

/** The character an event prints as. */
export function eventChar(e: MarbleEvent): string {
  if (e.kind !== 'value') return CHAR[e.kind];
  const v = e.value ?? '?';
  if (!isValueChar(v)) throw new RangeError(`'${v}' cannot name a packet in a diagram`);
  return v;
}

/**
 * Prints events (frames ascending; same-frame events keep their order) as a diagram. Events before frame
 * 0 need a `start` event at frame 0, which then prints as `^`. `length` pads with `-` up to that frame.
 */
export function printDiagram(events: readonly MarbleEvent[], length = 0): string {
  let min = 0;
  for (let i = 0; i < events.length; i++) {
    const f = events[i].frame;
    if (!Number.isInteger(f)) throw new RangeError(`frame ${f} is not an integer`);
    if (i > 0 && f < events[i - 1].frame) throw new RangeError('events must be in frame order');
    if (f < min) min = f;
  }
  if (min < 0 && !events.some((e) => e.kind === 'start' && e.frame === 0)) {
    throw new RangeError("events before frame 0 need a start ('^') at frame 0");
  }
  let out = '';
  let cursor = min;
  for (let i = 0; i < events.length; ) {
    const f = events[i].frame;
    let j = i;
    while (j < events.length && events[j].frame === f) j++;
    out += '-'.repeat(f - cursor);
    const chars = events.slice(i, j).map(eventChar).join('');
    out += j - i === 1 ? chars : `(${chars})`;
    cursor = f + 1;
    i = j;
  }
  if (length > cursor) out += '-'.repeat(length - cursor);
  return out;
}

/** Virtual time (ns after the start) of a frame; rounded, so frames like 1/30 s stay integer ns. */
export function frameToTime(frame: number, frameNs = DEFAULT_FRAME): number {
  return Math.round(frame * frameNs);
}

/** The frame a time falls in: the last frame starting at or before it (the inverse of frameToTime). */
export function timeToFrame(time: number, frameNs = DEFAULT_FRAME): number {
  let k = Math.floor(time / frameNs);
  // Rounding in frameToTime can put a frame's start a hair either side of k * frameNs.
  while (frameToTime(k + 1, frameNs) <= time) k++;
  while (frameToTime(k, frameNs) > time) k--;
  return k;
}
