import { G2gError } from '../errors';
import { formatTime } from '../time';

/** Caps did not intersect between two linked elements; raised before any data flows. */
export class NegotiationError extends G2gError {
  override readonly name = 'NegotiationError';
  constructor(readonly upstream: string, readonly downstream: string, readonly details: readonly string[], context = 'no common format') {
    super('NEGOTIATION', `negotiation failed between ${upstream} and ${downstream}: ${context}${details.length ? `\n  ${details.join('\n  ')}` : ''}`);
  }
}

/** An element failed while the pipeline ran: names the element and the packet it was working on. */
export class ElementError extends G2gError {
  override readonly name = 'ElementError';
  constructor(readonly element: string, readonly pts: number | undefined, override readonly cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super('ELEMENT', `${element} failed${pts === undefined ? '' : ` at pts ${formatTime(pts)}`}: ${msg}`);
  }
}
