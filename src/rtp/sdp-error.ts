import { G2gError } from '../errors';

/** An SDP that is not one, or that cannot be written from what was given. */
export class SdpError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SDP', message, options);
  }
  override readonly name = 'SdpError';
}
