import { G2gError } from '../errors';
import { redactLaunch, redactUrls, type Span } from './redact';

/**
 * A launch line that cannot be parsed or built. `input` is the line as it may be shown: every password
 * replaced by `***` (URL passwords, password-like and `hidden` property values; see redact.ts), so neither
 * the message nor a logger printing the error's fields echoes one; `position` is the 0-based offset in
 * `input` the reason is about (the caller's offset unless a hidden part comes before it).
 */
export class LaunchError extends G2gError {
  override readonly name = 'LaunchError';
  readonly reason: string;
  readonly position: number;
  readonly input: string;
  /** `cause` is set when the text was valid but an element could not be made (e.g. its native addon is missing). */
  constructor(reason: string, position: number, input: string, options?: { cause?: unknown; hidden?: readonly Span[] }) {
    const shown = redactLaunch(input, options?.hidden);
    const at = shown.at(position);
    const why = redactUrls(reason);
    super('LAUNCH', `${why} (at position ${at})\n${pointAt(shown.text, at)}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = why;
    this.position = at;
    this.input = shown.text;
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
