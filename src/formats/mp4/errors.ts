import { G2gError } from '../../errors';
/**
 * Typed errors of the MP4 library. Parsers never let an exception escape: they hand these back (as values
 * or demuxer events); the element drivers throw them so that the pipeline names the element.
 */
export type Mp4ErrorCode =
  /** A caller passed something unusable (options, caps, sample timing). */
  | 'invalid-argument'
  /** The bytes are not a well-formed ISO BMFF file (garbage, impossible sizes, inconsistent tables). */
  | 'invalid-data'
  /** The input ended inside a box or before sample data that the file announces. */
  | 'truncated'
  /** Well-formed but outside what we implement (no H.264 track, encrypted, …). */
  | 'unsupported'
  /** A box or buffer passes the configured memory limits. */
  | 'too-large';

export class Mp4Error extends G2gError {
  override readonly name = 'Mp4Error';
  constructor(
    override readonly code: Mp4ErrorCode,
    message: string,
    /** Absolute byte offset in the file where the problem was found, when known. */
    readonly offset?: number
  ) {
    super(code, offset === undefined ? message : `${message} (at byte ${offset})`);
  }
}
