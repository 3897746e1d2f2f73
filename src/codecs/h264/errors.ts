import { G2gError } from '../../errors';
/** Why a piece of H.264 syntax could not be read. */
export type H264ErrorKind =
  /** The data ended before the syntax element did (a prefix too short, a truncated NAL). */
  | 'truncated'
  /** A value is out of the range the spec allows, or a reserved/unsupported value. */
  | 'invalid'
  /** The syntax refers to a parameter set that was not seen (or was damaged). */
  | 'missing-reference'
  /** A public API was called with bad arguments. */
  | 'argument';

/** The one error type of the H.264 library: parsers throw it, the assembler turns it into CORRUPT flags. */
export class H264Error extends G2gError {
  override readonly name = 'H264Error';
  constructor(readonly kind: H264ErrorKind, message: string) {
    super('H264', message);
  }
}

export function isTruncation(e: unknown): boolean {
  return e instanceof H264Error && e.kind === 'truncated';
}
