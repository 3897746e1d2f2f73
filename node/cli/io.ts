import { G2gError } from '../../src/errors';
/** Where a command writes, so tests can run commands in-process and read what they printed. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

/** Thrown for a bad command line: the dispatcher prints it with the usage and exits 2. */
export class UsageError extends G2gError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
  }
  override readonly name = 'UsageError';
}

/** Collects output (tests, and commands that format before printing). */
export function bufferIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}
