import { G2gError } from '../errors';
import type { ByteSource } from './byte-source';
import type { ByteTarget } from './byte-target';

/**
 * Opens locations (paths, URLs) as byte sources and targets. Elements that take a `location` resolve it
 * through an opener when the pipeline starts: the one passed as their `opener` option, else the one
 * installed here. The core installs none (it cannot touch files); Node's driver installs one
 * (`installNodeFileOpener()` from glass2glass/node, which the CLI calls), a browser app may install
 * one over OPFS or fetch. So `fileSrc location=in.h264` works in launch syntax without `operators/`
 * importing the host.
 */
export interface FileOpener {
  openRead(location: string, signal?: AbortSignal): Promise<ByteSource>;
  openWrite(location: string, options: { append?: boolean }, signal?: AbortSignal): Promise<ByteTarget>;
}

let installed: FileOpener | undefined;

/** Installs the opener `location` options resolve through; returns the one it replaces (to restore it). */
export function setFileOpener(opener: FileOpener | undefined): FileOpener | undefined {
  const previous = installed;
  installed = opener;
  return previous;
}

export function getFileOpener(): FileOpener | undefined {
  return installed;
}

/** A location could not be opened; the message names it, and the host's error code when there is one. */
export class FileOpenError extends G2gError {
  override readonly name = 'FileOpenError';
  constructor(
    readonly location: string,
    readonly mode: 'read' | 'write',
    /** The host's error code (ENOENT, EACCES, EISDIR…) when it gave one: then also this error's `code`, as Node's. */
    hostCode: string | undefined,
    detail: string,
    options?: { cause?: unknown }
  ) {
    super(hostCode ?? 'FILE_OPEN', `cannot open '${location}' for ${mode === 'read' ? 'reading' : 'writing'}: ${detail}`, options);
  }
}

/** A `location` was given but nothing can open it here. */
export class NoFileOpenerError extends G2gError {
  override readonly name = 'NoFileOpenerError';
  constructor(readonly location: string) {
    super(
      'NO_FILE_OPENER',
      `no file opener is installed to open '${location}': in Node call installNodeFileOpener() from glass2glass/node ` +
        '(the g2g CLI does), elsewhere setFileOpener(...), or pass a source/target instead of a location'
    );
  }
}

/** The opener for `location`: the given one, else the installed one. */
export function resolveOpener(location: string, opener: FileOpener | undefined): FileOpener {
  const o = opener ?? installed;
  if (!o) throw new NoFileOpenerError(location);
  return o;
}
