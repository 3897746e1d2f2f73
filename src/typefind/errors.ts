import { G2gError } from '../errors';
import { typeNames, type TypeFound, type TypeKind } from './types';

/**
 * A stream that is not what the pipeline (or command) can take: `found` is what it is (undefined:
 * unrecognised), `accepted` what would have been taken. The message names the input, the format and what
 * is supported: "in.ts is MPEG-TS, which glass2glass cannot demux yet; supported: MP4/MOV, H.264 Annex B".
 */
export class UnsupportedTypeError extends G2gError {
  override readonly name = 'UnsupportedTypeError';
  constructor(readonly input: string, readonly found: TypeFound | undefined, readonly accepted: readonly TypeKind[], head?: Uint8Array) {
    super('UNSUPPORTED_TYPE', unsupportedMessage(input, found, accepted, head));
  }
}

/** `head`'s first bytes in hex, for a stream nothing recognised. */
const firstBytes = (head: Uint8Array): string =>
  Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ') + (head.length > 8 ? ' …' : '');

/**
 * The one-line reason for UnsupportedTypeError: a format glass2glass has no element for ("cannot demux
 * yet"), one it reads but not here ("… is H.264 Annex B, not what this takes"), or nothing known.
 */
export function unsupportedMessage(input: string, found: TypeFound | undefined, accepted: readonly TypeKind[], head?: Uint8Array): string {
  const supported = accepted.length ? `; supported: ${typeNames(accepted)}` : '';
  if (!found) {
    const bytes = head === undefined ? '' : head.length === 0 ? ' (it is empty)' : ` (it begins ${firstBytes(head)})`;
    return `${input} is not in a format glass2glass recognises${bytes}${supported}`;
  }
  if (!found.readable) return `${input} is ${found.name}, which glass2glass cannot ${found.verb} yet${supported}`;
  return `${input} is ${found.name}, which is not accepted here${supported}`;
}
