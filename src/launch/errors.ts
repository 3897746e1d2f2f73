import { G2gError } from '../errors';
/** A launch line that cannot be parsed or built; `position` is the 0-based offset the reason is about. */
export class LaunchError extends G2gError {
  override readonly name = 'LaunchError';
  /** `cause` is set when the text was valid but an element could not be made (e.g. its native addon is missing). */
  constructor(readonly reason: string, readonly position: number, readonly input: string, options?: { cause?: unknown }) {
    super('LAUNCH', `${reason} (at position ${position})\n${pointAt(input, position)}`, options);
  }
}

const WINDOW = 72;

/** The input (a window of it when long) with a caret under `position`, as gst-launch shows parse errors. */
export function pointAt(input: string, position: number): string {
  const flat = input.replace(/[\r\n\t]/g, ' ');
  let start = 0;
  let end = flat.length;
  if (flat.length > WINDOW) {
    start = Math.max(0, Math.min(position - WINDOW / 2, flat.length - WINDOW));
    end = Math.min(flat.length, start + WINDOW);
  }
  const pre = start > 0 ? '…' : '';
  const post = end < flat.length ? '…' : '';
  return `  ${pre}${flat.slice(start, end)}${post}\n  ${' '.repeat(pre.length + position - start)}^`;
}
