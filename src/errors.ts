/**
 * The base of every error glass2glass throws on purpose. `code` is stable across releases (match on it,
 * not on the message); `name` is the subclass's.
 */
export class G2gError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
