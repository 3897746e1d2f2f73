/**
 * The base of every error glass2glass throws on purpose. `code` is stable across releases (match on it,
 * not on the message); `name` is the subclass's.
 */
export class G2gError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A feature needs an optional package that is not installed (the ML, GPU and interop parts are opt-in peer
 * dependencies): names the package and the command that installs it.
 */
export class MissingDependencyError extends G2gError {
  constructor(readonly packageName: string, readonly feature: string, options?: { cause?: unknown; note?: string }) {
    super(
      'MISSING_DEPENDENCY',
      `${feature} needs the optional package '${packageName}', which is not installed: npm install ${packageName}${options?.note ? ` (${options.note})` : ''}`,
      { cause: options?.cause }
    );
  }
}
